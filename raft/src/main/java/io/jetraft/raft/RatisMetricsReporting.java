package io.jetraft.raft;

import org.apache.ratis.metrics.MetricRegistries;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Keeps Ratis's metrics out of JMX. Ratis registers a JMX reporter for its metrics unless a reporter is registered
 * before its first metric registry is created. JMX registration and removal take one JVM-wide lock, and Ratis does
 * them while holding a group's lock when the group changes leader: with many groups stepping down at once (lame-duck
 * mode) each waited for the others, and a transfer of 30 groups took seconds instead of tens of milliseconds.
 * The metrics themselves stay in memory.
 */
final class RatisMetricsReporting {

    private static final AtomicBoolean DONE = new AtomicBoolean();
    private static final Consumer<org.apache.ratis.metrics.RatisMetricRegistry> NONE = registry -> { };

    private RatisMetricsReporting() {
    }

    /** Registers a reporter that reports nothing, once per JVM and before any RaftServer exists. */
    static void keepOutOfJmx() {
        if (DONE.compareAndSet(false, true)) {
            MetricRegistries.global().addReporterRegistration(NONE, NONE);
        }
    }
}
