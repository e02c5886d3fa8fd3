package io.jetraft.raft;

import io.jetraft.storage.StreamLimits;

import java.util.Objects;

/**
 * A stream to create or update: its name, how many replicas (1 to 5; the meta leader picks the peers), the limits the
 * store enforces, the server layer's own configuration document (kept verbatim, e.g. the StreamConfig JSON), and
 * the peer whose stream group should carry it ({@code placement.preferred}; empty: the meta leader chooses).
 */
public record StreamSpec(String name, int replicas, StreamLimits limits, byte[] config, String preferredLeader) {

    private static final byte[] NONE = new byte[0];

    public StreamSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(limits, "limits");
        config = config == null ? NONE : config.clone();
        preferredLeader = preferredLeader == null ? "" : preferredLeader;
    }

    public StreamSpec(String name, int replicas, StreamLimits limits, byte[] config) {
        this(name, replicas, limits, config, "");
    }

    public static StreamSpec of(String name, int replicas, StreamLimits limits) {
        return new StreamSpec(name, replicas, limits, NONE, "");
    }

    public StreamSpec withPreferredLeader(String peer) {
        return new StreamSpec(name, replicas, limits, config, peer);
    }

    @Override
    public byte[] config() {
        return config.clone();
    }
}
