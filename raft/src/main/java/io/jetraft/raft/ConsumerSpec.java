package io.jetraft.raft;

import io.jetraft.storage.ConsumerConfig;

import java.util.Objects;

/**
 * A consumer to create or update: its name, what the store needs of its configuration, where it starts, and the
 * server layer's own configuration document (kept verbatim).
 */
public record ConsumerSpec(String name, ConsumerConfig settings, StartPosition start, byte[] config) {

    private static final byte[] NONE = new byte[0];

    public ConsumerSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(settings, "settings");
        start = start == null ? StartPosition.all() : start;
        config = config == null ? NONE : config.clone();
    }

    public static ConsumerSpec of(String name, ConsumerConfig settings, StartPosition start) {
        return new ConsumerSpec(name, settings, start, NONE);
    }

    @Override
    public byte[] config() {
        return config.clone();
    }
}
