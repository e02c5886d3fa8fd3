package io.jetraft.server.lameduck;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lame-duck mode: leaves the cluster without dropping anyone, in the ten steps DESIGN.md sets, each logged with how
 * long it took. {@link #abort()} (SIGINT) cuts the waits short; the node then shuts down at once.
 */
public final class LameDuckDrain {

    private static final Logger LOG = LoggerFactory.getLogger("jetraft");
    /** The bound on moving every leadership away (step 2). */
    public static final Duration TRANSFER_BOUND = Duration.ofSeconds(1);
    /** The longest step 9 waits, after the last close, for the clients' connections to finish closing. */
    static final Duration DEPARTURES_BOUND = Duration.ofSeconds(4);

    private final LameDuckSteps node;
    private final Duration duration;
    private final Duration grace;
    private final RandomGenerator random;
    private final LongSupplier nanoClock;
    private final Sleeper sleeper;
    private final CountDownLatch aborted = new CountDownLatch(1);

    /**
     * @param sleeper null for real waits (which {@link #abort()} cuts short)
     */
    public LameDuckDrain(LameDuckSteps node, Duration duration, Duration grace, RandomGenerator random,
                         LongSupplier nanoClock, Sleeper sleeper) {
        this.node = node;
        this.duration = duration;
        this.grace = grace;
        this.random = random;
        this.nanoClock = nanoClock;
        this.sleeper = sleeper != null ? sleeper : this::realSleep;
    }

    /** Cuts the drain short: pending waits end and no further client is waited for. */
    public void abort() {
        aborted.countDown();
    }

    public boolean isAborted() {
        return aborted.getCount() == 0;
    }

    private boolean realSleep(Duration d) {
        try {
            return !aborted.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs the whole sequence on the calling thread and ends with the node shut down. */
    public void run() {
        long start = nanoClock.getAsLong();
        LOG.info("Entering lame duck mode, stop accepting new clients");
        step("1/10 client listener closed, other nodes told", node::closeClientListener);
        long t = nanoClock.getAsLong();
        String transfer = node.transferLeadership(TRANSFER_BOUND);
        LOG.info("Lame duck step 2/10 leadership transfer: {} ({} ms)", transfer, millisSince(t));
        step("3/10 stream layer stopped", node::stopStreamLayer);
        step("4/10 Raft groups and server stopped", node::stopRaft);
        step("5/10 accept loops stopped", node::awaitListenersClosed);
        List<? extends LameDuckSteps.DrainedClient> clients = List.copyOf(node.clients());
        if (isAborted()) {
            finish(start);
            return;
        }
        step("6/10 routes told", node::announceToRoutes);
        step("7/10 " + clients.size() + " clients told (INFO ldm)", node::announceToClients);
        if (!clients.isEmpty()) {
            t = nanoClock.getAsLong();
            boolean waited = sleeper.sleep(grace);
            LOG.info("Lame duck step 8/10 grace period of {} ms over ({} ms)", grace.toMillis(), millisSince(t));
            if (waited) {
                closeClients(clients);
            }
        }
        finish(start);
    }

    private void closeClients(List<? extends LameDuckSteps.DrainedClient> clients) {
        long t = nanoClock.getAsLong();
        ClosePacing pacing = ClosePacing.of(duration, grace, clients.size(), random);
        LOG.info("Closing existing clients: {} clients, one every ~{} ms", clients.size(),
                pacing.interval().toMillis());
        int closed = 0;
        List<CompletableFuture<Void>> departures = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            departures.add(clients.get(i).depart());
            closed++;
            if (i == clients.size() - 1) {
                break;
            }
            if (!sleeper.sleep(pacing.nextPause())) {
                break;
            }
        }
        // what the last clients sent on their way out goes on before the routes close with the node
        if (!isAborted()) {
            try {
                CompletableFuture.allOf(departures.toArray(CompletableFuture[]::new))
                        .get(DEPARTURES_BOUND.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.info("Lame duck: {} client connection(s) still closing after {} ms; going on",
                        departures.stream().filter(f -> !f.isDone()).count(), DEPARTURES_BOUND.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                LOG.debug("a client departure failed: {}", e.toString());
            }
        }
        LOG.info("Lame duck step 9/10 {} of {} clients closed ({} ms)", closed, clients.size(), millisSince(t));
    }

    private void finish(long start) {
        long t = nanoClock.getAsLong();
        node.shutdown();
        LOG.info("Lame duck step 10/10 shut down ({} ms); lame duck mode took {} ms", millisSince(t),
                millisSince(start));
    }

    private void step(String name, Runnable action) {
        long t = nanoClock.getAsLong();
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.error("Lame duck step {} failed, going on: {}", name, e.toString());
        }
        LOG.info("Lame duck step {} ({} ms)", name, millisSince(t));
    }

    private long millisSince(long t) {
        return (nanoClock.getAsLong() - t) / 1_000_000;
    }
}
