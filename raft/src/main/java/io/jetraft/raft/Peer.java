package io.jetraft.raft;

import java.util.Objects;

/**
 * A cluster node as the Raft layer knows it: its {@code server_name} (the Raft peer id) and the {@code host:port} of
 * its Raft listener.
 */
public record Peer(String name, String address) {

    public Peer {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a peer needs a name (server_name)");
        }
        RaftAddress.parse(address, "peer '" + name + "'");
    }

    @Override
    public String toString() {
        return name + "@" + address;
    }
}
