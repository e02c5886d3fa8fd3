package io.jetraft.server.jetstream;

import io.jetraft.server.internal.InternalClient;
import io.jetraft.server.internal.InternalMessage;
import io.jetraft.server.jetstream.consumer.PullRequest;
import io.jetraft.server.subject.MatchResult;
import io.jetraft.server.subject.Subscriber;
import io.jetraft.server.subject.SubjectIndex;
import io.jetraft.server.subject.Subscription;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Messages for a stream's leader that met the moment its leadership moved (a step-down, a lame-duck hand-off), held
 * here until a leader's subscription is known, on this node or through a route, and then sent to it:
 * <ul>
 *   <li>pull requests ({@code $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>}) that no leader took ({@link #offer}):
 *       the old leader had just answered its waiting pulls "409 Leadership Change", and jnats pulls again at once;
 *       every such pull was lost, and its consumer waited a whole expiry;</li>
 *   <li>pulls and acks that reached the old leader's subscription just before it closed, or that a peer routed to
 *       this node for it after it closed ({@link #forward}): they found no engine there; a lost ack brought its
 *       message back after ack_wait;</li>
 *   <li>publishes that a peer routed to this node's leader subscription after it closed ({@link #forwardToQueue}):
 *       their client waited for a PubAck that never came;</li>
 *   <li>PubAcks that no one took ({@link #forward}): their publisher had just moved to another node, whose interest
 *       in its inbox had not reached this one yet.</li>
 * </ul>
 * A pull waits at most half its own expiry ({@link #MAX_HOLD_NANOS} at most; a no-wait pull, like any other message,
 * {@link #NO_WAIT_HOLD_NANOS}), a publish {@link #MAX_HOLD_NANOS}; then it is dropped, and its client's pull expires
 * (or its publish times out) as before. Once this node begins to leave ({@link #keepAcksUntilClosed}), a held
 * consumer ack waits until JetStream closes: the hand-off alone may take its whole bound, as long as an ack's own
 * hold, and an ack dropped brings its message back after ack_wait, while one sent late is still applied once.
 */
final class AwaitingLeader {

    static final long MAX_HOLD_NANOS = TimeUnit.SECONDS.toNanos(2);
    static final long NO_WAIT_HOLD_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long RETRY_MILLIS = 10;
    private static final int MAX_HELD = 10_000;
    private static final String ACK_PREFIX = "$JS.ACK.";

    /** A held message; {@code queue} names the queue group it goes to alone, or is null. */
    private record Held(InternalMessage request, String queue, long deadline) {
    }

    private final SubjectIndex index;
    private final InternalClient internal;
    private final ScheduledExecutorService timer;
    /** This node's own $JS.API.> subscriber, which takes every request but serves no pull. */
    private final Supplier<Subscriber> api;
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private boolean scheduled;
    /** Set once this node hands its leaderships off to leave: held acks no longer expire. */
    private volatile boolean leaving;

    AwaitingLeader(SubjectIndex index, InternalClient internal, ScheduledExecutorService timer,
                        Supplier<Subscriber> api) {
        this.index = index;
        this.internal = internal;
        this.timer = timer;
        this.api = api;
    }

    /**
     * A pull request that nobody on this node, and no route, took as it was published here (this node's API
     * subscription hears of each one after all others): held until a stream leader's subscription is known.
     */
    void offer(InternalMessage request) {
        if (request.reply() == null || request.reply().isEmpty()) {
            return;
        }
        hold(request);
    }

    /**
     * A pull or ack that reached a stream leader's subscription here after that leader stopped: to the new leader,
     * now if one is known, else once there is one.
     */
    void forward(InternalMessage message) {
        if (leaderKnown(message.subject())) {
            internal.publish(message.subject(), message.reply(), message.headers(), message.data());
            return;
        }
        hold(message);
    }

    /**
     * A publish that a peer routed to this node's leader subscription ({@link JetStreamService#LEADER_QUEUE}) after
     * that leader stopped: to the stream's leader alone, now if it is known, else once it is. The peer sent it to
     * this node's member of the queue group and to no other, so this is its only copy, and no other subscription of
     * the subject gets it again. It waits at most {@link #MAX_HOLD_NANOS}, as long as a hand-off takes.
     */
    void forwardToQueue(InternalMessage message, String queue) {
        int taken = internal.publishToQueue(message.subject(), queue, message.reply(), message.headers(),
                message.data());
        if (taken == 0) {
            hold(message, queue, MAX_HOLD_NANOS);
        }
    }

    /**
     * This node is leaving (a shutdown's or lame-duck mode's leadership hand-off began): from now on, held consumer
     * acks stay until they are sent or JetStream closes ({@link #awaitSent} bounds that wait).
     */
    void keepAcksUntilClosed() {
        leaving = true;
    }

    /** How many messages are held now. */
    synchronized int heldCount() {
        return held.size();
    }

    /**
     * Waits until nothing is held any more (sent, or expired) or {@code deadlineNanos} ({@link System#nanoTime})
     * has passed; returns how many are still held. Called as JetStream closes, from a thread that may block.
     */
    int awaitSent(long deadlineNanos) {
        while (true) {
            int left;
            synchronized (this) {
                left = held.size();
            }
            if (left == 0 || System.nanoTime() - deadlineNanos >= 0) {
                return left;
            }
            try {
                Thread.sleep(RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return left;
            }
        }
    }

    private void hold(InternalMessage request) {
        long hold = NO_WAIT_HOLD_NANOS;
        if (request.subject().startsWith("$JS.API.CONSUMER.MSG.NEXT.")) {
            try {
                PullRequest p = PullRequest.parse(request.data());
                hold = p.expiresNanos() > 0 ? Math.min(MAX_HOLD_NANOS, p.expiresNanos() / 2) : NO_WAIT_HOLD_NANOS;
            } catch (RuntimeException e) {
                // the leader answers a malformed request with its error once it is there
                hold = NO_WAIT_HOLD_NANOS;
            }
        }
        hold(request, null, hold);
    }

    private synchronized void hold(InternalMessage request, String queue, long holdNanos) {
        if (held.size() >= MAX_HELD) {
            return;
        }
        held.add(new Held(request, queue, System.nanoTime() + holdNanos));
        schedule();
    }

    private static boolean isAck(Held h) {
        return h.queue() == null && h.request().subject().startsWith(ACK_PREFIX);
    }

    /** Whether someone other than this node's API subscription takes the subject: a stream leader, here or not. */
    private boolean leaderKnown(String subject) {
        MatchResult match = index.match(subject);
        Subscriber own = api.get();
        for (Subscription s : match.plain()) {
            if (s.subscriber() != own && s.subscriber().isOpen()) {
                return true;
            }
        }
        return match.queueGroups().length > 0;
    }

    private void schedule() {
        if (!scheduled) {
            scheduled = true;
            try {
                timer.schedule(this::retry, RETRY_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // JetStream is closing: what is held is dropped
                held.clear();
            }
        }
    }

    private void retry() {
        List<Held> ready = new ArrayList<>();
        synchronized (this) {
            scheduled = false;
            long now = System.nanoTime();
            Iterator<Held> it = held.iterator();
            while (it.hasNext()) {
                Held h = it.next();
                if (h.queue() == null ? leaderKnown(h.request().subject())
                        : internal.queueServed(h.request().subject(), h.queue())) {
                    ready.add(h);
                    it.remove();
                } else if (now - h.deadline() >= 0 && !(leaving && isAck(h))) {
                    it.remove();
                }
            }
            if (!held.isEmpty()) {
                schedule();
            }
        }
        for (Held h : ready) {
            InternalMessage m = h.request();
            if (h.queue() == null) {
                internal.publish(m.subject(), m.reply(), m.headers(), m.data());
            } else {
                internal.publishToQueue(m.subject(), h.queue(), m.reply(), m.headers(), m.data());
            }
        }
    }
}
