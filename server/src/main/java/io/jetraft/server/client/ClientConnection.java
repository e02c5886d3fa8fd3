package io.jetraft.server.client;

import io.jetraft.config.ServerConfig;
import io.jetraft.server.dispatch.Publisher;
import io.jetraft.server.outbound.Outbound;
import io.jetraft.server.outbound.ReadStall;
import io.jetraft.server.protocol.ClientProtocolHandler;
import io.jetraft.server.protocol.ConnectOptions;
import io.jetraft.server.protocol.InboundMessage;
import io.jetraft.server.protocol.ProtocolErrors;
import io.jetraft.server.subject.Subjects;
import io.jetraft.server.subject.Subscriber;
import io.jetraft.server.subject.Subscription;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's connection: its CONNECT options, its subscriptions, its outbound queue and its counters. Protocol
 * operations arrive from the {@link io.jetraft.server.protocol.ClientProtocolDecoder} on the connection's event loop;
 * messages for its subscriptions arrive from any thread through {@link #deliver}.
 */
public final class ClientConnection extends ChannelInboundHandlerAdapter
        implements ClientProtocolHandler, Subscriber, Publisher, io.jetraft.server.lameduck.LameDuckSteps.DrainedClient {

    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] MSG = "MSG ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HMSG = "HMSG ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PING = "PING\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PONG = "PONG\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);
    /** The longest a publisher's input is paused for one congested receiver. */
    private static final long STALL_MAX_MILLIS = 25;
    /**
     * How long a departing client's input is paused before the node ends its output: the answers to what it read
     * before (a JetStream publish takes a replicated commit) reach the client in that time.
     */
    private static final long QUIET_MILLIS = 250;
    /** A departing connection is closed by then, whatever the client does. */
    private static final long DEPARTURE_MAX_MILLIS = 3000;
    /** The bytes around a message besides subject, sid, reply and data: op, spaces, two sizes, two CRLFs. */
    private static final int MESSAGE_FRAMING = 5 + 3 + 10 + 1 + 10 + 4;

    private final ClientContext context;
    private final Channel channel;
    private final long cid;
    private final Outbound outbound;
    private final ConcurrentHashMap<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private final Instant start = Instant.now();
    private final String ip;
    private final int port;
    private final int boundPort;

    private volatile ConnectOptions options = ConnectOptions.DEFAULTS;
    private volatile boolean closed;
    private volatile long lastActivityMillis = System.currentTimeMillis();
    private volatile Instant stop;

    // written on the event loop only
    private long inMsgs;
    private long inBytes;
    private int pingsOut;
    private boolean firstPongSent;
    private ScheduledFuture<?> pingTimer;
    private ScheduledFuture<?> writeDeadlineTimer;
    private HeldPublishes held;
    private final ReadStall stall;
    /** Set once lame-duck mode began closing this connection; what it sends after its output ended goes here. */
    private Departure departure;
    private boolean outputEnded;

    // guarded by the outbound monitor
    private long outMsgs;
    private long outBytes;

    ClientConnection(ClientContext context, Channel channel, int boundPort) {
        this.context = context;
        this.channel = channel;
        this.cid = context.registry().nextCid();
        this.outbound = new Outbound(channel);
        this.stall = new ReadStall(channel, STALL_MAX_MILLIS);
        this.boundPort = boundPort;
        InetSocketAddress remote = (InetSocketAddress) channel.remoteAddress();
        this.ip = remote == null ? "" : remote.getAddress().getHostAddress();
        this.port = remote == null ? 0 : remote.getPort();
    }

    public long cid() {
        return cid;
    }

    private ServerConfig config() {
        return context.config().get();
    }

    // ---- lifecycle -------------------------------------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        context.stats().totalConnections.increment();
        sendRaw(context.info().forClient(cid, ip, boundPort).getBytes(StandardCharsets.UTF_8));
        if (!context.registry().register(this, config().maxConnections())) {
            LOG.error("{} - maximum connections exceeded ({})", logPrefix(), config().maxConnections());
            closed = true;
            sendErr(ProtocolErrors.MAX_CONNECTIONS);
            outbound.flushAndClose();
            return;
        }
        LOG.debug("{} - Client connection created", logPrefix());
        schedulePingTimer();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // the decoder consumes all input; nothing reaches here
        io.netty.util.ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        close(ClosedReason.CLIENT_CLOSED, false);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("{} - read error: {}", logPrefix(), cause.getMessage());
        } else {
            LOG.error("{} - unexpected error, closing the connection", logPrefix(), cause);
        }
        close(ClosedReason.READ_ERROR, false);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!channel.isWritable()) {
            if (writeDeadlineTimer == null) {
                long deadline = config().writeDeadline().toMillis();
                writeDeadlineTimer = channel.eventLoop().schedule(this::checkWriteDeadline, deadline,
                        TimeUnit.MILLISECONDS);
            }
        } else if (writeDeadlineTimer != null) {
            writeDeadlineTimer.cancel(false);
            writeDeadlineTimer = null;
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void checkWriteDeadline() {
        writeDeadlineTimer = null;
        if (!channel.isWritable() && !closed) {
            LOG.info("{} - Slow Consumer Detected: WriteDeadline of {} exceeded", logPrefix(),
                    io.jetraft.server.util.GoDurations.format(config().writeDeadline()));
            context.stats().slowConsumers.increment();
            close(ClosedReason.SLOW_CONSUMER_WRITE_DEADLINE, false);
        }
    }

    /** Closes the connection for the node's shutdown; no -ERR, as nats-server. */
    public void closeForShutdown() {
        channel.eventLoop().execute(() -> close(ClosedReason.SERVER_SHUTDOWN, true));
    }

    /**
     * Closes the connection for the lame-duck drain without losing what is in flight on it. Its input is paused for
     * {@link #QUIET_MILLIS}, so the answers to what it sent before reach it; then its subscriptions leave, the node
     * ends its output (the client sees the end of the stream after the last answer, and reconnects elsewhere) and
     * reads on: what the client wrote meanwhile goes on through a {@link Departure}, its requests once the client's
     * reply inbox has interest on the node it moved to; what peers still route here for its inboxes goes on to that
     * node too ({@link DepartedInboxes}). No -ERR, as nats-server.
     */
    @Override
    public java.util.concurrent.CompletableFuture<Void> depart() {
        java.util.concurrent.CompletableFuture<Void> result = new java.util.concurrent.CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            if (stop != null || departure != null) {
                result.complete(null);
                return;
            }
            departure = new Departure(channel.eventLoop(), m -> context.dispatcher().dispatch(m, this, false),
                    context.dispatcher()::routeInterest);
            departure.done().whenComplete((v, err) -> result.complete(null));
            channel.config().setAutoRead(false);
            channel.eventLoop().schedule(this::endOutput, QUIET_MILLIS, TimeUnit.MILLISECONDS);
            channel.eventLoop().schedule(() -> close(ClosedReason.SERVER_SHUTDOWN, false), DEPARTURE_MAX_MILLIS,
                    TimeUnit.MILLISECONDS);
        });
        return result;
    }

    /** A departing connection: no more deliveries, subscriptions gone, output ended; input read again. */
    private void endOutput() {
        if (stop != null) {
            return;
        }
        closed = true;
        outputEnded = true;
        if (pingTimer != null) {
            pingTimer.cancel(false);
        }
        List<String> inboxes = new ArrayList<>();
        for (Subscription sub : subscriptions.values()) {
            context.unsubscribe(sub);
            if (DepartedInboxes.isInbox(sub.subject())) {
                inboxes.add(sub.subject());
            }
        }
        context.departed().departed(inboxes);
        subscriptions.clear();
        outbound.flushAndShutdownOutput();
        channel.config().setAutoRead(true);
    }

    /** Sends an async INFO (cluster changes, lame-duck mode) if this client takes them, as nats-server does. */
    public void sendAsyncInfo() {
        if (options.protocol() >= 1 && firstPongSent && !closed) {
            sendRaw(context.info().forClient(cid, ip, boundPort).getBytes(StandardCharsets.UTF_8));
        }
    }

    private void close(ClosedReason reason, boolean flushFirst) {
        if (stop != null) {
            return;
        }
        closed = true;
        stop = Instant.now();
        if (pingTimer != null) {
            pingTimer.cancel(false);
        }
        if (writeDeadlineTimer != null) {
            writeDeadlineTimer.cancel(false);
        }
        if (held != null) {
            held.close();
        }
        for (Subscription sub : subscriptions.values()) {
            context.unsubscribe(sub);
        }
        if (departure != null) {
            // the client went on to another node, or its time is up: a lame-duck close all the same
            reason = ClosedReason.SERVER_SHUTDOWN;
            departure.channelClosed();
        }
        ConnectionSnapshot last = snapshot(true, reason);
        subscriptions.clear();
        context.registry().unregister(this, last);
        if (flushFirst) {
            outbound.flushAndClose();
        } else {
            outbound.discard();
            channel.close();
        }
        LOG.debug("{} - Client connection closed: {}", logPrefix(), reason.text());
    }

    // ---- protocol operations (event loop) ----------------------------------------------------------------------

    @Override
    public void onConnect(String json) {
        ConnectOptions parsed;
        try {
            parsed = ConnectOptions.parse(json);
        } catch (IllegalArgumentException e) {
            LOG.error("{} - {}", logPrefix(), e.getMessage());
            close(ClosedReason.PROTOCOL_VIOLATION, false);
            return;
        }
        if (parsed.protocol() < 0 || parsed.protocol() > 1) {
            LOG.error("{} - {}", logPrefix(), ProtocolErrors.INVALID_CLIENT_PROTOCOL);
            sendErr(ProtocolErrors.INVALID_CLIENT_PROTOCOL);
            close(ClosedReason.BAD_CLIENT_PROTOCOL_VERSION, true);
            return;
        }
        if (parsed.noResponders() && !parsed.headers()) {
            LOG.error("{} - {}", logPrefix(), ProtocolErrors.NO_RESPONDERS_REQUIRES_HEADERS);
            sendErr(ProtocolErrors.NO_RESPONDERS_REQUIRES_HEADERS);
            close(ClosedReason.PROTOCOL_VIOLATION, true);
            return;
        }
        options = parsed;
        if (parsed.verbose()) {
            sendRaw(OK);
        }
    }

    @Override
    public void onPublish(InboundMessage message) {
        ConnectOptions opts = options;
        int size = message.totalLength();
        inMsgs++;
        inBytes += size;
        if (outputEnded) {
            departure.take(message);
            return;
        }
        if (opts.verbose()) {
            sendRaw(OK);
        }
        if (opts.pedantic() && !Subjects.isValidLiteralSubject(message.subject())) {
            sendErr(ProtocolErrors.INVALID_PUBLISH_SUBJECT);
        }
        if (held != null && held.holding() && context.leaderSubject().test(message.subject())) {
            // behind what is held already, so that this publisher's messages keep their order
            if (!held.hold(message)) {
                noOneTook(message);
            }
            return;
        }
        int delivered = context.dispatcher().dispatch(message, this, opts.echo());
        if (delivered == 0 && !(context.leaderSubject().test(message.subject()) && held().hold(message))) {
            noOneTook(message);
        }
    }

    /** The publishes of this connection held for a stream without a leader for the moment; made on first use. */
    private HeldPublishes held() {
        if (held == null) {
            held = new HeldPublishes(channel.eventLoop(),
                    m -> stop != null ? 0 : context.dispatcher().dispatch(m, this, options.echo()),
                    this::noOneTook);
        }
        return held;
    }

    private void noOneTook(InboundMessage message) {
        if (options.noResponders() && message.hasReply() && stop == null) {
            sendNoResponders(message);
        }
    }

    @Override
    public void onSubscribe(String subject, String queue, String sid) {
        if (outputEnded) {
            // leaving: the client subscribes again on the node it moves to
            return;
        }
        if (!Subjects.isValidSubscriptionSubject(subject)) {
            sendErr(ProtocolErrors.INVALID_SUBJECT);
            return;
        }
        if (!subscriptions.containsKey(sid)) {
            Subscription sub = new Subscription(this, subject, queue, sid);
            subscriptions.put(sid, sub);
            context.subscribe(sub);
        }
        if (options.verbose()) {
            sendRaw(OK);
        }
    }

    @Override
    public void onUnsubscribe(String sid, long max) {
        if (outputEnded) {
            return;
        }
        Subscription sub = subscriptions.get(sid);
        if (sub != null) {
            if (max > 0 && max > sub.deliveredCount()) {
                sub.setMaxMessages(max);
            } else {
                removeSubscription(sub);
            }
        }
        if (options.verbose()) {
            sendRaw(OK);
        }
    }

    @Override
    public void onPing() {
        sendRaw(PONG);
        if (!firstPongSent && options.protocol() >= 1) {
            firstPongSent = true;
        }
    }

    @Override
    public void onPong() {
        pingsOut = 0;
    }

    @Override
    public void onProtocolViolation(String clientError, String logDetail) {
        LOG.error("{} - {}", logPrefix(), logDetail);
        if (clientError == null) {
            close(ClosedReason.PARSE_ERROR, false);
            return;
        }
        sendErr(clientError);
        ClosedReason reason = switch (clientError) {
            case ProtocolErrors.MAX_PAYLOAD -> ClosedReason.MAX_PAYLOAD_EXCEEDED;
            case ProtocolErrors.MAX_CONTROL_LINE -> ClosedReason.MAX_CONTROL_LINE_EXCEEDED;
            default -> ClosedReason.PROTOCOL_VIOLATION;
        };
        close(reason, true);
    }

    @Override
    public boolean headersEnabled() {
        return options.headers();
    }

    @Override
    public int maxPayload() {
        return config().maxPayload().toIntCapped();
    }

    @Override
    public int maxControlLine() {
        return config().maxControlLine().toIntCapped();
    }

    /** Notes inbound activity (it postpones the server's PING); called once per read, not per message. */
    @Override
    public void onInputActivity() {
        lastActivityMillis = System.currentTimeMillis();
    }

    // ---- delivery (any thread) ---------------------------------------------------------------------------------

    @Override
    public boolean deliver(Subscription subscription, InboundMessage message) {
        if (closed) {
            return false;
        }
        boolean headers = message.hasHeaders() && options.headers();
        int dataSize = headers || !message.hasHeaders() ? message.totalLength() : message.payloadLength();
        byte[] sid = subscription.sidBytes();
        int size = MESSAGE_FRAMING + message.shownSubjectLength() + sid.length + message.replyLength() + dataSize;
        boolean flush = false;
        boolean slow = false;
        synchronized (outbound) {
            if (outbound.isDiscardedLocked()) {
                return false;
            }
            if (outbound.queuedLocked() + size > config().maxPending().bytes()) {
                slow = true;
            } else {
                ByteBuf b = outbound.bufferLocked(size);
                int before = b.writerIndex();
                b.writeBytes(headers ? HMSG : MSG);
                message.writeShownSubject(b);
                b.writeByte(' ');
                b.writeBytes(sid);
                b.writeByte(' ');
                if (message.hasReply()) {
                    message.writeReply(b);
                    b.writeByte(' ');
                }
                if (headers) {
                    writeDecimal(b, message.headerLength());
                    b.writeByte(' ');
                }
                writeDecimal(b, dataSize);
                b.writeBytes(CRLF);
                if (headers || !message.hasHeaders()) {
                    message.writeData(b);
                } else {
                    message.writePayload(b);
                }
                b.writeBytes(CRLF);
                outMsgs++;
                outBytes += dataSize;
                flush = outbound.commitLocked(b.writerIndex() - before, config().maxPending().bytes() / 2);
            }
        }
        if (slow) {
            slowConsumer();
            return false;
        }
        if (flush) {
            outbound.flushSoon();
        }
        return true;
    }

    @Override
    public boolean isCongested() {
        return outbound.isCongested();
    }

    @Override
    public void whenDrained(Runnable action) {
        outbound.whenDrained(action);
    }

    /** Stops reading this client's input until the congested receiver drains (back-pressure). */
    @Override
    public void stallUntilDrained(Subscriber congested) {
        if (!closed && congested != this) {
            stall.until(congested);
        }
    }

    @Override
    public void limitReached(Subscription subscription) {
        removeSubscription(subscription);
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    private void removeSubscription(Subscription sub) {
        if (subscriptions.remove(sub.sid(), sub)) {
            context.unsubscribe(sub);
        }
    }

    private void slowConsumer() {
        if (closed) {
            return;
        }
        closed = true;
        context.stats().slowConsumers.increment();
        LOG.info("{} - Slow Consumer Detected: MaxPending of {} Exceeded", logPrefix(), config().maxPending().bytes());
        channel.eventLoop().execute(() -> close(ClosedReason.SLOW_CONSUMER_PENDING_BYTES, false));
    }

    /** The 503 status nats-server sends to a requester whose request reached no one. */
    private void sendNoResponders(InboundMessage request) {
        String reply = request.reply();
        Subscription target = null;
        for (Subscription sub : subscriptions.values()) {
            if (Subjects.matches(sub.subject(), reply)) {
                target = sub;
                break;
            }
        }
        if (target == null) {
            return;
        }
        String headers = "NATS/1.0 503\r\nNats-Subject: " + request.subject() + "\r\n\r\n";
        int hlen = headers.getBytes(StandardCharsets.UTF_8).length;
        String frame = "HMSG " + reply + " " + target.sid() + " " + hlen + " " + hlen + "\r\n" + headers + "\r\n";
        sendRaw(frame.getBytes(StandardCharsets.UTF_8));
    }

    // ---- pings -------------------------------------------------------------------------------------------------

    private void schedulePingTimer() {
        long interval = Math.max(1, config().pingInterval().toMillis());
        // the first PING comes early (nats-server: min(ping_interval, 2s) plus up to 20%) to learn the client's RTT
        long first = Math.min(interval, 2000);
        first += ThreadLocalRandom.current().nextLong(first / 5 + 1);
        pingTimer = channel.eventLoop().scheduleWithFixedDelay(this::pingTick, first, interval, TimeUnit.MILLISECONDS);
    }

    private void pingTick() {
        if (closed) {
            return;
        }
        long interval = config().pingInterval().toMillis();
        if (System.currentTimeMillis() - lastActivityMillis < interval) {
            // the client sent something within the interval: it is alive, no PING needed (as nats-server)
            return;
        }
        if (pingsOut + 1 > config().pingMaxOut()) {
            LOG.debug("{} - Stale Client Connection - Closing", logPrefix());
            sendErr(ProtocolErrors.STALE_CONNECTION);
            close(ClosedReason.STALE_CONNECTION, true);
            return;
        }
        pingsOut++;
        sendRaw(PING);
    }

    // ---- output helpers ----------------------------------------------------------------------------------------

    void sendErr(String text) {
        sendRaw(("-ERR '" + text + "'\r\n").getBytes(StandardCharsets.UTF_8));
    }

    private void sendRaw(byte[] bytes) {
        if (outputEnded) {
            return;
        }
        outbound.send(bytes, config().maxPending().bytes() / 2);
    }

    private static void writeDecimal(ByteBuf b, int value) {
        if (value < 10) {
            b.writeByte('0' + value);
            return;
        }
        int digits = 1;
        for (int v = value / 10; v > 0; v /= 10) {
            digits++;
        }
        int at = b.writerIndex();
        b.ensureWritable(digits);
        for (int i = digits - 1; i >= 0; i--) {
            b.setByte(at + i, '0' + value % 10);
            value /= 10;
        }
        b.writerIndex(at + digits);
    }

    String logPrefix() {
        return ip + ":" + port + " - cid:" + cid;
    }

    // ---- monitoring --------------------------------------------------------------------------------------------

    public ConnectionSnapshot snapshot(boolean withSubscriptions) {
        return snapshot(withSubscriptions, null);
    }

    private ConnectionSnapshot snapshot(boolean withSubscriptions, ClosedReason reason) {
        long outM;
        long outB;
        long pending;
        synchronized (outbound) {
            outM = outMsgs;
            outB = outBytes;
            pending = outbound.queuedLocked();
        }
        List<String> subs = new ArrayList<>();
        if (withSubscriptions) {
            for (Subscription s : subscriptions.values()) {
                subs.add(s.subject());
            }
        }
        ConnectOptions o = options;
        return new ConnectionSnapshot(cid, ip, port, start, Instant.ofEpochMilli(lastActivityMillis), pending,
                inMsgs, outM, inBytes, outB, subscriptions.size(), subs, o.name(), o.lang(), o.version(), stop,
                reason == null ? null : reason.text());
    }

    public int subscriptionCount() {
        return subscriptions.size();
    }
}
