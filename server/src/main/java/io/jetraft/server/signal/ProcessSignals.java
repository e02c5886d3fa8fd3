package io.jetraft.server.signal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Traps POSIX signals for the running node. Each trapped signal is logged as nats-server logs it
 * ({@code Trapped "interrupt" signal}) and its action runs on a thread of its own, never on the JVM's signal thread.
 */
public final class ProcessSignals {

    private static final Logger LOG = LoggerFactory.getLogger("jetraft");

    /**
     * HotSpot suspends threads with SIGUSR2 unless this environment variable names another signal, and its
     * suspensions (JFR's sampler, for one) reach a SIGUSR2 handler too: a JFR recording on a node would put it in
     * lame-duck mode. Every way jetraft starts a node (bin/jetraft, dev-cluster, the test harness) moves it to
     * {@link #JVM_SUSPEND_SIGNAL}, a real-time signal nothing else uses.
     */
    public static final String JVM_SUSPEND_SIGNAL_ENV = "_JAVA_SR_SIGNUM";
    public static final String JVM_SUSPEND_SIGNAL = "39";

    private ProcessSignals() {
    }

    /** Warns when SIGUSR2 is still the JVM's own thread-suspend signal (the node was started without bin/jetraft). */
    public static void warnIfSigusr2IsTheJvmsSuspendSignal() {
        if (System.getenv(JVM_SUSPEND_SIGNAL_ENV) == null) {
            LOG.warn("SIGUSR2 (lame duck mode) is also this JVM's thread-suspend signal: a JFR recording would start "
                    + "lame duck mode. Start jetraft with {}={} (bin/jetraft does)", JVM_SUSPEND_SIGNAL_ENV,
                    JVM_SUSPEND_SIGNAL);
        }
    }

    /**
     * @param name the signal without "SIG" (INT, TERM, HUP, USR1, USR2)
     * @param goName how nats-server names it in its log ("interrupt", "terminated", "hangup", ...)
     */
    public static void trap(String name, String goName, Runnable action) {
        try {
            Signal.handle(new Signal(name), sig -> {
                LOG.info("Trapped \"{}\" signal", goName);
                Thread t = new Thread(action, "jetraft-signal-" + name);
                t.setDaemon(false);
                t.start();
            });
        } catch (IllegalArgumentException e) {
            LOG.warn("cannot trap SIG{} on this JVM: {}", name, e.getMessage());
        }
    }
}
