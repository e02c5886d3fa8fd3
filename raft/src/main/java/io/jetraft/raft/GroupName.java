package io.jetraft.raft;

import java.util.Objects;

/**
 * Which Raft group: the meta group, or one stream group by its Raft group id (a UUID). Streams are carried by stream
 * groups; {@link StreamGroups#groupOf} says which.
 */
public record GroupName(String id) {

    /** The meta group (which streams, stream groups and consumers exist, and where). */
    public static final GroupName META = new GroupName("meta");

    public GroupName {
        Objects.requireNonNull(id, "id");
    }

    /** The stream group with this Raft group id. */
    public static GroupName streams(String groupId) {
        if (groupId.equals(META.id)) {
            throw new IllegalArgumentException("'meta' is not a stream group id");
        }
        return new GroupName(groupId);
    }

    public boolean isMeta() {
        return this.equals(META);
    }

    @Override
    public String toString() {
        return isMeta() ? "meta" : "stream group " + (id.length() > 8 ? id.substring(0, 8) : id);
    }
}
