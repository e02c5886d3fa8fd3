package io.jetraft.server.client;

import io.jetraft.server.dispatch.Dispatcher;
import io.jetraft.server.protocol.InboundMessage;
import io.jetraft.server.subject.Subjects;
import io.netty.buffer.Unpooled;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The reply inboxes ({@code _INBOX.} subscriptions) of clients that left this node in lame-duck mode, for a moment
 * after they left ({@link #KEEP_NANOS}). A message a peer routed here for one of them that nobody here takes any
 * more goes on to the node the client moved to, once that node's interest is known here ({@link #HOLD_NANOS} at
 * most): the answer to a request the client sent just before it left (a PubAck whose publisher timed out otherwise),
 * or a message for its pull (which came back only after ack_wait). The peer sent it here because it still saw the
 * client's interest here; an inbox is one client's own, so passing it on reaches no one else. Runs on one event loop.
 */
public final class DepartedInboxes {

    static final long KEEP_NANOS = TimeUnit.SECONDS.toNanos(3);
    static final long HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(1500);
    private static final long RETRY_MILLIS = 5;
    private static final int MAX_HELD = 10_000;
    private static final String INBOX_PREFIX = "_INBOX.";

    private record Inbox(String subject, long until) {
    }

    private record Held(InboundMessage message, long deadline) {
    }

    private final ScheduledExecutorService loop;
    private final Dispatcher dispatcher;
    /** Inboxes in the order they were left, so the oldest expire first. */
    private final ArrayDeque<Inbox> inboxes = new ArrayDeque<>();
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private boolean scheduled;
    /** When the last inbox kept expires: until then routed messages are looked at, after it none is copied. */
    private volatile long keptUntil = System.nanoTime();

    public DepartedInboxes(ScheduledExecutorService loop, Dispatcher dispatcher) {
        this.loop = loop;
        this.dispatcher = dispatcher;
    }

    /** Whether a departing client's subscription is kept here: an inbox, not a subject other clients share. */
    static boolean isInbox(String subject) {
        return subject.startsWith(INBOX_PREFIX);
    }

    /** A client's inbox subscriptions as it leaves (its output ended). Any thread. */
    void departed(List<String> subjects) {
        if (subjects.isEmpty()) {
            return;
        }
        long until = System.nanoTime() + KEEP_NANOS;
        keptUntil = until;
        run(() -> subjects.forEach(s -> inboxes.add(new Inbox(s, until))));
    }

    /**
     * A message a peer routed here that no local subscription took: held and sent on when it is for a departed
     * client's inbox. The message is valid only during the call; it is copied. Route's thread.
     */
    public void unclaimed(InboundMessage message) {
        if (System.nanoTime() - keptUntil >= 0 || !isInbox(message.subject())) {
            // no client left lately (nearly always): nothing to copy
            return;
        }
        int size = message.subjectLength() + message.replyLength() + message.totalLength();
        // an unpooled heap copy: the garbage collector frees it, as held publishes' copies
        InboundMessage m = HeldPublishes.copy(message, Unpooled.buffer(size));
        run(() -> {
            if (departedInbox(m.subject()) && held.size() < MAX_HELD) {
                held.add(new Held(m, System.nanoTime() + HOLD_NANOS));
                pump();
            }
        });
    }

    private boolean departedInbox(String subject) {
        long now = System.nanoTime();
        while (!inboxes.isEmpty() && now - inboxes.peekFirst().until() >= 0) {
            inboxes.pollFirst();
        }
        for (Inbox i : inboxes) {
            if (Subjects.matches(i.subject(), subject)) {
                return true;
            }
        }
        return false;
    }

    private void pump() {
        scheduled = false;
        long now = System.nanoTime();
        List<Held> ready = new ArrayList<>();
        Iterator<Held> it = held.iterator();
        while (it.hasNext()) {
            Held h = it.next();
            if (dispatcher.routeInterest(h.message().subject())) {
                ready.add(h);
                it.remove();
            } else if (now - h.deadline() >= 0) {
                // the client did not come back in time: lost, as it was before
                it.remove();
            }
        }
        for (Held h : ready) {
            dispatcher.dispatch(h.message(), null, true);
        }
        if (!held.isEmpty() && !scheduled) {
            scheduled = true;
            try {
                loop.schedule(this::pump, RETRY_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // the node is closing: what is held is dropped
                held.clear();
            }
        }
    }

    private void run(Runnable action) {
        try {
            loop.execute(action);
        } catch (RejectedExecutionException e) {
            // the node is closing
        }
    }
}
