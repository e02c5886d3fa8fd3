package io.jetraft.server.node;

import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

/** Node-wide counters shown in /varz that no connection keeps itself (traffic is summed from the connections). */
public final class ServerStats {

    private final Instant started = Instant.now();
    private final long startedNanos = System.nanoTime();
    public final LongAdder slowConsumers = new LongAdder();
    public final LongAdder totalConnections = new LongAdder();

    public Instant started() {
        return started;
    }

    public long uptimeNanos() {
        return System.nanoTime() - startedNanos;
    }
}
