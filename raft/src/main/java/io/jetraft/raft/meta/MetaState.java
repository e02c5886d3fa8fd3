package io.jetraft.raft.meta;

import io.jetraft.raft.proto.PeerAddress;
import io.jetraft.raft.proto.StreamRecord;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The applied meta state, immutable: every stream's record (its group, peers, limits and consumers) by name, and by
 * group id. A new state is made for every applied change and published whole.
 */
public final class MetaState {

    public static final MetaState EMPTY = new MetaState(new TreeMap<>());

    /** The key of a stream's record in the store's meta records. */
    static final String STREAM_PREFIX = "stream/";

    private final SortedMap<String, StreamRecord> streams;
    private final Map<String, StreamRecord> byGroup;

    private MetaState(SortedMap<String, StreamRecord> streams) {
        this.streams = Collections.unmodifiableSortedMap(streams);
        Map<String, StreamRecord> groups = new HashMap<>();
        for (StreamRecord r : streams.values()) {
            groups.put(r.getGroupId(), r);
        }
        this.byGroup = Collections.unmodifiableMap(groups);
    }

    public static MetaState of(Collection<StreamRecord> records) {
        SortedMap<String, StreamRecord> m = new TreeMap<>();
        for (StreamRecord r : records) {
            m.put(r.getName(), r);
        }
        return new MetaState(m);
    }

    public Optional<StreamRecord> stream(String name) {
        return Optional.ofNullable(streams.get(name));
    }

    public Optional<StreamRecord> group(String groupId) {
        return Optional.ofNullable(byGroup.get(groupId));
    }

    public Collection<StreamRecord> streams() {
        return streams.values();
    }

    /** The streams with a replica on {@code peer}. */
    public List<StreamRecord> assignedTo(String peer) {
        return streams.values().stream()
                .filter(r -> r.getPeersList().stream().anyMatch(p -> p.getName().equals(peer)))
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
        return new MetaState(m);
    }

    MetaState without(String name) {
        SortedMap<String, StreamRecord> m = new TreeMap<>(streams);
        m.remove(name);
        return new MetaState(m);
    }

    static String key(String stream) {
        return STREAM_PREFIX + stream;
    }
}
