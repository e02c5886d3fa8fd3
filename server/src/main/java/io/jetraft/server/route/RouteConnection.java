package io.jetraft.server.route;

import io.jetraft.server.dispatch.Publisher;
import io.jetraft.server.dispatch.RouteTarget;
import io.jetraft.server.outbound.Outbound;
import io.jetraft.server.outbound.ReadStall;
import io.jetraft.server.protocol.InboundMessage;
import io.jetraft.server.protocol.RouteProtocolHandler;
import io.jetraft.server.subject.Subscriber;
import io.jetraft.server.subject.Subscription;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One route to a peer node: the INFO handshake, the peer's interest (its RS+ as subscriptions in this node's subject
 * index, with this route as their receiver), messages both ways, and keep-alive PINGs. Created for accepted and for
 * solicited connections alike; {@link ClusterRoutes} decides whether a handshake is admitted.
 */
public final class RouteConnection extends ChannelInboundHandlerAdapter
        implements RouteProtocolHandler, Subscriber, RouteTarget, Publisher {

    private static final Logger LOG = LoggerFactory.getLogger(RouteConnection.class);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] PING = "PING\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PONG = "PONG\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final long HANDSHAKE_TIMEOUT_MILLIS = 5000;
    private static final long STALL_MAX_MILLIS = 25;
    private static final int FRAMING = 32;
    private static final long RETIRE_GRACE_MILLIS = 2000;

    /** Where a route is in its life. */
    enum State { HANDSHAKE, ACTIVE, CLOSED }

    private final ClusterRoutes cluster;
    private final Channel channel;
    private final Outbound outbound;
    private final ReadStall stall;
    private final URI solicitedUrl;
    private final long rid;
    private final Instant start = Instant.now();
    private final ConcurrentHashMap<String, Subscription> remoteInterest = new ConcurrentHashMap<>();

    private volatile State state = State.HANDSHAKE;
    /** Replaced by a newer route to the same peer: it takes nothing more in or out, and is closing. */
    private volatile boolean retired;
    /** The route that replaced this one: what a dispatch already bound for this route goes there instead. */
    private volatile RouteConnection successor;
    /**
     * Interest taken over from the route this one replaced, not yet confirmed by the peer's own RS+ on this route;
     * what is still unconfirmed at the peer's first PONG (which follows its whole interest) leaves the index.
     */
    private final java.util.Set<String> unconfirmed = new java.util.HashSet<>(); // guarded by remoteInterest
    private volatile boolean awaitingSnapshotPong;
    private volatile RouteInfo remote;
    private volatile long lastActivityMillis = System.currentTimeMillis();
    private ScheduledFuture<?> handshakeTimer;
    private ScheduledFuture<?> pingTimer;
    private int pingsOut;
    private long inMsgs;
    private long inBytes;
    // guarded by the outbound monitor
    private long outMsgs;
    private long outBytes;

    RouteConnection(ClusterRoutes cluster, Channel channel, URI solicitedUrl, long rid) {
        this.cluster = cluster;
        this.channel = channel;
        this.outbound = new Outbound(channel);
        this.stall = new ReadStall(channel, STALL_MAX_MILLIS);
        this.solicitedUrl = solicitedUrl;
        this.rid = rid;
    }

    long rid() {
        return rid;
    }

    boolean isSolicited() {
        return solicitedUrl != null;
    }

    URI solicitedUrl() {
        return solicitedUrl;
    }

    RouteInfo remote() {
        return remote;
    }

    State state() {
        return state;
    }

    String describe() {
        InetSocketAddress a = (InetSocketAddress) channel.remoteAddress();
        String where = a == null ? "?" : a.getAddress().getHostAddress() + ":" + a.getPort();
        RouteInfo r = remote;
        return where + " - rid:" + rid + (r == null ? "" : " - \"" + r.serverName() + "\"");
    }

    // ---- lifecycle -------------------------------------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        send(cluster.localInfo().toProtocol().getBytes(StandardCharsets.UTF_8));
        handshakeTimer = channel.eventLoop().schedule(() -> {
            if (state == State.HANDSHAKE) {
                LOG.warn("{} - route handshake timed out (no valid INFO within {} ms), closing", describe(),
                        HANDSHAKE_TIMEOUT_MILLIS);
                close();
            }
        }, HANDSHAKE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        close();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("{} - route read error: {}", describe(), cause.getMessage());
        } else {
            LOG.error("{} - route error, closing", describe(), cause);
        }
        close();
    }

    /** Closes the route; its peer's interest leaves the index. Any thread. */
    void close() {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(this::close);
            return;
        }
        if (state == State.CLOSED) {
            return;
        }
        State was = state;
        state = State.CLOSED;
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (pingTimer != null) {
            pingTimer.cancel(false);
        }
        synchronized (remoteInterest) {
            for (Subscription sub : remoteInterest.values()) {
                cluster.index().remove(sub);
            }
            remoteInterest.clear();
        }
        outbound.flushAndClose();
        cluster.routeClosed(this, was == State.ACTIVE);
    }

    // ---- protocol (event loop) ---------------------------------------------------------------------------------

    @Override
    public void onInfo(String json) {
        lastActivityMillis = System.currentTimeMillis();
        RouteInfo info;
        try {
            info = RouteInfo.parse(json);
        } catch (IllegalArgumentException e) {
            LOG.error("{} - {}, closing", describe(), e.getMessage());
            close();
            return;
        }
        if (state == State.HANDSHAKE) {
            remote = info;
            // when admitted, this route is ACTIVE on return (made so by admit, in the same step as it took over the
            // interest of a route it replaced)
            String refusal = cluster.admit(this, info);
            if (refusal != null) {
                send(("-ERR '" + refusal + "'\r\n").getBytes(StandardCharsets.UTF_8));
                close();
                return;
            }
            handshakeTimer.cancel(false);
            if (awaitingSnapshotPong) {
                // the peer answers only after it has sent us its whole interest on this route
                send(PING);
            }
            long interval = Math.max(1, cluster.pingInterval().toMillis());
            pingTimer = channel.eventLoop().scheduleWithFixedDelay(this::pingTick, interval, interval,
                    TimeUnit.MILLISECONDS);
            cluster.routeActive(this);
        } else if (state == State.ACTIVE) {
            if (!info.serverId().equals(remote.serverId())) {
                LOG.error("{} - route INFO changed server id, closing", describe());
                close();
                return;
            }
            remote = info;
            cluster.routeUpdated(this);
        }
    }

    @Override
    public void onConnect(String json) {
        // nats-server's route CONNECT carries nothing jetraft needs beyond the INFO
        lastActivityMillis = System.currentTimeMillis();
    }

    @Override
    public void onRemoteSubscribe(String subject, String queue) {
        String key = queue == null ? subject : subject + " " + queue;
        synchronized (remoteInterest) {
            if (state != State.ACTIVE || retired) {
                return;
            }
            unconfirmed.remove(key);
            remoteInterest.computeIfAbsent(key, k -> {
                Subscription sub = new Subscription(this, subject, queue, "");
                if (!cluster.index().insert(sub)) {
                    LOG.warn("{} - ignoring interest in invalid subject \"{}\"", describe(), subject);
                    return null;
                }
                return sub;
            });
        }
    }

    @Override
    public void onRemoteUnsubscribe(String subject, String queue) {
        String key = queue == null ? subject : subject + " " + queue;
        synchronized (remoteInterest) {
            if (retired) {
                return;
            }
            unconfirmed.remove(key);
            Subscription sub = remoteInterest.remove(key);
            if (sub != null) {
                cluster.index().remove(sub);
            }
        }
    }

    /**
     * Makes this newly admitted route the peer's route, taking over the interest of the route it replaces (null when
     * it replaces none). Called by the cluster under its lock. From then on the old route hands what it is given to this one (a dispatch may have matched it just before); each of
     * its subscriptions is then put in the index under this route before the old one leaves, so a message published
     * meanwhile reaches the peer once, over this route, and none finds the peer without interest. What the old route
     * held that the peer no longer wants leaves at the peer's first PONG on this route.
     */
    void activate(RouteConnection replaced) {
        state = State.ACTIVE;
        if (replaced == null) {
            return;
        }
        synchronized (replaced.remoteInterest) {
            replaced.successor = this;
            replaced.retired = true;
            synchronized (remoteInterest) {
                for (Map.Entry<String, Subscription> e : replaced.remoteInterest.entrySet()) {
                    Subscription old = e.getValue();
                    Subscription sub = new Subscription(this, old.subject(), old.queue(), "");
                    if (remoteInterest.putIfAbsent(e.getKey(), sub) == null && cluster.index().insert(sub)) {
                        unconfirmed.add(e.getKey());
                    }
                    cluster.index().remove(old);
                }
                replaced.remoteInterest.clear();
                awaitingSnapshotPong = true;
            }
        }
    }

    /**
     * Ends a route replaced by {@link #activate}: what is queued goes out, then this side ends (TCP FIN) while it
     * keeps reading, so messages the peer sent on it before it moved to the new route are still delivered. The peer
     * ends its side when it replaces the route too, which closes it here; a peer that never does is closed after
     * {@link #RETIRE_GRACE_MILLIS}. Any thread.
     */
    void retire() {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(this::retire);
            return;
        }
        if (state == State.CLOSED) {
            return;
        }
        if (pingTimer != null) {
            pingTimer.cancel(false);
        }
        outbound.flushAndShutdownOutput();
        channel.eventLoop().schedule(this::close, RETIRE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** At the peer's first PONG after a replacement: interest it did not send again on this route leaves. */
    private void dropUnconfirmed() {
        synchronized (remoteInterest) {
            awaitingSnapshotPong = false;
            for (String key : List.copyOf(unconfirmed)) {
                Subscription sub = remoteInterest.remove(key);
                if (sub != null) {
                    cluster.index().remove(sub);
                }
            }
            unconfirmed.clear();
        }
    }

    @Override
    public void onRoutedMessage(InboundMessage message, List<String> queues) {
        // a retired route still delivers what the peer sent on it before it moved to the successor: the peer sends
        // each message on one route only, so this is its only copy
        if (state != State.ACTIVE) {
            return;
        }
        inMsgs++;
        inBytes += message.totalLength();
        if (cluster.dispatcher().dispatchRouted(message, queues, this) == 0) {
            cluster.unclaimed(message);
        }
    }

    @Override
    public void onPing() {
        lastActivityMillis = System.currentTimeMillis();
        send(PONG);
    }

    @Override
    public void onPong() {
        lastActivityMillis = System.currentTimeMillis();
        pingsOut = 0;
        if (awaitingSnapshotPong) {
            dropUnconfirmed();
        }
    }

    @Override
    public void onPeerError(String text) {
        if (text.contains("route to self") || text.contains("duplicate route")) {
            LOG.debug("{} - peer closes the route: {}", describe(), text);
        } else {
            LOG.info("{} - peer refused the route: {}", describe(), text);
        }
        close();
    }

    @Override
    public void onProtocolViolation(String error, String logDetail) {
        LOG.error("{} - {}, closing the route", describe(), logDetail);
        close();
    }

    @Override
    public int maxPayload() {
        return cluster.maxPayload();
    }

    private void pingTick() {
        if (state != State.ACTIVE || retired) {
            return;
        }
        if (pingsOut + 1 > cluster.pingMaxOut()) {
            LOG.warn("{} - Stale Route Connection - Closing", describe());
            close();
            return;
        }
        pingsOut++;
        send(PING);
    }

    // ---- output ------------------------------------------------------------------------------------------------

    void send(byte[] bytes) {
        outbound.send(bytes, cluster.maxPending() / 2);
    }

    /** RS+ / RS- for one local interest key. */
    void sendInterest(String subject, String queue, boolean add) {
        StringBuilder sb = new StringBuilder(subject.length() + 16).append(add ? "RS+ $G " : "RS- $G ").append(subject);
        if (queue != null) {
            sb.append(' ').append(queue);
            if (add) {
                sb.append(" 1");
            }
        }
        send(sb.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean sendRouted(InboundMessage message, List<String> queues) {
        if (retired) {
            // a dispatch that matched this route's interest just before it moved to the successor
            RouteConnection next = successor;
            return next != null && next.sendRouted(message, queues);
        }
        if (state != State.ACTIVE) {
            return false;
        }
        boolean headers = message.hasHeaders();
        int queueBytes = 0;
        for (String q : queues) {
            queueBytes += q.length() + 1;
        }
        int size = FRAMING + message.subjectLength() + message.shownSubjectLength() + message.replyLength()
                + queueBytes * 3 + message.totalLength();
        boolean flush;
        synchronized (outbound) {
            if (outbound.isDiscardedLocked()) {
                return false;
            }
            if (outbound.queuedLocked() + size > cluster.maxPending()) {
                LOG.warn("{} - route is a slow consumer ({} bytes pending), closing", describe(),
                        outbound.queuedLocked());
                channel.eventLoop().execute(this::close);
                return false;
            }
            ByteBuf b = outbound.bufferLocked(size);
            int before = b.writerIndex();
            if (message.hasDeliverAs()) {
                // jetraft's own form for JetStream deliveries: routed by the first subject, shown as the second
                b.writeCharSequence(headers ? "HDMSG $G " : "DMSG $G ", StandardCharsets.US_ASCII);
                message.writeSubject(b);
                b.writeByte(' ');
                message.writeDeliverAs(b);
            } else {
                b.writeCharSequence(headers ? "HRMSG $G " : "RMSG $G ", StandardCharsets.US_ASCII);
                message.writeSubject(b);
            }
            b.writeByte(' ');
            if (!queues.isEmpty()) {
                if (message.hasReply()) {
                    b.writeByte('+').writeByte(' ');
                    message.writeReply(b);
                    b.writeByte(' ');
                } else {
                    b.writeByte('|').writeByte(' ');
                }
                for (String q : queues) {
                    b.writeCharSequence(q, StandardCharsets.UTF_8);
                    b.writeByte(' ');
                }
            } else if (message.hasReply()) {
                message.writeReply(b);
                b.writeByte(' ');
            }
            if (headers) {
                b.writeCharSequence(Integer.toString(message.headerLength()), StandardCharsets.US_ASCII);
                b.writeByte(' ');
            }
            b.writeCharSequence(Integer.toString(message.totalLength()), StandardCharsets.US_ASCII);
            b.writeBytes(CRLF);
            message.writeData(b);
            b.writeBytes(CRLF);
            outMsgs++;
            outBytes += message.totalLength();
            flush = outbound.commitLocked(b.writerIndex() - before, cluster.maxPending() / 2);
        }
        if (flush) {
            outbound.flushSoon();
        }
        return true;
    }

    // ---- Subscriber: the peer's interest lives in the index with this route as receiver ------------------------

    @Override
    public boolean deliver(Subscription subscription, InboundMessage message) {
        // routes are reached through sendRouted, once per message; the dispatcher never calls this
        return false;
    }

    @Override
    public void limitReached(Subscription subscription) {
        // remote interest has no auto-unsubscribe limit
    }

    @Override
    public RouteTarget current() {
        RouteConnection next = successor;
        return retired && next != null ? next.current() : this;
    }

    @Override
    public boolean isOpen() {
        return state == State.ACTIVE && !retired;
    }

    @Override
    public boolean isCongested() {
        return outbound.isCongested();
    }

    @Override
    public void whenDrained(Runnable action) {
        outbound.whenDrained(action);
    }

    @Override
    public void queueUnserved(InboundMessage message, String queue) {
        cluster.queueUnserved(message, queue);
    }

    @Override
    public void stallUntilDrained(Subscriber congested) {
        if (congested != this) {
            stall.until(congested);
        }
    }

    // ---- monitoring --------------------------------------------------------------------------------------------

    RouteSnapshot snapshot() {
        long om;
        long ob;
        long pending;
        synchronized (outbound) {
            om = outMsgs;
            ob = outBytes;
            pending = outbound.queuedLocked();
        }
        InetSocketAddress a = (InetSocketAddress) channel.remoteAddress();
        RouteInfo r = remote;
        return new RouteSnapshot(rid, r == null ? "" : r.serverId(), r == null ? "" : r.serverName(),
                isSolicited(), isSolicited(), a == null ? "" : a.getAddress().getHostAddress(),
                a == null ? 0 : a.getPort(), start, Instant.ofEpochMilli(lastActivityMillis), pending, inMsgs, om,
                inBytes, ob, List.copyOf(remoteInterest.keySet()));
    }
}
