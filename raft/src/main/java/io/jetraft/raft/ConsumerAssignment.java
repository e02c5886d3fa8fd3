package io.jetraft.raft;

import io.jetraft.storage.ConsumerConfig;

import java.time.Instant;

/** A consumer as the meta group records it (its state lives in its stream's group). */
public record ConsumerAssignment(String name, ConsumerConfig settings, StartPosition start, byte[] config,
                                 Instant created) {

    public ConsumerAssignment {
        config = config.clone();
    }

    @Override
    public byte[] config() {
        return config.clone();
    }
}
