package io.jetraft.server.route;

import io.jetraft.config.ClusterConfig;
import io.jetraft.config.HostPort;
import io.jetraft.config.ServerConfig;
import io.jetraft.server.dispatch.Dispatcher;
import io.jetraft.server.node.EventLoops;
import io.jetraft.server.node.LiveConfig;
import io.jetraft.server.node.NodeIdentity;
import io.jetraft.server.protocol.RouteProtocolDecoder;
import io.jetraft.server.subject.InterestListener;
import io.jetraft.server.subject.SubjectIndex;
import io.jetraft.server.subject.Subscription;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's part of the cluster mesh: the cluster listener, one solicitor per configured route (reconnecting with
 * back-off), the admitted routes by peer, the local interest every peer is told of (RS+/RS- on the first and last
 * local subscription of a subject), and the client URLs of all live nodes (connect_urls).
 */
public final class ClusterRoutes implements InterestListener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("jetraft");
    private static final long RECONNECT_MIN_MILLIS = 200;
    private static final long RECONNECT_MAX_MILLIS = 2000;

    private final LiveConfig config;
    private final NodeIdentity identity;
    private final EventLoops loops;
    private final SubjectIndex index;
    private final Dispatcher dispatcher;
    private final Supplier<List<String>> ownClientUrls;
    private final Consumer<List<String>> connectUrlsChanged;
    private final String raftAddress;
    private final boolean jetstream;
    private final AtomicLong nextRid = new AtomicLong();
    private final Map<String, RouteConnection> routes = new HashMap<>();
    private final Map<String, int[]> localInterest = new HashMap<>();
    private final List<Solicitor> solicitors = new ArrayList<>();
    private final List<Runnable> peerListeners = new CopyOnWriteArrayList<>();
    private volatile boolean lameDuck;
    private volatile boolean offline;
    private volatile boolean closed;
    private volatile List<String> connectUrls = List.of();
    /** Gets a routed message that no local subscription took (see {@link #onUnclaimed}). */
    private volatile Consumer<io.jetraft.server.protocol.InboundMessage> unclaimed = m -> { };
    private volatile BiConsumer<io.jetraft.server.protocol.InboundMessage, String> queueUnserved = (m, q) -> { };
    private Channel listener;
    private volatile int boundPort;

    public ClusterRoutes(LiveConfig config, NodeIdentity identity, EventLoops loops, SubjectIndex index,
                         Dispatcher dispatcher, Supplier<List<String>> ownClientUrls,
                         Consumer<List<String>> connectUrlsChanged, String raftAddress, boolean jetstream) {
        this.config = config;
        this.identity = identity;
        this.loops = loops;
        this.index = index;
        this.dispatcher = dispatcher;
        this.ownClientUrls = ownClientUrls;
        this.connectUrlsChanged = connectUrlsChanged;
        this.raftAddress = raftAddress;
        this.jetstream = jetstream;
    }

    private ClusterConfig cluster() {
        return config.get().cluster().orElseThrow();
    }

    /** Binds the cluster port and starts soliciting the configured routes. */
    public void start() {
        HostPort listen = cluster().listen();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.acceptors(), loops.workers())
                .channel(loops.serverChannelType())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        install(ch, null);
                    }
                });
        listener = io.jetraft.server.node.Binding.bind(bootstrap, listen, "cluster port");
        boundPort = ((InetSocketAddress) listener.localAddress()).getPort();
        LOG.info("Cluster name is {}", cluster().name());
        LOG.info("Listening for route connections on {}:{}", listen.host(), boundPort);
        recomputeConnectUrls();
        for (URI url : cluster().routes()) {
            Solicitor s = new Solicitor(url);
            synchronized (this) {
                solicitors.add(s);
            }
            s.connectSoon(0);
        }
    }

    public int port() {
        return boundPort;
    }

    private RouteConnection install(SocketChannel ch, URI solicitedUrl) {
        RouteConnection route = new RouteConnection(this, ch, solicitedUrl, nextRid.incrementAndGet());
        ch.pipeline().addLast("decoder", new RouteProtocolDecoder(route));
        ch.pipeline().addLast("route", route);
        return route;
    }

    // ---- what routes read --------------------------------------------------------------------------------------

    RouteInfo localInfo() {
        HostPort listen = cluster().listen();
        return new RouteInfo(identity.serverId(), identity.serverName(), NodeIdentity.NATS_COMPATIBLE_VERSION,
                cluster().name(), listen.host(), boundPort, lameDuck ? List.of() : ownClientUrls.get(), raftAddress,
                jetstream, lameDuck, offline);
    }

    SubjectIndex index() {
        return index;
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    /**
     * Who gets a message a peer routed here that no local subscription took any more: the peer sent it for
     * interest that left meanwhile (a stream leader that stopped leading), so it would be lost here.
     */
    public void onUnclaimed(Consumer<io.jetraft.server.protocol.InboundMessage> handler) {
        this.unclaimed = handler;
    }

    void unclaimed(io.jetraft.server.protocol.InboundMessage message) {
        unclaimed.accept(message);
    }

    /**
     * Who gets a message a peer routed here for one of its queue groups that has no member here any more (a stream
     * leader's publish subscription, closed as it stopped leading): the peer chose this node's member and sent it
     * to no other, so it would be lost here. The message is valid only during the call.
     */
    public void onQueueUnserved(BiConsumer<io.jetraft.server.protocol.InboundMessage, String> handler) {
        this.queueUnserved = handler;
    }

    void queueUnserved(io.jetraft.server.protocol.InboundMessage message, String queue) {
        queueUnserved.accept(message, queue);
    }

    int maxPayload() {
        return config.get().maxPayload().toIntCapped();
    }

    long maxPending() {
        return config.get().maxPending().bytes();
    }

    Duration pingInterval() {
        return config.get().pingInterval();
    }

    int pingMaxOut() {
        return config.get().pingMaxOut();
    }

    // ---- handshake ---------------------------------------------------------------------------------------------

    /** Decides whether a route whose INFO arrived may join; returns the refusal, or null when admitted. */
    synchronized String admit(RouteConnection route, RouteInfo info) {
        if (closed) {
            return "server shutting down";
        }
        if (info.serverId().equals(identity.serverId())) {
            if (route.isSolicited()) {
                LOG.info("Detected route to self, ignoring \"{}\"", route.solicitedUrl());
            }
            solicitorFor(route).ifPresent(Solicitor::stopAsSelf);
            return "route to self";
        }
        if (!info.cluster().equals(cluster().name())) {
            LOG.error("Rejecting route from {}: cluster name \"{}\" does not match \"{}\"", route.describe(),
                    info.cluster(), cluster().name());
            return "cluster name \"" + info.cluster() + "\" does not match \"" + cluster().name() + "\"";
        }
        if (info.serverName().equals(identity.serverName())) {
            LOG.error("Rejecting route from {}: remote server has a duplicate name: \"{}\"", route.describe(),
                    info.serverName());
            return "Remote server has a duplicate name: \"" + info.serverName() + "\"";
        }
        for (RouteConnection other : routes.values()) {
            if (other.remote().serverName().equals(info.serverName())
                    && !other.remote().serverId().equals(info.serverId())) {
                LOG.error("Rejecting route from {}: remote server has a duplicate name: \"{}\"", route.describe(),
                        info.serverName());
                return "Remote server has a duplicate name: \"" + info.serverName() + "\"";
            }
        }
        RouteConnection existing = routes.get(info.serverId());
        if (existing != null) {
            // both nodes may have dialled each other: keep the route dialled by the node with the smaller id, so
            // both ends keep the same one
            String smaller = identity.serverId().compareTo(info.serverId()) < 0 ? identity.serverId()
                    : info.serverId();
            String existingDialer = existing.isSolicited() ? identity.serverId() : info.serverId();
            String newDialer = route.isSolicited() ? identity.serverId() : info.serverId();
            if (existingDialer.equals(smaller) || !newDialer.equals(smaller)) {
                LOG.debug("Duplicate route to \"{}\", keeping rid:{}", info.serverName(), existing.rid());
                return "duplicate route";
            }
            LOG.debug("Duplicate route to \"{}\", replacing rid:{} with rid:{}", info.serverName(), existing.rid(),
                    route.rid());
            routes.put(info.serverId(), route);
            route.activate(existing);
            existing.retire();
            return null;
        }
        routes.put(info.serverId(), route);
        route.activate(null);
        return null;
    }

    /** A route finished its handshake: tell it our interest, and everyone the new topology. */
    void routeActive(RouteConnection route) {
        LOG.info("Route connection created: {} ({} route)", route.describe(), route.isSolicited() ? "solicited"
                : "accepted");
        synchronized (this) {
            for (String key : localInterest.keySet()) {
                int space = key.indexOf(' ');
                route.sendInterest(space < 0 ? key : key.substring(0, space),
                        space < 0 ? null : key.substring(space + 1), true);
            }
        }
        solicitorFor(route).ifPresent(s -> s.connected(route));
        topologyChanged();
    }

    void routeUpdated(RouteConnection route) {
        topologyChanged();
    }

    void routeClosed(RouteConnection route, boolean wasActive) {
        boolean removed;
        synchronized (this) {
            RouteInfo remote = route.remote();
            removed = remote != null && routes.get(remote.serverId()) == route;
            if (removed) {
                routes.remove(remote.serverId());
            }
        }
        if (wasActive && removed) {
            LOG.info("Route connection closed: {}", route.describe());
            topologyChanged();
        }
        solicitorFor(route).ifPresent(s -> s.disconnected(route));
        if (!closed) {
            // a refused duplicate may be what resolves a configured route: let listeners look again
            peerListeners.forEach(Runnable::run);
        }
    }

    private java.util.Optional<Solicitor> solicitorFor(RouteConnection route) {
        if (!route.isSolicited()) {
            return java.util.Optional.empty();
        }
        synchronized (this) {
            return solicitors.stream().filter(s -> s.url.equals(route.solicitedUrl())).findFirst();
        }
    }

    private void topologyChanged() {
        if (closed) {
            // a node going down does not tell its clients the cluster shrank to itself
            return;
        }
        recomputeConnectUrls();
        peerListeners.forEach(Runnable::run);
    }

    private void recomputeConnectUrls() {
        TreeSet<String> urls = new TreeSet<>();
        if (!lameDuck) {
            urls.addAll(ownClientUrls.get());
        }
        synchronized (this) {
            for (RouteConnection r : routes.values()) {
                RouteInfo info = r.remote();
                if (info != null && !info.lameDuck()) {
                    urls.addAll(info.connectUrls());
                }
            }
        }
        List<String> next = List.copyOf(urls);
        if (!next.equals(connectUrls)) {
            connectUrls = next;
            connectUrlsChanged.accept(next);
        }
    }

    // ---- interest ----------------------------------------------------------------------------------------------

    @Override
    public void added(Subscription subscription) {
        String key = key(subscription);
        synchronized (this) {
            int[] count = localInterest.computeIfAbsent(key, k -> new int[1]);
            if (count[0]++ == 0) {
                routes.values().forEach(r -> r.sendInterest(subscription.subject(), subscription.queue(), true));
            }
        }
    }

    @Override
    public void removed(Subscription subscription) {
        String key = key(subscription);
        synchronized (this) {
            int[] count = localInterest.get(key);
            if (count != null && --count[0] == 0) {
                localInterest.remove(key);
                routes.values().forEach(r -> r.sendInterest(subscription.subject(), subscription.queue(), false));
            }
        }
    }

    private static String key(Subscription s) {
        return s.queue() == null ? s.subject() : s.subject() + " " + s.queue();
    }

    // ---- what the node asks ------------------------------------------------------------------------------------

    public List<String> connectUrls() {
        return connectUrls;
    }

    /**
     * Whether every configured route leads to a known node: connected now (dialled by either side) or found to be
     * this node. Then {@link #peers()} is the whole cluster, as the configuration describes it.
     */
    public synchronized boolean allConfiguredRoutesResolved() {
        return solicitors.stream().allMatch(Solicitor::resolved);
    }

    public synchronized List<PeerNode> peers() {
        List<PeerNode> out = new ArrayList<>();
        for (RouteConnection r : routes.values()) {
            RouteInfo i = r.remote();
            out.add(new PeerNode(i.serverName(), i.serverId(), i.raftAddress(), i.lameDuck(), i.offline()));
        }
        return out;
    }

    /** Runs the listener (on a route thread) whenever a peer comes, goes or changes its INFO. */
    public void onPeersChanged(Runnable listener) {
        peerListeners.add(listener);
    }

    public synchronized List<RouteSnapshot> snapshots() {
        return routes.values().stream().map(RouteConnection::snapshot).toList();
    }

    public synchronized int size() {
        return routes.size();
    }

    /** Lame-duck step 1: tell every peer at once that this node is going offline (no new clients, no leader). */
    public void announceOffline() {
        offline = true;
        sendInfoToPeers();
    }

    /** Lame-duck step 6: tell every peer, which then stops advertising this node's client URLs. */
    public void announceLameDuck() {
        lameDuck = true;
        sendInfoToPeers();
        recomputeConnectUrls();
    }

    private void sendInfoToPeers() {
        byte[] info = localInfo().toProtocol().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        synchronized (this) {
            routes.values().forEach(r -> r.send(info));
        }
    }

    /** Stops listening and soliciting and closes every route. */
    @Override
    public void close() {
        List<RouteConnection> open;
        synchronized (this) {
            closed = true;
            solicitors.forEach(Solicitor::stop);
            open = new ArrayList<>(routes.values());
        }
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        open.forEach(RouteConnection::close);
    }

    /** Dials one configured route URL and redials it with back-off whenever it is not connected. */
    private final class Solicitor {
        private final URI url;
        private long backoff = RECONNECT_MIN_MILLIS;
        private boolean stopped;
        private boolean self;
        private String remoteId;

        Solicitor(URI url) {
            this.url = url;
        }

        void connectSoon(long delayMillis) {
            loops.workers().next().schedule(this::connect, delayMillis, TimeUnit.MILLISECONDS);
        }

        private void connect() {
            synchronized (ClusterRoutes.this) {
                if (stopped || closed || self) {
                    return;
                }
                if (remoteId != null && routes.containsKey(remoteId)) {
                    // the peer is already connected (it dialled us): look again later
                    connectSoon(RECONNECT_MAX_MILLIS);
                    return;
                }
            }
            Bootstrap b = new Bootstrap()
                    .group(loops.workers())
                    .channel(loops.socketChannelType())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            install(ch, url);
                        }
                    });
            b.connect(url.getHost(), url.getPort()).addListener(f -> {
                if (!f.isSuccess()) {
                    LOG.debug("Error trying to connect to route {}: {}", url, f.cause().getMessage());
                    retryLater();
                }
            });
        }

        private void retryLater() {
            long delay;
            synchronized (ClusterRoutes.this) {
                if (stopped || closed || self) {
                    return;
                }
                delay = backoff + ThreadLocalRandom.current().nextLong(backoff / 5 + 1);
                backoff = Math.min(RECONNECT_MAX_MILLIS, backoff * 2);
            }
            connectSoon(delay);
        }

        void connected(RouteConnection route) {
            synchronized (ClusterRoutes.this) {
                backoff = RECONNECT_MIN_MILLIS;
                if (route.remote() != null) {
                    remoteId = route.remote().serverId();
                }
            }
        }

        /** Connected now (by us or by the peer), or found to be this node. Call holding the cluster lock. */
        boolean resolved() {
            return self || (remoteId != null && routes.containsKey(remoteId));
        }

        void disconnected(RouteConnection route) {
            synchronized (ClusterRoutes.this) {
                if (route.remote() != null) {
                    remoteId = route.remote().serverId();
                }
            }
            retryLater();
        }

        void stopAsSelf() {
            self = true;
        }

        void stop() {
            stopped = true;
        }
    }

    /** The client URLs this node advertises: its bound client address, or every interface's for 0.0.0.0. */
    public static List<String> advertisedClientUrls(ServerConfig config, int clientPort) {
        String host = config.clientListen().host();
        if (!host.equals("0.0.0.0") && !host.equals("::")) {
            return List.of(host + ":" + clientPort);
        }
        List<String> urls = new ArrayList<>();
        try {
            for (java.net.NetworkInterface nic : java.util.Collections.list(
                    java.net.NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (java.net.InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
                    if (a instanceof java.net.Inet4Address) {
                        urls.add(a.getHostAddress() + ":" + clientPort);
                    }
                }
            }
        } catch (java.net.SocketException e) {
            LOG.debug("cannot list network interfaces: {}", e.getMessage());
        }
        if (urls.isEmpty()) {
            urls.add("127.0.0.1:" + clientPort);
        }
        return urls;
    }
}
