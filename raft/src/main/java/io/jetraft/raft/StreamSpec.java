package io.jetraft.raft;

import io.jetraft.storage.StreamLimits;

import java.util.Objects;

/**
 * A stream to create or update: its name, how many replicas (1 to 5; the meta leader picks the peers), the limits the
 * store enforces, and the server layer's own configuration document (kept verbatim, e.g. the StreamConfig JSON).
 */
public record StreamSpec(String name, int replicas, StreamLimits limits, byte[] config) {

    private static final byte[] NONE = new byte[0];

    public StreamSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(limits, "limits");
        config = config == null ? NONE : config.clone();
    }

    public static StreamSpec of(String name, int replicas, StreamLimits limits) {
        return new StreamSpec(name, replicas, limits, NONE);
    }

    @Override
    public byte[] config() {
        return config.clone();
    }
}
