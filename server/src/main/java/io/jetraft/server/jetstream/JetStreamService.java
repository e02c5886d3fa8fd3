package io.jetraft.server.jetstream;

import io.jetraft.config.JetStreamConfig;
import io.jetraft.config.ServerConfig;
import io.jetraft.raft.GroupName;
import io.jetraft.raft.LeaderChange;
import io.jetraft.raft.Peer;
import io.jetraft.raft.RaftNode;
import io.jetraft.raft.RaftNodeConfig;
import io.jetraft.raft.StreamAssignment;
import io.jetraft.raft.health.GroupHealth;
import io.jetraft.raft.transfer.TransferReport;
import io.jetraft.server.internal.InternalClient;
import io.jetraft.server.internal.InternalMessage;
import io.jetraft.server.route.ClusterRoutes;
import io.jetraft.server.route.PeerNode;
import io.jetraft.server.subject.SubjectIndex;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.StoreOptions;
import io.jetraft.storage.StreamStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JetStream on this node: owns the node's store and Raft node, forms the meta group once every configured peer is
 * known (through the routes), answers the $JS.API on every node, and runs the streams this node leads (their
 * publishes and consumers). Stopped in the lame-duck order: leaderships moved, stream layer stopped, Raft closed.
 */
public final class JetStreamService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("jetraft");
    private static final Duration TICK = Duration.ofMillis(50);

    private final ServerConfig config;
    private final String serverName;
    private final String raftAddress;
    private final InternalClient internal;
    private final SubjectIndex index;
    private final ClusterRoutes routes;
    private final ExecutorService pool;
    private final ScheduledExecutorService timer;
    private final Map<String, LedStream> led = new ConcurrentHashMap<>();
    private final AtomicBoolean metaBootstrapped = new AtomicBoolean();
    private final AtomicLong apiTotal = new AtomicLong();
    private final AtomicLong apiErrors = new AtomicLong();
    private volatile boolean streamLayerStopped;
    /** The stops of the streams this node led when its stream layer stopped (they run on each stream's executor). */
    private final List<CompletableFuture<Void>> stopping = new java.util.concurrent.CopyOnWriteArrayList<>();
    private NodeStore store;
    private RaftNode raft;
    private JsApi api;
    private volatile StreamSubjects streamSubjects;
    private static final String PULL_PREFIX = "$JS.API.CONSUMER.MSG.NEXT.";
    private volatile InternalClient.InternalSubscription apiSubscription;
    /**
     * Requests a node in lame-duck mode relays for its clients ({@code $JSR.API.<$JS.API subject>}), served by one
     * node of the queue group; every node that serves the API is in it.
     */
    /** The queue group in which a stream's leader subscribes the stream's subjects (see {@link LedStream#start}). */
    public static final String LEADER_QUEUE = "jetraft-stream-leader";
    private static final String RELAY_PREFIX = "$JSR.API.";
    private static final String RELAY_QUEUE = "jetraft-api-relay";
    private volatile InternalClient.InternalSubscription relaySubscription;
    private AwaitingLeader awaitingLeader;

    public JetStreamService(ServerConfig config, String serverName, String raftAddress, InternalClient internal,
                            SubjectIndex index, ClusterRoutes routes) {
        this.config = config;
        this.serverName = serverName;
        this.raftAddress = raftAddress;
        this.internal = internal;
        this.index = index;
        this.routes = routes;
        this.pool = Executors.newFixedThreadPool(2, named("jetstream"));
        this.timer = Executors.newSingleThreadScheduledExecutor(named("jetstream-timer"));
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /**
     * Opens the store and starts the Raft node (binding its port): called before the node opens any client,
     * monitoring or route port, so that a node that cannot have its store or Raft port opens none of them.
     */
    public void open() {
        JetStreamConfig js = config.jetstream();
        long t0 = System.nanoTime();
        store = NodeStore.open(StoreOptions.from(js));
        try {
            RaftPort.ensureFree(raftAddress);
            // Ratis exits the JVM when its gRPC server cannot start; jetraft reports that and stops in order instead
            org.apache.ratis.util.ExitUtils.disableSystemExit();
            // sync_interval: always (the default) fsyncs the Raft log before an entry counts as written; a duration
            // lets Ratis count it written before its fsync, as nats-server's lazy sync acknowledges before it
            RaftNodeConfig raftConfig = RaftNodeConfig.of(serverName, raftAddress, store, js.storeDir().resolve("raft"));
            raft = RaftNode.start(raftConfig.withLog(raftConfig.log().withSync(js.syncAlways()
                    ? io.jetraft.raft.LogSync.FSYNC_BEFORE_ACK : io.jetraft.raft.LogSync.UNSAFE_ACK_BEFORE_FSYNC))
                    .withGroupsPerReplicaSet(js.groupsPerReplicaSet().orElse(0)));
        } catch (IOException | RuntimeException e) {
            store.close();
            store = null;
            throw RaftPort.startFailed(raftAddress, e);
        }
        // at once: Ratis elects recovered groups by itself and a leadership heard of before this is not told again
        api = new JsApi(this);
        streamSubjects = new StreamSubjects(raft.meta()::streams);
        raft.addLeaderListener(new io.jetraft.raft.LeaderListener() {
            @Override
            public void leaderChanged(LeaderChange change) {
                JetStreamService.this.leaderChanged(change);
            }

            @Override
            public void streamsChanged(GroupName group) {
                reconcileLedStreams();
            }
        });
        // the balancer never hands a stream group to a peer that is offline or leaving
        raft.avoidPeers(this::isOffline);
        LOG.info("Starting JetStream: store {}, Raft {} ({} ms)", js.storeDir().toAbsolutePath(), raftAddress,
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** Starts answering the API once {@link #open} has run; the meta group forms once peers are known. */
    public void start() {
        awaitingLeader = new AwaitingLeader(index, internal, timer, () -> apiSubscription);
        apiSubscription = internal.subscribeAfterOthers("$JS.API.>", pool, (m, others) -> {
            if (m.subject().startsWith(PULL_PREFIX)) {
                // served by the stream leader's own subscription; held here when none took it
                if (others == 0) {
                    awaitingLeader.offer(m);
                }
            } else {
                api.handle(m);
            }
        });
        if (routes != null) {
            relaySubscription = internal.subscribe(RELAY_PREFIX + ">", RELAY_QUEUE, true, pool, m -> api.handle(
                    new InternalMessage(m.subject().substring(RELAY_PREFIX.length()), m.reply(), m.headers(),
                            m.data())));
        }
        timer.scheduleWithFixedDelay(this::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        if (routes == null) {
            bootstrap(List.of(new Peer(serverName, raftAddress)));
        } else {
            routes.onPeersChanged(this::peersChanged);
            peersChanged();
        }
    }

    /** Forms the meta group once every configured route is resolved (connected, or found to be this node). */
    private void peersChanged() {
        if (metaBootstrapped.get() || !routes.allConfiguredRoutesResolved()) {
            return;
        }
        List<Peer> peers = new ArrayList<>();
        peers.add(new Peer(serverName, raftAddress));
        for (PeerNode p : routes.peers()) {
            if (p.raftAddress() == null || p.raftAddress().isEmpty()) {
                LOG.warn("Peer {} does not announce a Raft address (is JetStream on there?)", p.serverName());
                return;
            }
            peers.add(new Peer(p.serverName(), p.raftAddress()));
        }
        peers.sort(Comparator.comparing(Peer::name));
        bootstrap(peers);
    }

    private void bootstrap(List<Peer> peers) {
        if (!metaBootstrapped.compareAndSet(false, true)) {
            return;
        }
        LOG.info("Forming the JetStream meta group with {}", peers);
        raft.meta().bootstrap(peers).whenComplete((v, err) -> {
            if (err != null) {
                LOG.error("Could not form the JetStream meta group: {}", err.toString());
                metaBootstrapped.set(false);
            }
        });
    }

    // ---- leadership --------------------------------------------------------------------------------------------

    private volatile InternalClient.InternalSubscription metaForward;

    private void leaderChanged(LeaderChange change) {
        if (change.group().isMeta()) {
            reconcileMetaForward(change.local());
            return;
        }
        reconcileLedStreams();
    }

    /** The meta leader answers the requests other nodes forward to it ($JSR.META.>); nobody else does. */
    private synchronized void reconcileMetaForward(boolean leads) {
        if (leads && metaForward == null && !streamLayerStopped) {
            metaForward = internal.subscribe("$JSR.META.>", null, true, pool, m -> api.handleMetaForwarded(m));
        } else if (!leads && metaForward != null) {
            metaForward.close();
            metaForward = null;
        }
    }

    /**
     * Runs a {@link LedStream} for exactly the streams this node leads now (the streams of the stream groups it leads
     * and serves): started for new ones, stopped for those that went. Level-triggered: on every leadership or stream
     * change of a group, and on every tick.
     */
    private synchronized void reconcileLedStreams() {
        if (streamLayerStopped || raft == null) {
            return;
        }
        java.util.Set<String> want = raft.streams().ledHere();
        for (String stream : want) {
            led.computeIfAbsent(stream, s -> {
                Optional<StoreAndAssignment> sa = storeAndAssignment(s);
                if (sa.isEmpty()) {
                    return null;
                }
                LedStream l = new LedStream(s, this, new SerialExecutor(pool), sa.get().store());
                l.executor().execute(() -> l.start(sa.get().assignment()));
                return l;
            });
        }
        for (String stream : List.copyOf(led.keySet())) {
            if (!want.contains(stream)) {
                LedStream l = led.remove(stream);
                if (l != null) {
                    l.executor().execute(l::stop);
                }
            }
        }
    }

    private record StoreAndAssignment(StreamStore store, StreamAssignment assignment) {
    }

    private Optional<StoreAndAssignment> storeAndAssignment(String stream) {
        Optional<StreamAssignment> a = raft.meta().stream(stream);
        Optional<StreamStore> s = raft.streams().localStore(stream);
        if (a.isEmpty() || s.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new StoreAndAssignment(s.get(), a.get()));
    }

    private void tick() {
        for (LedStream l : led.values()) {
            try {
                l.executor().execute(l::tick);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        }
        // streams that joined or left a group led here, or a leadership this node gained or lost (also one gained
        // before the listener was registered)
        reconcileLedStreams();
        reconcileMetaForward(raft.meta().isLeader());
    }

    // ---- what the parts share ----------------------------------------------------------------------------------

    RaftNode raft() {
        return raft;
    }

    NodeStore store() {
        return store;
    }

    InternalClient internal() {
        return internal;
    }

    String serverName() {
        return serverName;
    }

    String domain() {
        return config.jetstream().domain() == null ? "" : config.jetstream().domain();
    }

    ServerConfig config() {
        return config;
    }

    boolean clustered() {
        return routes != null;
    }

    /** Whether a published subject is stored by a stream (false until JetStream has opened). */
    public boolean storesSubject(String subject) {
        StreamSubjects s = streamSubjects;
        return s != null && s.stored(subject);
    }

    /**
     * A message for a stream's leader (a consumer ack) that a peer routed here for a leader that has stopped here
     * meanwhile: to the new leader, now or once there is one.
     */
    public void forwardToLeader(String subject, String reply, byte[] headers, byte[] data) {
        AwaitingLeader a = awaitingLeader;
        if (a != null) {
            a.forward(new InternalMessage(subject, reply, headers, data));
        }
    }

    /**
     * A publish a peer routed to this node's stream leader subscription after it closed (the leader stopped): to
     * the stream's new leader alone, now or once there is one ({@link AwaitingLeader#forwardToQueue}).
     */
    public void forwardPublishToLeader(String subject, String reply, byte[] headers, byte[] data) {
        AwaitingLeader a = awaitingLeader;
        if (a != null && storesSubject(subject)) {
            a.forwardToQueue(new InternalMessage(subject, reply, headers, data), LEADER_QUEUE);
        }
    }

    /** Where messages for a stream leader that met a leadership change wait for the new one. */
    AwaitingLeader awaitingLeader() {
        return awaitingLeader;
    }

    boolean hasInterest(String subject) {
        return index.hasInterest(subject);
    }

    JsApi api() {
        return api;
    }

    /** Whether a peer told us it is going away (lame-duck mode) or is not connected. */
    boolean isOffline(String peer) {
        if (routes == null || peer.equals(serverName)) {
            return false;
        }
        return routes.peers().stream().noneMatch(p -> p.serverName().equals(peer) && !p.offline());
    }

    LedStream ledStream(String stream) {
        return led.get(stream);
    }

    void countApi(boolean error) {
        apiTotal.incrementAndGet();
        if (error) {
            apiErrors.incrementAndGet();
        }
    }

    public long apiTotal() {
        return apiTotal.get();
    }

    public long apiErrors() {
        return apiErrors.get();
    }

    /**
     * Why this node's JetStream is not healthy, in nats-server's words for /healthz, or empty when it is: the meta
     * group formed and current, every stream replica here current.
     */
    public Optional<String> healthProblem() {
        if (streamLayerStopped) {
            return Optional.of("JetStream is shutting down");
        }
        if (!metaBootstrapped.get()) {
            return Optional.of("JetStream has not established contact with a meta leader");
        }
        Optional<GroupHealth> meta = metaHealth();
        if (meta.isEmpty()) {
            return Optional.of("JetStream meta layer is not running");
        }
        if (meta.get().halt().isPresent()) {
            return Optional.of("JetStream meta layer apply error: " + meta.get().halt().get());
        }
        if (meta.get().leader().isEmpty()) {
            return Optional.of("JetStream has not established contact with a meta leader");
        }
        if (!currentOrApplying(meta.get())) {
            return Optional.of("JetStream is not current with the meta leader");
        }
        for (GroupHealth g : health()) {
            List<String> streams = g.group().isMeta() ? List.of() : raft.streams().streamsOf(g.group());
            if (streams.isEmpty()) {
                continue;
            }
            if (g.halt().isPresent()) {
                return Optional.of("JetStream stream '$G > " + streams.get(0) + "' is not current: group node "
                        + "unhealthy (" + describe(g.group(), streams) + " stopped applying at index "
                        + g.halt().get().index() + ": " + g.halt().get().reason() + ")");
            }
            if (!currentOrApplying(g)) {
                return Optional.of("JetStream stream '$G > " + streams.get(0) + "' is not current: stream "
                        + "catching up (" + describe(g.group(), streams) + ")");
            }
        }
        return Optional.empty();
    }

    /**
     * Whether this node's replica of {@code g} is current, or, as nats-server's forward progress, a follower that
     * hears from its leader and is applying what it is behind by: sampled again after {@link #PROGRESS_SAMPLE_MILLIS}
     * ms. A follower applying the entry just committed (a stream or consumer just created) is not unhealthy.
     */
    private boolean currentOrApplying(GroupHealth g) {
        if (g.current()) {
            return true;
        }
        if (g.role() != GroupHealth.Role.FOLLOWER) {
            return false;
        }
        try {
            Thread.sleep(PROGRESS_SAMPLE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        Optional<GroupHealth> later = raft.health().health(g.group());
        if (later.isEmpty()) {
            return false;
        }
        GroupHealth now = later.get();
        boolean hearsLeader = now.leader().flatMap(now::replica).map(r -> r.current()).orElse(false);
        return now.current() || (hearsLeader && now.appliedIndex() > g.appliedIndex());
    }

    private static final long PROGRESS_SAMPLE_MILLIS = 20;

    /** A stream group and the streams it carries, for operators: "stream group 1a2b3c4d (A, B and 3 more)". */
    static String describe(GroupName group, List<String> streams) {
        String names = streams.size() <= 3 ? String.join(", ", streams)
                : String.join(", ", streams.subList(0, 3)) + " and " + (streams.size() - 3) + " more";
        return group + " with stream" + (streams.size() == 1 ? " " : "s ") + names;
    }

    /** Health of every Raft group on this node (for /healthz, /jsz and reports). */
    public List<GroupHealth> health() {
        return raft == null ? List.of() : raft.health().all();
    }

    public Optional<GroupHealth> metaHealth() {
        return raft == null ? Optional.empty() : raft.health().health(GroupName.META);
    }

    public RaftNode raftNode() {
        return raft;
    }

    public NodeStore nodeStore() {
        return store;
    }

    public boolean isMetaFormed() {
        return metaBootstrapped.get();
    }

    // ---- lame duck ---------------------------------------------------------------------------------------------

    /** Lame-duck step 2: every leadership moved to a current follower within the bound; never elected again. */
    public TransferReport transferLeadership(Duration bound) {
        AwaitingLeader a = awaitingLeader;
        if (a != null) {
            a.keepAcksUntilClosed();
        }
        raft.leadership().pauseElections();
        return raft.leadership().transferAll(bound);
    }

    /**
     * A graceful shutdown's first step: every leadership moved within the bound and this node not elected again, as
     * in lame-duck step 2; nothing when the stream layer has stopped already (lame-duck mode did this). Never
     * throws: a shutdown goes on whatever happens here.
     */
    public void handOffBeforeShutdown(Duration bound) {
        if (streamLayerStopped || raft == null) {
            return;
        }
        try {
            transferLeadership(bound);
        } catch (RuntimeException e) {
            LOG.warn("leadership transfer before shutdown failed: {}", e.toString());
        }
    }

    /**
     * Lame-duck step 3: no more API answers, publishes or deliveries from this node. The API requests of clients
     * still connected here go on to another node (one of the relay queue group), which answers them through the
     * routes: before, they heard "no responders" until their connection closed, though other nodes led the streams.
     */
    public void stopStreamLayer() {
        boolean first = !streamLayerStopped;
        streamLayerStopped = true;
        if (relaySubscription != null) {
            relaySubscription.close();
            relaySubscription = null;
        }
        InternalClient.InternalSubscription own = apiSubscription;
        if (own != null && first) {
            if (routes != null) {
                apiSubscription = internal.subscribe("$JS.API.>", null, false, pool, m -> {
                    if (!m.subject().startsWith(PULL_PREFIX) && m.reply() != null && !m.reply().isEmpty()) {
                        internal.publish(RELAY_PREFIX + m.subject(), m.reply(), m.headers(), m.data());
                    }
                });
            }
            own.close();
        }
        synchronized (this) {
            if (metaForward != null) {
                metaForward.close();
                metaForward = null;
            }
        }
        for (LedStream l : led.values()) {
            stopping.add(CompletableFuture.runAsync(l::stop, l.executor()));
        }
        led.clear();
    }

    /**
     * Lets the acks and pulls held for a new stream leader go out before JetStream closes (the routes close after
     * it), waiting at most {@code maxNanos}: the streams this node led stop first, and what reaches them after
     * that is held too. A lame-duck leader closes ~40 ms after its hand-off, often before the new leader's
     * subscription has reached it, and everything still held was dropped: a consumer on another node lost the
     * acks of a whole fetched batch (its messages stayed pending for ack_wait).
     */
    private void forwardHeldBeforeClosing(long maxNanos) {
        long deadline = System.nanoTime() + maxNanos;
        try {
            CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new))
                    .get(maxNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.debug("stopping the streams this node led: {}", e.toString());
        }
        AwaitingLeader a = awaitingLeader;
        if (a != null) {
            int left = a.awaitSent(deadline);
            if (left > 0) {
                LOG.info("{} message(s) for stream leaders found no leader before JetStream closed; dropped", left);
            }
        }
    }

    /** Lame-duck step 4: the Raft groups and server, under a watchdog. */
    public boolean stopRaft(Duration watchdog) {
        if (raft == null) {
            return true;
        }
        return raft.shutdown(watchdog);
    }


    @Override
    public void close() {
        stopStreamLayer();
        InternalClient.InternalSubscription relay = apiSubscription;
        if (relay != null) {
            relay.close();
        }
        forwardHeldBeforeClosing(AwaitingLeader.NO_WAIT_HOLD_NANOS);
        timer.shutdownNow();
        if (raft != null) {
            // all of it, Raft's log files too (lame-duck step 4 returned once the groups had stopped)
            raft.close();
        }
        pool.shutdown();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (store != null) {
            store.close();
        }
        LOG.info("JetStream Shutdown");
    }

}
