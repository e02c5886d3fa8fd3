package io.jetraft.raft.meta;

import io.jetraft.raft.proto.GroupRecord;
import io.jetraft.raft.proto.PeerAddress;
import io.jetraft.storage.AppliedIndex;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Chooses the stream group of a new stream, when its meta entry applies (so every node chooses the same): the groups
 * of its replica set, made now if the set has none (a few per set, each preferring another member as leader, so the
 * leaderships spread); among them the one the requested peer prefers to lead, else the one carrying the fewest
 * streams.
 */
final class GroupPlacement {

    /** The group chosen, and the groups made for it (empty when its replica set had them already). */
    record Placed(GroupRecord group, List<GroupRecord> created) {
    }

    private GroupPlacement() {
    }

    static Placed place(MetaState state, List<PeerAddress> peers, String preferredLeader, int groupsPerSet,
                        AppliedIndex createdAt, long nowNanos) {
        List<PeerAddress> set = new ArrayList<>(peers);
        set.sort(Comparator.comparing(PeerAddress::getName));
        List<String> names = set.stream().map(PeerAddress::getName).toList();
        List<GroupRecord> groups = state.groupsOfSet(names);
        List<GroupRecord> created = List.of();
        if (groups.isEmpty()) {
            int count = groupsPerSet > 0 ? groupsPerSet : set.size();
            List<GroupRecord> made = new ArrayList<>();
            for (int slot = 0; slot < count; slot++) {
                made.add(GroupRecord.newBuilder()
                        .setGroupId(groupId(names, slot, createdAt).toString())
                        .addAllPeers(set)
                        .setSlot(slot)
                        .setPreferredLeader(names.get(slot % names.size()))
                        .setCreatedNanos(nowNanos)
                        .build());
            }
            groups = made;
            created = made;
        }
        List<GroupRecord> candidates = groups;
        if (preferredLeader != null && !preferredLeader.isEmpty()) {
            List<GroupRecord> preferring = groups.stream()
                    .filter(g -> g.getPreferredLeader().equals(preferredLeader)).toList();
            if (!preferring.isEmpty()) {
                candidates = preferring;
            }
        }
        GroupRecord chosen = candidates.stream()
                .min(Comparator.comparingInt((GroupRecord g) -> state.streamsOf(g.getGroupId()).size())
                        .thenComparingInt(GroupRecord::getSlot))
                .orElseThrow();
        return new Placed(chosen, created);
    }

    /**
     * A stream group's Raft group id: from its replica set, its slot and the meta entry that made it, the same on
     * every node and new for every group ever made (directories of an older group can never be taken for it).
     */
    static UUID groupId(List<String> sortedPeers, int slot, AppliedIndex createdAt) {
        return UUID.nameUUIDFromBytes(("jetraft/group/" + String.join(",", sortedPeers) + "/" + slot + "/"
                + createdAt.term() + "/" + createdAt.index()).getBytes(StandardCharsets.UTF_8));
    }
}
