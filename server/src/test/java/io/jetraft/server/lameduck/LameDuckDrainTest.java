package io.jetraft.server.lameduck;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The lame-duck timing contract with an injected clock, random source and sleeper: the order of the ten steps, the
 * grace period before any client is closed, and the pacing of the closes.
 */
class LameDuckDrainTest {

    /** Records every step and every close against a fake clock advanced only by the sleeper. */
    private static final class Recorder implements LameDuckSteps, Sleeper {
        final List<String> events = new ArrayList<>();
        final List<Duration> sleeps = new ArrayList<>();
        final AtomicLong now = new AtomicLong();
        final List<Long> closedAt = new ArrayList<>();
        final int clientCount;
        boolean cutShortAfterFirstClose;

        Recorder(int clients) {
            this.clientCount = clients;
        }

        @Override
        public boolean sleep(Duration d) {
            sleeps.add(d);
            now.addAndGet(d.toNanos());
            return !(cutShortAfterFirstClose && !closedAt.isEmpty());
        }

        @Override
        public void closeClientListener() {
            events.add("listener");
        }

        @Override
        public String transferLeadership(Duration bound) {
            events.add("transfer " + bound.toMillis());
            return "moved 0 of 0";
        }

        @Override
        public void stopStreamLayer() {
            events.add("stream layer");
        }

        @Override
        public void stopRaft() {
            events.add("raft");
        }

        @Override
        public void awaitListenersClosed() {
            events.add("accept loops");
        }

        @Override
        public List<? extends DrainedClient> clients() {
            events.add("count clients");
            List<DrainedClient> out = new ArrayList<>();
            for (int i = 0; i < clientCount; i++) {
                int id = i;
                out.add(() -> {
                    events.add("close " + id);
                    closedAt.add(now.get());
                    return java.util.concurrent.CompletableFuture.completedFuture(null);
                });
            }
            return out;
        }

        @Override
        public void announceToRoutes() {
            events.add("routes");
        }

        @Override
        public void announceToClients() {
            events.add("clients told");
        }

        @Override
        public void shutdown() {
            events.add("shutdown");
        }
    }

    @Test
    void stepsRunInTheDesignedOrder() {
        Recorder r = new Recorder(2);
        new LameDuckDrain(r, Duration.ofSeconds(10), Duration.ofSeconds(2), new SplittableRandom(1), r.now::get, r)
                .run();
        assertThat(r.events).containsExactly("listener", "transfer 1000", "stream layer", "raft", "accept loops",
                "count clients", "routes", "clients told", "close 0", "close 1", "shutdown");
    }

    @Test
    void twentyClientsAreClosedAfterTheGracePeriodSpreadOverTheRest() {
        Recorder r = new Recorder(20);
        Duration duration = Duration.ofSeconds(10);
        Duration grace = Duration.ofSeconds(2);
        new LameDuckDrain(r, duration, grace, new SplittableRandom(42), r.now::get, r).run();

        assertThat(r.closedAt).hasSize(20);
        assertThat(r.closedAt).allSatisfy(t -> assertThat(t).isGreaterThanOrEqualTo(grace.toNanos()));
        assertThat(r.sleeps.get(0)).isEqualTo(grace);
        List<Duration> pauses = r.sleeps.subList(1, r.sleeps.size());
        assertThat(pauses).as("no pause after the last client").hasSize(19);
        Duration interval = duration.minus(grace).dividedBy(20);
        assertThat(pauses).allSatisfy(p -> assertThat(p)
                .isGreaterThanOrEqualTo(interval.dividedBy(2)).isLessThan(interval));
        long last = r.closedAt.get(19);
        assertThat(last).isLessThanOrEqualTo(duration.toNanos());
        assertThat(last - grace.toNanos()).as("closings spread over the rest of the duration")
                .isGreaterThan(interval.multipliedBy(19).dividedBy(2).toNanos());
    }

    @Test
    void thePauseNeverExceedsOneSecond() {
        ClosePacing pacing = ClosePacing.of(Duration.ofMinutes(2), Duration.ofSeconds(10), 10, new SplittableRandom());
        assertThat(pacing.interval()).isEqualTo(Duration.ofSeconds(1));
        for (int i = 0; i < 1000; i++) {
            assertThat(pacing.nextPause()).isGreaterThanOrEqualTo(Duration.ofMillis(500)).isLessThan(Duration.ofSeconds(1));
        }
        ClosePacing many = ClosePacing.of(Duration.ofSeconds(3), Duration.ofSeconds(2), 5_000_000,
                new SplittableRandom());
        assertThat(many.interval()).isEqualTo(Duration.ofNanos(200));
    }

    @Test
    void withNoClientsThereIsNoGraceWait() {
        Recorder r = new Recorder(0);
        new LameDuckDrain(r, Duration.ofSeconds(10), Duration.ofSeconds(2), new SplittableRandom(1), r.now::get, r)
                .run();
        assertThat(r.sleeps).isEmpty();
        assertThat(r.events).endsWith("shutdown");
    }

    @Test
    void cuttingTheDrainShortStopsClosingAndShutsDown() {
        Recorder r = new Recorder(10);
        r.cutShortAfterFirstClose = true;
        new LameDuckDrain(r, Duration.ofSeconds(10), Duration.ofSeconds(2), new SplittableRandom(1), r.now::get, r)
                .run();
        assertThat(r.closedAt).hasSize(1);
        assertThat(r.events).endsWith("shutdown");
    }
}
