package io.jetraft.server.internal;

import io.jetraft.server.dispatch.Dispatcher;
import io.jetraft.server.protocol.InboundMessage;
import io.jetraft.server.subject.InterestListener;
import io.jetraft.server.subject.SubjectIndex;
import io.jetraft.server.subject.Subscriber;
import io.jetraft.server.subject.Subscription;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.ObjIntConsumer;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the node's own services (JetStream) publish and subscribe: subscriptions live in the same subject index as
 * clients', messages for them are copied and handed to the service's executor (never run on an event loop), and
 * publishes go through the same dispatcher, so they reach local clients and other nodes alike.
 */
public final class InternalClient {

    private static final Logger LOG = LoggerFactory.getLogger(InternalClient.class);

    private final SubjectIndex index;
    private final Dispatcher dispatcher;
    private final Supplier<InterestListener> interest;

    public InternalClient(SubjectIndex index, Dispatcher dispatcher, Supplier<InterestListener> interest) {
        this.index = index;
        this.dispatcher = dispatcher;
        this.interest = interest;
    }

    /**
     * Subscribes a service.
     *
     * @param announce whether other nodes learn of the interest (true for subjects only this node serves, such as
     *        a stream leader's; false for requests every node answers itself, such as $JS.API)
     */
    public InternalSubscription subscribe(String subject, String queue, boolean announce, Executor executor,
                                          Consumer<InternalMessage> handler) {
        return subscribe(subject, queue, announce, false, executor, (m, others) -> handler.accept(m));
    }

    /**
     * Subscribes a service that every node runs for itself (not announced) and that needs to know whether anyone
     * else on this node, or a route, took each message: it gets each message after all others, with their number.
     */
    public InternalSubscription subscribeAfterOthers(String subject, Executor executor,
                                                     ObjIntConsumer<InternalMessage> handler) {
        return subscribe(subject, null, false, true, executor, handler);
    }

    private InternalSubscription subscribe(String subject, String queue, boolean announce, boolean countsOthers,
                                           Executor executor, ObjIntConsumer<InternalMessage> handler) {
        InternalSubscription s = new InternalSubscription(announce, countsOthers, executor, handler);
        Subscription sub = new Subscription(s, subject, queue, "internal");
        s.subscription = sub;
        if (!index.insert(sub)) {
            throw new IllegalArgumentException("invalid subject for an internal subscription: " + subject);
        }
        if (announce) {
            interest.get().added(sub);
        }
        return s;
    }

    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.CompletableFuture<InternalMessage>>
            pendingRequests = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong requestIds = new java.util.concurrent.atomic.AtomicLong();
    private final String inboxPrefix = "_INBOX.JR" + Long.toHexString(new java.security.SecureRandom().nextLong())
            .replace('-', 'x') + ".";
    private volatile InternalSubscription inbox;
    private final java.util.concurrent.ScheduledExecutorService requestTimer =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "internal-request-timer");
                t.setDaemon(true);
                return t;
            });

    /**
     * Sends a request from the node itself and completes with the first reply (from a service on this or another
     * node), or exceptionally with a TimeoutException. While nobody here or through a route takes it (a stream
     * leader elected moments ago, its subscription not there or not yet heard of), it is sent again every
     * {@link #UNTAKEN_RETRY_MILLIS} ms until someone does or the time is up; it is never sent twice to a taker.
     */
    public java.util.concurrent.CompletableFuture<InternalMessage> request(String subject, byte[] headers,
                                                                            byte[] data, java.time.Duration timeout) {
        ensureInbox();
        String reply = inboxPrefix + requestIds.incrementAndGet();
        java.util.concurrent.CompletableFuture<InternalMessage> f = new java.util.concurrent.CompletableFuture<>();
        pendingRequests.put(reply, f);
        requestTimer.schedule(() -> {
            java.util.concurrent.CompletableFuture<InternalMessage> p = pendingRequests.remove(reply);
            if (p != null) {
                p.completeExceptionally(new java.util.concurrent.TimeoutException("no reply to " + subject
                        + " within " + timeout.toMillis() + " ms"));
            }
        }, timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        if (publish(subject, reply, headers, data) == 0) {
            sendAgainUntilTaken(subject, reply, headers, data, System.nanoTime() + timeout.toNanos());
        }
        return f;
    }

    private static final long UNTAKEN_RETRY_MILLIS = 20;

    private void sendAgainUntilTaken(String subject, String reply, byte[] headers, byte[] data, long deadline) {
        try {
            requestTimer.schedule(() -> {
                if (pendingRequests.containsKey(reply) && System.nanoTime() < deadline
                        && publish(subject, reply, headers, data) == 0) {
                    sendAgainUntilTaken(subject, reply, headers, data, deadline);
                }
            }, UNTAKEN_RETRY_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing: the request times out
        }
    }

    private void ensureInbox() {
        if (inbox != null) {
            return;
        }
        synchronized (this) {
            if (inbox == null) {
                inbox = subscribe(inboxPrefix + "*", null, true, Runnable::run, m -> {
                    java.util.concurrent.CompletableFuture<InternalMessage> f = pendingRequests.remove(m.subject());
                    if (f != null) {
                        f.complete(m);
                    }
                });
            }
        }
    }

    /** Publishes a message from the node itself (to clients here and, through routes, elsewhere). */
    public int publish(String subject, String reply, byte[] headers, byte[] data) {
        return publish(subject, null, reply, headers, data);
    }

    /**
     * Publishes a message routed by {@code subject} that receivers see with the subject {@code shownAs} (JetStream
     * delivers a stored message to an inbox this way), or as {@code subject} when shownAs is null.
     */
    public int publish(String subject, String shownAs, String reply, byte[] headers, byte[] data) {
        return send(subject, reply, headers, data, message -> {
            message.deliverAs(shownAs);
            return dispatcher.dispatch(message, null, true);
        });
    }

    /** Publishes a message to one member of one queue group only (see {@link Dispatcher#dispatchToQueue}). */
    public int publishToQueue(String subject, String queue, String reply, byte[] headers, byte[] data) {
        return send(subject, reply, headers, data, message -> dispatcher.dispatchToQueue(message, queue));
    }

    /** Lays the message out in a buffer of its own for {@code dispatch}, and frees it after. */
    private static int send(String subject, String reply, byte[] headers, byte[] data,
                            ToIntFunction<InboundMessage> dispatch) {
        ByteBuf buf = Unpooled.buffer(subject.length() + (reply == null ? 0 : reply.length())
                + (headers == null ? 0 : headers.length) + (data == null ? 0 : data.length));
        try {
            InboundMessage.layout(buf, subject, reply, headers, data);
            return dispatch.applyAsInt(InboundMessage.of(buf, subject, reply, headers == null ? 0 : headers.length));
        } finally {
            buf.release();
        }
    }

    /** Whether a member of the queue group takes the subject, here or on another node. */
    public boolean queueServed(String subject, String queue) {
        return dispatcher.queueServed(subject, queue);
    }

    public int publish(String subject, String reply, String data) {
        return publish(subject, reply, null, data.getBytes(StandardCharsets.UTF_8));
    }

    /** One internal subscription; {@link #close()} removes it. */
    public final class InternalSubscription implements Subscriber, AutoCloseable {
        private final boolean announce;
        private final boolean countsOthers;
        private final Executor executor;
        private final ObjIntConsumer<InternalMessage> handler;
        private Subscription subscription;
        private volatile boolean open = true;

        private InternalSubscription(boolean announce, boolean countsOthers, Executor executor,
                                     ObjIntConsumer<InternalMessage> handler) {
            this.announce = announce;
            this.countsOthers = countsOthers;
            this.executor = executor;
            this.handler = handler;
        }

        public String subject() {
            return subscription.subject();
        }

        @Override
        public boolean deliver(Subscription sub, InboundMessage message) {
            return deliverAfter(sub, message, 0);
        }

        @Override
        public boolean countsOthers() {
            return countsOthers;
        }

        @Override
        public boolean deliverAfter(Subscription sub, InboundMessage message, int others) {
            if (!open) {
                return false;
            }
            InternalMessage copy = new InternalMessage(message.subject(), message.reply(),
                    message.hasHeaders() ? message.headerBytes() : null, message.payloadBytes());
            try {
                executor.execute(() -> {
                    try {
                        handler.accept(copy, others);
                    } catch (RuntimeException e) {
                        LOG.error("internal handler for {} failed", copy.subject(), e);
                    }
                });
                return true;
            } catch (RejectedExecutionException e) {
                LOG.warn("internal handler for {} is overloaded or stopped; message dropped", copy.subject());
                return false;
            }
        }

        @Override
        public void limitReached(Subscription sub) {
            close();
        }

        @Override
        public boolean takesRouted() {
            return announce;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            if (!open) {
                return;
            }
            open = false;
            if (index.remove(subscription) && announce) {
                interest.get().removed(subscription);
            }
        }
    }
}
