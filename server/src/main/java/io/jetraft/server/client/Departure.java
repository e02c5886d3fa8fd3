package io.jetraft.server.client;

import io.jetraft.server.protocol.InboundMessage;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What a client sent after a node in lame-duck mode decided to close its connection (step 9), and was read after
 * the node ended its side of the stream: the client had no way to know it was too late. Its publishes still go out,
 * in the order they came. A request among them (a JetStream publish, a pull, an API call) waits until another node
 * has interest in its reply subject, which is when the client has reconnected there and subscribed its inbox again,
 * so that the answer finds it (jnats keeps a request waiting across a reconnect); at most {@link #HOLD_NANOS}, then
 * it goes out all the same. Before, such a publish was dropped with the connection and its publisher timed out.
 * Event loop only.
 */
final class Departure {

    /** How long a late request waits for its reply subject's interest on another node. */
    static final long HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(1500);
    /** How often held requests look again. */
    private static final long RETRY_MILLIS = 5;
    private static final int MAX_MESSAGES = 10_000;
    private static final long MAX_BYTES = 16L << 20;

    /** Whether a node other than this one has interest in a subject (through a route). */
    interface Elsewhere {
        boolean interest(String subject);
    }

    private record Late(InboundMessage message, int size, long deadline) {
    }

    private final EventLoop loop;
    /** Sends a late message on, as if just published (the same offer-again callback held publishes use). */
    private final HeldPublishes.Redispatch send;
    private final Elsewhere elsewhere;
    private final ArrayDeque<Late> queue = new ArrayDeque<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private long bytes;
    private boolean scheduled;
    private boolean channelClosed;

    Departure(EventLoop loop, HeldPublishes.Redispatch send, Elsewhere elsewhere) {
        this.loop = loop;
        this.send = send;
        this.elsewhere = elsewhere;
    }

    /** Completes once the connection is closed and every late message has gone out. */
    CompletableFuture<Void> done() {
        return done;
    }

    /** One message read after the node ended its side of the stream. */
    void take(InboundMessage message) {
        int size = message.subjectLength() + message.replyLength() + message.totalLength();
        if (queue.size() >= MAX_MESSAGES || bytes + size > MAX_BYTES) {
            // more than a client can have written in the moment before it saw the end: dropped, as a close drops it
            return;
        }
        queue.add(new Late(HeldPublishes.copy(message, Unpooled.buffer(size)), size, System.nanoTime() + HOLD_NANOS));
        bytes += size;
        pump();
    }

    /** The connection is closed now: nothing more will come; ends once what is held has gone out. */
    void channelClosed() {
        channelClosed = true;
        pump();
    }

    private void pump() {
        scheduled = false;
        while (!queue.isEmpty()) {
            Late l = queue.peek();
            InboundMessage m = l.message();
            if (m.hasReply() && !elsewhere.interest(m.reply()) && System.nanoTime() - l.deadline() < 0) {
                break;
            }
            queue.poll();
            bytes -= l.size();
            send.dispatch(m);
        }
        if (!queue.isEmpty()) {
            if (!scheduled) {
                scheduled = true;
                loop.schedule(this::pump, RETRY_MILLIS, TimeUnit.MILLISECONDS);
            }
        } else if (channelClosed) {
            done.complete(null);
        }
    }
}
