package io.jetraft.server.node;

import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

/** Node-wide counters shown in /varz; updated from every connection's event loop. */
public final class ServerStats {

    private final Instant started = Instant.now();
    private final long startedNanos = System.nanoTime();
    public final LongAdder inMsgs = new LongAdder();
    public final LongAdder inBytes = new LongAdder();
    public final LongAdder outMsgs = new LongAdder();
    public final LongAdder outBytes = new LongAdder();
    public final LongAdder slowConsumers = new LongAdder();
    public final LongAdder totalConnections = new LongAdder();

    public Instant started() {
        return started;
    }

    public long uptimeNanos() {
        return System.nanoTime() - startedNanos;
    }
}
