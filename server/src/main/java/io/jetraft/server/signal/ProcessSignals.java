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

    private ProcessSignals() {
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
