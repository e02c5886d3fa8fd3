package io.jetraft.raft;

import io.jetraft.storage.StreamLimits;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A stream as the meta group records it: its Raft group (a new id for every creation), the peers holding its replicas,
 * its current limits, the server layer's configuration document, when it was created, and its consumers.
 */
public record StreamAssignment(String name, String groupId, List<Peer> peers, StreamLimits limits, byte[] config,
                               Instant created, List<ConsumerAssignment> consumers) {

    public StreamAssignment {
        peers = List.copyOf(peers);
        consumers = List.copyOf(consumers);
        config = config.clone();
    }

    @Override
    public byte[] config() {
        return config.clone();
    }

    public int replicas() {
        return peers.size();
    }

    public boolean isOn(String peer) {
        return peers.stream().anyMatch(p -> p.name().equals(peer));
    }

    public Optional<ConsumerAssignment> consumer(String consumer) {
        return consumers.stream().filter(c -> c.name().equals(consumer)).findFirst();
    }
}
