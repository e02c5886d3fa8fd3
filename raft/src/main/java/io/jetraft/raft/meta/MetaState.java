package io.jetraft.raft.meta;

import io.jetraft.raft.proto.GroupRecord;
import io.jetraft.raft.proto.PeerAddress;
import io.jetraft.raft.proto.StreamRecord;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The applied meta state, immutable: every stream's record (its group, limits and consumers) by name, and every
 * stream group's record (its replica set, slot and preferred leader) by id. A new state is made for every applied
 * change and published whole.
 */
public final class MetaState {

    public static final MetaState EMPTY = new MetaState(new TreeMap<>(), new TreeMap<>());

    /** The keys of the records in the store's meta records. */
    static final String STREAM_PREFIX = "stream/";
    static final String GROUP_PREFIX = "group/";

    private final SortedMap<String, StreamRecord> streams;
    private final SortedMap<String, GroupRecord> groups;
    private final Map<String, List<StreamRecord>> streamsByGroup;

    private MetaState(SortedMap<String, StreamRecord> streams, SortedMap<String, GroupRecord> groups) {
        this.streams = Collections.unmodifiableSortedMap(streams);
        this.groups = Collections.unmodifiableSortedMap(groups);
        Map<String, List<StreamRecord>> byGroup = new HashMap<>();
        for (StreamRecord r : streams.values()) {
            byGroup.computeIfAbsent(r.getGroupId(), g -> new ArrayList<>()).add(r);
        }
        byGroup.replaceAll((g, l) -> List.copyOf(l));
        this.streamsByGroup = Collections.unmodifiableMap(byGroup);
    }

    public static MetaState of(Collection<StreamRecord> streams, Collection<GroupRecord> groups) {
        SortedMap<String, StreamRecord> s = new TreeMap<>();
        for (StreamRecord r : streams) {
            s.put(r.getName(), r);
        }
        SortedMap<String, GroupRecord> g = new TreeMap<>();
        for (GroupRecord r : groups) {
            g.put(r.getGroupId(), r);
        }
        return new MetaState(s, g);
    }

    public Optional<StreamRecord> stream(String name) {
        return Optional.ofNullable(streams.get(name));
    }

    public Collection<StreamRecord> streams() {
        return streams.values();
    }

    public Optional<GroupRecord> group(String groupId) {
        return Optional.ofNullable(groups.get(groupId));
    }

    public Collection<GroupRecord> groups() {
        return groups.values();
    }

    /** The streams a group carries, by name. */
    public List<StreamRecord> streamsOf(String groupId) {
        return streamsByGroup.getOrDefault(groupId, List.of());
    }

    /** The stream groups with a replica on {@code peer}. */
    public List<GroupRecord> groupsOn(String peer) {
        return groups.values().stream()
                .filter(g -> g.getPeersList().stream().anyMatch(p -> p.getName().equals(peer)))
                .toList();
    }

    /** The groups of one replica set (peer names sorted), by slot. */
    public List<GroupRecord> groupsOfSet(List<String> sortedPeerNames) {
        return groups.values().stream()
                .filter(g -> g.getPeersList().stream().map(PeerAddress::getName).toList().equals(sortedPeerNames))
                .sorted(java.util.Comparator.comparingInt(GroupRecord::getSlot))
                .toList();
    }

    /** How many stream replicas each peer holds. */
    public Map<String, Integer> replicasPerPeer() {
        Map<String, Integer> counts = new HashMap<>();
        for (StreamRecord r : streams.values()) {
            for (PeerAddress p : r.getPeersList()) {
                counts.merge(p.getName(), 1, Integer::sum);
            }
        }
        return counts;
    }

    MetaState with(StreamRecord r) {
        SortedMap<String, StreamRecord> m = new TreeMap<>(streams);
        m.put(r.getName(), r);
        return new MetaState(m, new TreeMap<>(groups));
    }

    MetaState without(String name) {
        SortedMap<String, StreamRecord> m = new TreeMap<>(streams);
        m.remove(name);
        return new MetaState(m, new TreeMap<>(groups));
    }

    MetaState withGroups(Collection<GroupRecord> added) {
        SortedMap<String, GroupRecord> m = new TreeMap<>(groups);
        for (GroupRecord g : added) {
            m.put(g.getGroupId(), g);
        }
        return new MetaState(new TreeMap<>(streams), m);
    }

    static String key(String stream) {
        return STREAM_PREFIX + stream;
    }

    static String groupKey(String groupId) {
        return GROUP_PREFIX + groupId;
    }
}
