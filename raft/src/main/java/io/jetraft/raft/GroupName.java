package io.jetraft.raft;

import java.util.Objects;

/** Which Raft group: the meta group, or the group of one stream. */
public record GroupName(String stream) {

    /** The meta group (which streams and consumers exist, and where). */
    public static final GroupName META = new GroupName(null);

    public static GroupName stream(String name) {
        return new GroupName(Objects.requireNonNull(name, "stream"));
    }

    public boolean isMeta() {
        return stream == null;
    }

    @Override
    public String toString() {
        return isMeta() ? "meta" : "stream '" + stream + "'";
    }
}
