package io.jetraft.server.outbound;

import java.util.ArrayList;

/**
 * Defers the flushes a connection's input causes until the whole read has been processed, so that each receiver
 * gets one write (and at most one wake-up of its event loop) per read of the publisher, not one per message. Used
 * on event-loop threads: {@link #begin()} and {@link #end()} bracket the handling of one read.
 */
public final class FlushBatch {

    private static final ThreadLocal<FlushBatch> CURRENT = ThreadLocal.withInitial(FlushBatch::new);

    private final ArrayList<Outbound> pending = new ArrayList<>();
    private int depth;

    private FlushBatch() {
    }

    /** Starts collecting on this thread (nestable). */
    public static void begin() {
        CURRENT.get().depth++;
    }

    /** Ends collecting; on the outermost end, schedules every collected flush. */
    public static void end() {
        FlushBatch batch = CURRENT.get();
        if (--batch.depth > 0) {
            return;
        }
        ArrayList<Outbound> list = batch.pending;
        for (int i = 0; i < list.size(); i++) {
            list.get(i).scheduleFlush();
        }
        list.clear();
    }

    /** Schedules the outbound's flush now, or at the end of the current batch if one is open on this thread. */
    static void schedule(Outbound outbound) {
        FlushBatch batch = CURRENT.get();
        if (batch.depth > 0) {
            batch.pending.add(outbound);
        } else {
            outbound.scheduleFlush();
        }
    }
}
