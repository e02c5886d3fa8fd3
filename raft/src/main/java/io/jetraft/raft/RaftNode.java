package io.jetraft.raft;

import io.jetraft.raft.group.GroupStateMachine;
import io.jetraft.raft.health.HealthReader;
import io.jetraft.raft.meta.MetaStateMachine;
import io.jetraft.raft.meta.MetaView;
import io.jetraft.raft.stream.DetachedStateMachine;
import io.jetraft.raft.stream.StreamGroupStateMachine;
import io.jetraft.storage.AppliedIndex;
import io.jetraft.storage.NodeStore;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.stream.Stream;

/**
 * One node's Raft layer: the owner of its Ratis server (gRPC), the threads around it and its named parts. The server
 * hosts the meta group over all cluster peers and a few stream groups per replica set, each carrying many streams;
 * their state machines apply committed entries to the node's store. The parts: {@link #meta()} (streams, consumers,
 * placement), {@link #streams()} (the streams' proposals and reads, through their groups), {@link #leadership()}
 * (hand-off and elections), {@link #health()}; inside, a reconciler adds and removes this node's stream groups as the
 * meta state says, the leader duties bring a led group in line with the meta state and expire messages, and a
 * balancer hands each group back to its preferred leader. Nothing here knows the NATS protocol.
 *
 * <p>Proposals return futures: completed with a {@link Result} once the entry is committed and applied (a JetStream
 * error is a {@link Result.Refused}), or exceptionally with a {@link ProposalFailedException} when the Raft layer
 * cannot get it through. Callers must not block an event loop on them.
 */
public final class RaftNode implements AutoCloseable {

    static {
        if (!CommonPool.atLeastTwoThreads()) {
            LoggerFactory.getLogger(RaftNode.class).warn("the JVM's common fork-join pool has fewer than two threads "
                    + "(it was used before jetraft could size it): Ratis will start a thread per asynchronous task; "
                    + "set -D{}=2", CommonPool.PARALLELISM);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);

    /** The meta group's id: the same on every node and every start. */
    static final RaftGroupId META_GROUP =
            RaftGroupId.valueOf(UUID.nameUUIDFromBytes("jetraft/meta".getBytes(StandardCharsets.UTF_8)));

    /** The node's life; only {@link #start} and {@link #shutdown} move it. */
    enum Life { RUNNING, CLOSING, CLOSED }

    private final RaftNodeConfig config;
    private final RaftPeerId self;
    private final NodeStore store;
    private final MetaView view = new MetaView();
    private final StreamLocator locator = new StreamLocator(view);
    private final ScheduledExecutorService scheduler;
    private final ExecutorService io;
    private final ExecutorService eventThread;
    /** Starts the transfers of a lame-duck move in parallel (a transfer's start blocks briefly in Ratis). */
    private final ExecutorService transferStarters;
    /** Proposes the stream groups' batched entries (GroupCommit), so no publisher or apply thread waits on Ratis. */
    private final ExecutorService proposing;
    private final NodeEvents events;
    private final AtomicReference<Life> life = new AtomicReference<>(Life.RUNNING);
    private RaftServer server;
    private Divisions divisions;
    private Proposer proposer;
    private GroupReconciler reconciler;
    private HealthView health;
    private StreamGroups streams;
    private MetaGroup meta;
    private LeadershipHandOff handOff;
    private GroupBalancer balancer;
    private LeaderDuties duties;
    private volatile RaftServerCloser closer;

    private RaftNode(RaftNodeConfig config) {
        this.config = config;
        this.self = RaftPeerId.valueOf(config.name());
        this.store = config.store();
        String n = config.name();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(named("jetraft-raft-timer-" + n));
        this.io = Executors.newFixedThreadPool(4, named("jetraft-raft-io-" + n));
        this.eventThread = Executors.newSingleThreadExecutor(named("jetraft-raft-events-" + n));
        this.transferStarters = Executors.newFixedThreadPool(4, named("jetraft-raft-transfer-" + n));
        this.proposing = Executors.newFixedThreadPool(2, named("jetraft-raft-propose-" + n));
        this.events = new NodeEvents(n, eventThread);
    }

    /**
     * Starts the node's Ratis server on its directories: every group found there (meta and stream groups) is
     * recovered and rejoins its peers by itself. A new node hosts nothing until {@code meta().bootstrap}.
     */
    public static RaftNode start(RaftNodeConfig config) throws IOException {
        RaftNode node = new RaftNode(config);
        try {
            node.open();
        } catch (IOException | RuntimeException e) {
            node.shutdown(config.timing().closeTimeout());
            throw e;
        }
        return node;
    }

    private void open() throws IOException {
        long started = System.nanoTime();
        Path dir = config.raftDirectory();
        Files.createDirectories(dir);
        recoverMetaRecords(dir);
        view.load(store.metaRecords());
        RatisMetricsReporting.keepOutOfJmx();
        server = RaftServer.newBuilder()
                .setServerId(self)
                .setProperties(RatisProperties.server(config))
                .setStateMachineRegistry(this::stateMachineFor)
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        divisions = new Divisions(server, META_GROUP);
        // retries run on a timer of the proposer's own: it outlives the Raft server while its last writes finish
        proposer = new Proposer(divisions, new GrpcFactory(new Parameters()).newRaftClientRpc(ClientId.randomId(),
                RatisProperties.client(config)), config.timing(),
                Executors.newSingleThreadScheduledExecutor(named("jetraft-proposer-retry-" + config.name())));
        health = new HealthView(divisions, new HealthReader(config.timing().currentWithin(),
                config.timing().maxCurrentLag()));
        // a group commit is at most half the largest Raft entry
        streams = new StreamGroups(locator, divisions, proposer, health, io, proposing,
                config.log().maxEntrySize().bytes() / 2);
        handOff = new LeadershipHandOff(config, divisions, health, proposer, transferStarters);
        reconciler = new GroupReconciler(server, META_GROUP, view, store, this::metaCaughtUp, handOff::groupAdded,
                divisions::forget);
        meta = new MetaGroup(config, divisions, proposer, view, streams, health, io, () -> {
            handOff.groupAdded(META_GROUP);
            reconciler.request();
        });
        handOff.recordPreferredLeadersWith(meta::setPreferredLeader);
        balancer = new GroupBalancer(config, divisions, locator, health, handOff, System::nanoTime);
        duties = new LeaderDuties(config.name(), divisions, locator, streams, this::metaCaughtUp,
                () -> proposer.readBarrier(GroupName.META, META_GROUP), config.clock());
        events.onMetaChanged(reconciler::request);
        events.onLeaderReady(g -> {
            if (!g.isMeta()) {
                io.execute(runningOnly(duties::reconcile));
            }
        });
        server.start();
        LeaderWarmUp.startInBackground(RatisProperties.server(config));
        reconciler.start();
        LostLogRecovery lostLogs = new LostLogRecovery(server, RatisProperties.client(config),
                config.timing().electionTimeoutMax().multipliedBy(2), config.timing().currentWithin(), io,
                System::nanoTime);
        long every = config.timing().electionTimeoutMin().toMillis();
        repeat(lostLogs::check, every, "lost-log check");
        repeat(duties::expire, 1000, "expiry");
        repeat(() -> io.execute(runningOnly(duties::reconcile)), 2000, "leader duties");
        repeat(balancer::check, 1000, "leader balance");
        LOG.info("Raft node {} listening on {}: {} group(s) recovered from {}, {} stream(s) in {} stream group(s) in "
                        + "the meta state, in {} ms", config.name(), config.raftAddress(), count(server.getGroupIds()),
                dir, view.get().streams().size(), view.get().groups().size(),
                (System.nanoTime() - started) / 1_000_000);
    }

    /** Runs {@code task} every {@code everyMs} on the timer while the node runs; a failure is logged and skipped. */
    private void repeat(Runnable task, long everyMs, String what) {
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                runningOnly(task).run();
            } catch (RuntimeException e) {
                LOG.debug("{}: {} failed: {}", config.name(), what, e.toString());
            }
        }, everyMs, everyMs, TimeUnit.MILLISECONDS);
    }

    private Runnable runningOnly(Runnable task) {
        return () -> {
            if (life.get() == Life.RUNNING) {
                task.run();
            }
        };
    }

    private static int count(Iterable<?> items) {
        int n = 0;
        for (Object ignored : items) {
            n++;
        }
        return n;
    }

    /** A meta snapshot newer than the store's meta records (the store was lost or restored): load it first. */
    private void recoverMetaRecords(Path dir) throws IOException {
        Path sm = dir.resolve(META_GROUP.getUuid().toString()).resolve("sm");
        if (!Files.isDirectory(sm)) {
            return;
        }
        Path latest = null;
        long term = 0;
        long index = -1;
        try (Stream<Path> files = Files.list(sm)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Matcher m = SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(p.getFileName().toString());
                if (m.matches() && Long.parseLong(m.group(2)) > index) {
                    term = Long.parseLong(m.group(1));
                    index = Long.parseLong(m.group(2));
                    latest = p;
                }
            }
        }
        if (latest != null && store.metaRecords().appliedIndex().index() < index) {
            MetaStateMachine.restore(store, latest, AppliedIndex.of(term, index));
        }
    }

    private StateMachine stateMachineFor(RaftGroupId gid) {
        if (gid.equals(META_GROUP)) {
            return new MetaStateMachine(store, view, events, config.clock(), config.random(),
                    config.timing().currentWithin(), config.groupsPerReplicaSet());
        }
        String id = gid.getUuid().toString();
        if (view.get().group(id).isEmpty()) {
            return new DetachedStateMachine();
        }
        return new StreamGroupStateMachine(id, store, events, config.clock());
    }

    private boolean metaCaughtUp() {
        RaftServer.Division d = divisions.meta();
        if (d == null) {
            return false;
        }
        var info = d.getInfo();
        return info.isAlive() && info.getLeaderId() != null
                && info.getLastAppliedIndex() >= d.getRaftLog().getLastCommittedIndex();
    }

    // ================================================================== the parts

    public String name() {
        return config.name();
    }

    /** Brings the stream groups this node leads in line with its meta state now, on the calling thread (tests). */
    void reconcileLedGroups() {
        duties.reconcile();
    }

    /** The meta group: forming it, streams, consumers. */
    public MetaGroup meta() {
        return meta;
    }

    /** The streams, through the stream groups that carry them. */
    public StreamGroups streams() {
        return streams;
    }

    /** Leadership hand-off (lame-duck mode, step-down) and elections. */
    public LeadershipHandOff leadership() {
        return handOff;
    }

    /** Health and leaders of the groups hosted here. */
    public HealthView health() {
        return health;
    }

    public void addLeaderListener(LeaderListener l) {
        events.add(l);
    }

    public void removeLeaderListener(LeaderListener l) {
        events.remove(l);
    }

    /**
     * Peers that must not be handed stream groups by the balancer (the server layer knows which peers are offline or
     * in lame-duck mode); by default none.
     */
    public void avoidPeers(Predicate<String> unavailable) {
        balancer.avoid(unavailable);
    }

    /** This node's division of a group (tests). */
    RaftServer.Division division(GroupName group) {
        return divisions.get(group);
    }

    StreamLocator locator() {
        return locator;
    }

    /** Attempts of this node's forwarded writes that found their stream to a peer closed (tests). */
    long closedStreamAttempts() {
        return proposer.closedStreamAttempts();
    }

    GroupReconciler reconciler() {
        return reconciler;
    }

    RaftServer server() {
        return server;
    }

    RaftNodeConfig config() {
        return config;
    }

    // ================================================================== close

    @Override
    /** Closes everything, waiting (under the close timeout) until Ratis has let go of every file. */
    public void close() {
        shutdown(config.timing().closeTimeout());
        shutdown(config.timing().closeTimeout());
    }

    /**
     * Closes the Raft groups and the server, waiting at most {@code watchdog} for Ratis (its close waits for pending
     * applies). Returns once the Raft port is closed and every group has stopped applying (Ratis lets go of its log
     * files in the background: a second call waits for that too, as the store's owner must before closing the
     * store); false when the watchdog fired first.
     */
    public boolean shutdown(Duration watchdog) {
        if (!life.compareAndSet(Life.RUNNING, Life.CLOSING)) {
            RaftServerCloser c = closer;
            boolean done = c == null || c.awaitClosed(watchdog);
            if (proposer != null) {
                proposer.close();
            }
            life.set(Life.CLOSED);
            return done;
        }
        long started = System.nanoTime();
        if (reconciler != null) {
            reconciler.close();
        }
        if (proposer != null) {
            // what this node forwarded to other leaders (a lame-duck node's last publishes) still gets its answer:
            // the proposer closes once that is in, in the background, at the latest after the proposal timeout
            proposer.closeWhenAnswered(config.timing().proposalTimeout());
        }
        boolean clean = true;
        if (server != null) {
            List<GroupStateMachine> machines = new ArrayList<>();
            for (RaftServer.Division d : divisions.all().values()) {
                if (d.getStateMachine() instanceof GroupStateMachine g) {
                    machines.add(g);
                }
            }
            closer = new RaftServerCloser(config.name(), config.raftAddress(), server, machines);
            clean = closer.closeGroups(watchdog);
        }
        scheduler.shutdownNow();
        io.shutdownNow();
        transferStarters.shutdownNow();
        // drains already scheduled still run (each group's queue goes out through the closing proposer); newer
        // ones run on the thread that asks (GroupCommit)
        proposing.shutdown();
        eventThread.shutdown();
        LOG.info("Raft node {}: port closed and {} group(s) stopped in {} ms", config.name(),
                server == null ? 0 : count(server.getGroupIds()), (System.nanoTime() - started) / 1_000_000);
        return clean;
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
