package io.jetraft.server.client;

import io.jetraft.server.protocol.InboundMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One connection's publishes to stream subjects (and consumer acks) that found no one to take them: the stream had no
 * leader for a moment (a leadership moving, a leader stopping) or its new leader's interest had not reached this
 * node yet. They
 * are held, in the order they came, and offered again until someone takes them, for at most {@link #HOLD_NANOS}
 * each; then the publisher hears "no responders" as it would have at once. nats-server answers 503 at once in that
 * gap; the hold ends before jnats's default JetStream timeout (2 s), so a publisher still hears an answer in time.
 * While anything is held, later publishes to stream subjects queue behind it, so one publisher's messages keep their
 * order. Event loop only.
 */
final class HeldPublishes {

    /** How long one publish is held before the publisher hears "no responders". */
    static final long HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(1500);
    /** How often held publishes are offered again. */
    static final long RETRY_MILLIS = 10;
    static final int MAX_MESSAGES = 10_000;
    static final long MAX_BYTES = 16L << 20;

    /** Offers a held publish again; the number of subscriptions and routes that took it. */
    interface Redispatch {
        int dispatch(InboundMessage message);
    }

    /** Tells a publisher its held publish reached no one in time. */
    interface Expiry {
        void expired(InboundMessage message);
    }

    private record Held(ByteBuf copy, InboundMessage message, long deadline) {
    }

    private final EventLoop loop;
    private final Redispatch redispatch;
    private final Expiry expiry;
    private final ArrayDeque<Held> queue = new ArrayDeque<>();
    private long bytes;
    private boolean scheduled;
    private boolean closed;

    HeldPublishes(EventLoop loop, Redispatch redispatch, Expiry expiry) {
        this.loop = loop;
        this.redispatch = redispatch;
        this.expiry = expiry;
    }

    boolean holding() {
        return !queue.isEmpty();
    }

    /** Copies the message and holds it; false (nothing held) when closed or the hold is full. */
    boolean hold(InboundMessage message) {
        int size = message.subjectLength() + message.replyLength() + message.totalLength();
        if (closed || queue.size() >= MAX_MESSAGES || bytes + size > MAX_BYTES) {
            return false;
        }
        ByteBuf copy = Unpooled.buffer(size);
        InboundMessage view = copy(message, copy);
        queue.add(new Held(copy, view, System.nanoTime() + HOLD_NANOS));
        bytes += size;
        schedule();
        return true;
    }

    /** A message that outlives the input buffer it was read from: its subject, reply and data copied into {@code to}. */
    static InboundMessage copy(InboundMessage message, ByteBuf to) {
        message.writeSubject(to);
        if (message.hasReply()) {
            message.writeReply(to);
        }
        message.writeData(to);
        return InboundMessage.of(to, message.subject(), message.reply(), message.headerLength());
    }

    private void schedule() {
        if (!scheduled && !closed) {
            scheduled = true;
            loop.schedule(this::retry, RETRY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Offers the held publishes again in order, up to the first that still reaches no one and has time left. */
    void retry() {
        scheduled = false;
        while (!queue.isEmpty() && !closed) {
            Held h = queue.peek();
            int delivered = redispatch.dispatch(h.message());
            if (delivered == 0 && System.nanoTime() - h.deadline() < 0) {
                break;
            }
            queue.poll();
            bytes -= h.copy().capacity();
            if (delivered == 0) {
                expiry.expired(h.message());
            }
        }
        if (!queue.isEmpty()) {
            schedule();
        }
    }

    /** The connection closed: what is still held is dropped (its publisher is gone, and so is its reply inbox). */
    void close() {
        closed = true;
        queue.clear();
        bytes = 0;
    }
}
