package io.jetraft.server.lameduck;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * How lame-duck mode spaces out closing its clients, as nats-server does: interval = (duration - grace) / clients
 * (at least 1 ns, at most 1 s); each pause is random in [interval/2, interval); no pause after the last client.
 */
public final class ClosePacing {

    private static final Duration MAX_INTERVAL = Duration.ofSeconds(1);

    private final Duration interval;
    private final RandomGenerator random;

    private ClosePacing(Duration interval, RandomGenerator random) {
        this.interval = interval;
        this.random = random;
    }

    /**
     * @param clients the client count taken once, before the routes and clients are told
     */
    public static ClosePacing of(Duration duration, Duration grace, int clients, RandomGenerator random) {
        Duration spread = duration.minus(grace);
        if (spread.isNegative() || spread.isZero()) {
            spread = Duration.ofSeconds(1);
        }
        Duration interval = clients <= 0 ? MAX_INTERVAL : spread.dividedBy(clients);
        if (interval.isZero()) {
            interval = Duration.ofNanos(1);
        }
        if (interval.compareTo(MAX_INTERVAL) > 0) {
            interval = MAX_INTERVAL;
        }
        return new ClosePacing(interval, random);
    }

    public Duration interval() {
        return interval;
    }

    /** The pause after closing one client (not called after the last): random in [interval/2, interval). */
    public Duration nextPause() {
        long si = interval.toNanos();
        long half = si / 2;
        long v = si <= 1 ? 0 : random.nextLong(si);
        return Duration.ofNanos(Math.max(v, half));
    }
}
