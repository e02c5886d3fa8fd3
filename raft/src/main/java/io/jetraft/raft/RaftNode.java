package io.jetraft.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jetraft.raft.ProposalFailedException.Reason;
import io.jetraft.raft.codec.EntryCodec;
import io.jetraft.raft.group.GroupStateMachine;
import io.jetraft.raft.group.RatisBytes;
import io.jetraft.raft.health.GroupHealth;
import io.jetraft.raft.health.HealthReader;
import io.jetraft.raft.meta.MetaStateMachine;
import io.jetraft.raft.meta.MetaView;
import io.jetraft.raft.proto.Acked;
import io.jetraft.raft.proto.AckedBatch;
import io.jetraft.raft.proto.AssignConsumer;
import io.jetraft.raft.proto.CreateConsumer;
import io.jetraft.raft.proto.CreateStream;
import io.jetraft.raft.proto.DeleteConsumer;
import io.jetraft.raft.proto.DeleteMessage;
import io.jetraft.raft.proto.DeleteStream;
import io.jetraft.raft.proto.Delivered;
import io.jetraft.raft.proto.DeliveredBatch;
import io.jetraft.raft.proto.MetaEntry;
import io.jetraft.raft.proto.MetaReply;
import io.jetraft.raft.proto.PublishBatch;
import io.jetraft.raft.proto.PublishMessage;
import io.jetraft.raft.proto.PublishResult;
import io.jetraft.raft.proto.Purge;
import io.jetraft.raft.proto.RemoveExpired;
import io.jetraft.raft.proto.StreamEntry;
import io.jetraft.raft.proto.StreamRecord;
import io.jetraft.raft.proto.StreamReply;
import io.jetraft.raft.proto.UnassignConsumer;
import io.jetraft.raft.proto.UpdateLimits;
import io.jetraft.raft.proto.UpdateStream;
import io.jetraft.raft.stream.DetachedStateMachine;
import io.jetraft.raft.stream.StreamStateMachine;
import io.jetraft.raft.transfer.GroupTransfer;
import io.jetraft.raft.transfer.LeadershipTransfer;
import io.jetraft.raft.transfer.TransferOutcome;
import io.jetraft.raft.transfer.TransferReport;
import io.jetraft.storage.Ack;
import io.jetraft.storage.AppliedIndex;
import io.jetraft.storage.Appended;
import io.jetraft.storage.Delivery;
import io.jetraft.storage.JsError;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.PurgeRequest;
import io.jetraft.storage.StreamLimits;
import io.jetraft.storage.StreamStore;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.LeaderElectionManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.JavaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.stream.Stream;

/**
 * One node's Raft layer: one Ratis server (gRPC) hosting the meta group over all cluster peers and one group per
 * stream on its replicas, their state machines applying committed entries to the node's store. Everything the server
 * layer needs goes through here: forming or joining the meta group, meta proposals (streams, consumers), stream
 * proposals (publish batches, deletes, purges, expiry, consumer deliveries and acks), current reads, leadership
 * (transfer, step-down, election pause, listeners), per-group health, and an orderly close under a watchdog. Nothing
 * here knows the NATS protocol.
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
    private final HealthReader healthReader;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService io;
    private final ExecutorService eventThread;
    /** Starts the transfers of a lame-duck move in parallel (a transfer's start blocks briefly in Ratis). */
    private final ExecutorService transferStarters;
    private final NodeEvents events;
    private final ClientId adminClientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final AtomicReference<Life> life = new AtomicReference<>(Life.RUNNING);
    private volatile boolean electionsPaused;
    private final Set<String> expiring = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private RaftServer server;
    private Proposer proposer;
    private GroupReconciler reconciler;

    private RaftNode(RaftNodeConfig config) {
        this.config = config;
        this.self = RaftPeerId.valueOf(config.name());
        this.store = config.store();
        this.healthReader = new HealthReader(config.timing().currentWithin(), config.timing().maxCurrentLag());
        String n = config.name();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(named("jetraft-raft-timer-" + n));
        this.io = Executors.newFixedThreadPool(4, named("jetraft-raft-io-" + n));
        this.eventThread = Executors.newSingleThreadExecutor(named("jetraft-raft-events-" + n));
        this.transferStarters = Executors.newFixedThreadPool(8, named("jetraft-raft-transfer-" + n));
        this.events = new NodeEvents(n, eventThread);
    }

    /**
     * Starts the node's Ratis server on its directories: every group found there (meta and streams) is recovered and
     * rejoins its peers by itself. A new node hosts nothing until {@link #bootstrapMeta}.
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
        proposer = new Proposer(server, new GrpcFactory(new Parameters()).newRaftClientRpc(ClientId.randomId(),
                RatisProperties.client(config)), config.timing(), scheduler);
        reconciler = new GroupReconciler(server, META_GROUP, view, store, this::metaCaughtUp, this::groupAdded);
        events.onMetaChanged(reconciler::request);
        events.onLeaderReady(this::leaderDuties);
        server.start();
        reconciler.start();
        LostLogRecovery lostLogs = new LostLogRecovery(server, RatisProperties.client(config),
                config.timing().electionTimeoutMax().multipliedBy(2), config.timing().currentWithin(), io,
                System::nanoTime);
        scheduler.scheduleWithFixedDelay(this::proposeExpiries, 1, 1, TimeUnit.SECONDS);
        long every = config.timing().electionTimeoutMin().toMillis();
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                lostLogs.check();
            } catch (RuntimeException e) {
                LOG.debug("{}: lost-log check failed: {}", config.name(), e.toString());
            }
        }, every, every, TimeUnit.MILLISECONDS);
        int groups = 0;
        for (RaftGroupId ignored : server.getGroupIds()) {
            groups++;
        }
        LOG.info("Raft node {} listening on {}: {} group(s) recovered from {}, {} stream(s) in the meta state, in {} "
                        + "ms", config.name(), config.raftAddress(), groups, dir, view.get().streams().size(),
                (System.nanoTime() - started) / 1_000_000);
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
                    config.timing().currentWithin());
        }
        Optional<StreamRecord> r = view.get().group(gid.getUuid().toString());
        if (r.isEmpty()) {
            return new DetachedStateMachine();
        }
        return new StreamStateMachine(r.get().getName(), r.get().getGroupId(),
                EntryCodec.limits(r.get().getInitialLimits()), store, events, config.clock());
    }

    public String name() {
        return config.name();
    }

    // ================================================================== the meta group

    /**
     * Forms or joins the meta group over {@code peers} (this node among them; every node must be given the same
     * peers). A node that hosts the meta group already (a restart: Ratis recovered it) rejoins as itself and this is
     * a no-op; different peers for an existing meta group are refused.
     */
    public CompletableFuture<Void> bootstrapMeta(List<Peer> peers) {
        Set<String> names = new HashSet<>();
        for (Peer p : peers) {
            if (!names.add(p.name())) {
                throw new IllegalArgumentException("the meta peers name '" + p.name() + "' twice: " + peers);
            }
        }
        Optional<Peer> me = peers.stream().filter(p -> p.name().equals(config.name())).findFirst();
        if (me.isEmpty()) {
            throw new IllegalArgumentException("the meta peers " + peers + " must include this node ("
                    + config.name() + ")");
        }
        if (!me.get().address().equals(config.raftAddress())) {
            throw new IllegalArgumentException("the meta peers give this node (" + config.name() + ") the address "
                    + me.get().address() + ", but it listens on " + config.raftAddress());
        }
        return CompletableFuture.runAsync(() -> joinMeta(peers), io);
    }

    private void joinMeta(List<Peer> peers) {
        RaftServer.Division existing = division(META_GROUP);
        if (existing == null) {
            List<RaftPeer> raftPeers = peers.stream()
                    .map(p -> RaftPeer.newBuilder().setId(p.name()).setAddress(p.address()).build()).toList();
            try {
                RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(adminClientId, self,
                        callIds.incrementAndGet(), RaftGroup.valueOf(META_GROUP, raftPeers), false));
                if (reply.isSuccess()) {
                    LOG.info("{}: joined the meta group with peers {}", config.name(), peers);
                    groupAdded(META_GROUP);
                    reconciler.request();
                    return;
                }
                if (!((Throwable) reply.getException() instanceof AlreadyExistsException)) {
                    throw new CompletionException(new IOException("cannot add the meta group on " + config.name()
                            + ": " + reply.getException(), reply.getException()));
                }
            } catch (IOException e) {
                if (!JavaUtils.isCausedBy(e, AlreadyExistsException.class)) {
                    throw new CompletionException(new IOException("cannot add the meta group on " + config.name()
                            + ": " + e.getMessage(), e));
                }
            }
            existing = division(META_GROUP);
        }
        Set<String> have = new HashSet<>();
        for (RaftPeer p : existing.getRaftConf().getCurrentPeers()) {
            have.add(p.getId() + "@" + p.getAddress());
        }
        Set<String> given = new HashSet<>();
        for (Peer p : peers) {
            given.add(p.name() + "@" + p.address());
        }
        if (!have.equals(given)) {
            throw new CompletionException(new IllegalStateException("the meta group exists on " + config.name()
                    + " with peers " + have + "; bootstrapMeta was given " + given + ". Changing the meta group's "
                    + "peers is not supported: give the peers it was formed with"));
        }
        LOG.info("{}: rejoined the meta group (peers {})", config.name(), peers);
    }

    /** The meta group's peers as this node knows them (empty before {@link #bootstrapMeta}). */
    public List<Peer> metaPeers() {
        RaftServer.Division d = division(META_GROUP);
        if (d == null) {
            return List.of();
        }
        return d.getRaftConf().getCurrentPeers().stream()
                .map(p -> new Peer(p.getId().toString(), p.getAddress())).toList();
    }

    /** Creates a stream (idempotent for the same configuration); the meta leader places its replicas. */
    public CompletableFuture<Result<StreamAssignment>> createStream(StreamSpec spec) {
        MetaEntry e = MetaEntry.newBuilder().setCreateStream(CreateStream.newBuilder()
                .setName(spec.name()).setReplicas(spec.replicas()).setLimits(EntryCodec.limits(spec.limits()))
                .setConfig(EntryCodec.bytes(spec.config()))).build();
        return proposeMeta(e).thenApply(r -> r.hasError() ? refused(r) : Result.ok(assignment(r)));
    }

    /**
     * Changes a stream's limits and configuration document (not its replicas or retention): a meta entry, then the
     * limits go through the stream's own log so every replica applies them at the same point.
     */
    public CompletableFuture<Result<StreamAssignment>> updateStream(StreamSpec spec) {
        MetaEntry e = MetaEntry.newBuilder().setUpdateStream(UpdateStream.newBuilder()
                .setName(spec.name()).setReplicas(spec.replicas()).setLimits(EntryCodec.limits(spec.limits()))
                .setConfig(EntryCodec.bytes(spec.config()))).build();
        return proposeMeta(e).thenCompose(r -> {
            if (r.hasError()) {
                return CompletableFuture.completedFuture(refused(r));
            }
            StreamRecord rec = r.getStream();
            StreamEntry limits = StreamEntry.newBuilder()
                    .setUpdateLimits(UpdateLimits.newBuilder().setLimits(rec.getLimits())).build();
            return proposeStream(rec, limits).thenApply(sr -> sr.hasError()
                    ? Result.<StreamAssignment>refused(EntryCodec.error(sr.getError()))
                    : Result.ok(EntryCodec.assignment(rec)));
        });
    }

    /** Deletes a stream: every replica removes its group, directory and data. Returns what was deleted. */
    public CompletableFuture<Result<StreamAssignment>> deleteStream(String name) {
        MetaEntry e = MetaEntry.newBuilder().setDeleteStream(DeleteStream.newBuilder().setName(name)).build();
        return proposeMeta(e).thenApply(r -> r.hasError() ? refused(r) : Result.ok(assignment(r)));
    }

    /**
     * Creates (or updates the configuration of) a consumer: recorded in the meta group, then created in its stream's
     * group, where its state lives. A refusal by the stream undoes the meta record of a new consumer.
     */
    public CompletableFuture<Result<ConsumerAssignment>> createConsumer(String stream, ConsumerSpec spec) {
        MetaEntry e = MetaEntry.newBuilder().setAssignConsumer(AssignConsumer.newBuilder()
                .setStream(stream).setName(spec.name()).setSettings(EntryCodec.settings(spec.settings()))
                .setStart(EntryCodec.start(spec.start())).setConfig(EntryCodec.bytes(spec.config()))).build();
        return proposeMeta(e).thenCompose(r -> {
            if (r.hasError()) {
                return CompletableFuture.completedFuture(refused(r));
            }
            StreamEntry create = StreamEntry.newBuilder().setCreateConsumer(CreateConsumer.newBuilder()
                    .setName(spec.name()).setSettings(r.getConsumer().getSettings())
                    .setStart(r.getConsumer().getStart())).build();
            ConsumerAssignment assigned = EntryCodec.consumer(r.getConsumer());
            return proposeStream(r.getStream(), create).thenCompose(sr -> {
                if (!sr.hasError()) {
                    return CompletableFuture.completedFuture(Result.ok(assigned));
                }
                JsError error = EntryCodec.error(sr.getError());
                if (!r.getCreated()) {
                    return CompletableFuture.completedFuture(Result.<ConsumerAssignment>refused(error));
                }
                MetaEntry undo = MetaEntry.newBuilder().setUnassignConsumer(UnassignConsumer.newBuilder()
                        .setStream(stream).setName(spec.name())).build();
                return proposeMeta(undo).thenApply(u -> Result.<ConsumerAssignment>refused(error));
            });
        });
    }

    /** Deletes a consumer from the meta group and its state from its stream's group. */
    public CompletableFuture<Result<Void>> deleteConsumer(String stream, String consumer) {
        MetaEntry e = MetaEntry.newBuilder().setUnassignConsumer(UnassignConsumer.newBuilder()
                .setStream(stream).setName(consumer)).build();
        return proposeMeta(e).thenCompose(r -> {
            if (r.hasError()) {
                return CompletableFuture.completedFuture(refused(r));
            }
            StreamEntry delete = StreamEntry.newBuilder().setDeleteConsumer(DeleteConsumer.newBuilder()
                    .setName(consumer)).build();
            return proposeStream(r.getStream(), delete).thenApply(sr -> Result.<Void>ok(null));
        });
    }

    /** The streams as this node has applied the meta log (may lag the meta leader a little). */
    public List<StreamAssignment> streams() {
        return view.get().streams().stream().map(EntryCodec::assignment).toList();
    }

    public Optional<StreamAssignment> stream(String name) {
        return view.get().stream(name).map(EntryCodec::assignment);
    }

    /** The streams as of now: waits until this node has applied everything the meta group committed before. */
    public CompletableFuture<List<StreamAssignment>> currentStreams() {
        return proposer.readBarrier(GroupName.META, META_GROUP).thenApply(i -> streams());
    }

    private CompletableFuture<MetaReply> proposeMeta(MetaEntry e) {
        RaftServer.Division d = division(META_GROUP);
        if (d == null) {
            return CompletableFuture.failedFuture(new ProposalFailedException(GroupName.META, Reason.NOT_A_MEMBER,
                    config.name() + " has not joined the meta group (bootstrapMeta)"));
        }
        RaftGroup group = RaftGroup.valueOf(META_GROUP, d.getRaftConf().getCurrentPeers());
        return proposer.write(GroupName.META, group, RatisBytes.of(e)).thenApply(b -> parse(b, MetaReply::parseFrom));
    }

    private static <T> Result<T> refused(MetaReply r) {
        return Result.refused(EntryCodec.error(r.getError()));
    }

    private static StreamAssignment assignment(MetaReply r) {
        return EntryCodec.assignment(r.getStream());
    }

    // ================================================================== stream groups

    /** Publishes a batch (one entry); one result per message, in order (10059 for each when there is no stream). */
    public CompletableFuture<List<Result<Appended>>> publish(String stream, List<Publish> batch) {
        PublishBatch.Builder b = PublishBatch.newBuilder();
        for (Publish p : batch) {
            PublishMessage.Builder m = PublishMessage.newBuilder().setSubject(p.subject())
                    .setHeaders(EntryCodec.bytes(p.headers())).setPayload(EntryCodec.bytes(p.payload()));
            if (p.msgId() != null) {
                m.setMsgId(p.msgId());
            }
            p.expectedLastSequence().ifPresent(m::setExpectedLastSequence);
            p.expectedLastSubjectSequence().ifPresent(m::setExpectedLastSubjectSequence);
            b.addMessages(m);
        }
        StreamEntry e = StreamEntry.newBuilder().setPublish(b).build();
        return onStream(stream, e).thenApply(r -> {
            if (!r.isOk()) {
                return batch.stream().map(p -> Result.<Appended>refused(r.error())).toList();
            }
            StreamReply reply = r.value();
            if (reply.hasError()) {
                JsError err = EntryCodec.error(reply.getError());
                return batch.stream().map(p -> Result.<Appended>refused(err)).toList();
            }
            List<Result<Appended>> out = new ArrayList<>();
            for (PublishResult pr : reply.getPublishedList()) {
                out.add(pr.hasError() ? Result.refused(EntryCodec.error(pr.getError()))
                        : Result.ok(new Appended(pr.getSequence(), pr.getDuplicate())));
            }
            return out;
        });
    }

    /** Removes one message (10043 when there is none). */
    public CompletableFuture<Result<Boolean>> deleteMessage(String stream, long seq) {
        StreamEntry e = StreamEntry.newBuilder().setDeleteMessage(DeleteMessage.newBuilder().setSequence(seq)).build();
        return onStream(stream, e).thenApply(r -> map(r, StreamReply::getFlag));
    }

    /** Purges as {@code $JS.API.STREAM.PURGE} does; returns how many messages went. */
    public CompletableFuture<Result<Long>> purge(String stream, PurgeRequest req) {
        Purge.Builder p = Purge.newBuilder().setSequence(req.seq()).setKeep(req.keep());
        if (req.filter() != null) {
            p.setFilter(req.filter());
        }
        return onStream(stream, StreamEntry.newBuilder().setPurge(p).build()).thenApply(r -> map(r,
                StreamReply::getCount));
    }

    /** Removes the messages older than max_age as of the leader's clock (and old duplicate-window entries). */
    public CompletableFuture<Result<Long>> removeExpired(String stream) {
        StreamEntry e = StreamEntry.newBuilder().setRemoveExpired(RemoveExpired.getDefaultInstance()).build();
        return onStream(stream, e).thenApply(r -> map(r, StreamReply::getCount));
    }

    /** Records a delivery of stream sequence {@code sseq} as consumer sequence {@code dseq}, the {@code dc}-th time. */
    public CompletableFuture<Result<Void>> delivered(String stream, String consumer, long dseq, long sseq, long dc) {
        StreamEntry e = StreamEntry.newBuilder().setDelivered(Delivered.newBuilder().setConsumer(consumer)
                .setConsumerSequence(dseq).setStreamSequence(sseq).setDeliveryCount(dc)).build();
        return onStream(stream, e).thenApply(r -> map(r, x -> null));
    }

    /**
     * Records a burst of deliveries of one consumer, in order, as one entry (one Raft round for everything one pull
     * request or push round handed out); a single delivery travels as a plain Delivered entry.
     */
    public CompletableFuture<Result<Void>> delivered(String stream, String consumer, List<Delivery> deliveries) {
        if (deliveries.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a delivery batch needs at least one "
                    + "delivery"));
        }
        if (deliveries.size() == 1) {
            Delivery d = deliveries.get(0);
            return delivered(stream, consumer, d.dseq(), d.sseq(), d.deliveryCount());
        }
        DeliveredBatch.Builder b = DeliveredBatch.newBuilder().setConsumer(consumer);
        for (Delivery d : deliveries) {
            b.addDeliveries(Delivered.newBuilder().setConsumerSequence(d.dseq()).setStreamSequence(d.sseq())
                    .setDeliveryCount(d.deliveryCount()));
        }
        return onStream(stream, StreamEntry.newBuilder().setDeliveredBatch(b).build()).thenApply(r -> map(r, x -> null));
    }

    /**
     * Records several acknowledgements of one consumer, in order, as one entry; true when any settled a pending
     * message. A single one travels as a plain Acked entry.
     */
    public CompletableFuture<Result<Boolean>> acked(String stream, String consumer, List<Ack> acks) {
        if (acks.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("an acknowledgement batch needs at "
                    + "least one ack"));
        }
        if (acks.size() == 1) {
            return acked(stream, consumer, acks.get(0).dseq(), acks.get(0).sseq());
        }
        AckedBatch.Builder b = AckedBatch.newBuilder().setConsumer(consumer);
        for (Ack a : acks) {
            b.addAcks(Acked.newBuilder().setConsumerSequence(a.dseq()).setStreamSequence(a.sseq()));
        }
        return onStream(stream, StreamEntry.newBuilder().setAckedBatch(b).build())
                .thenApply(r -> map(r, StreamReply::getFlag));
    }

    /** Records an acknowledgement; true when it settled a pending message. */
    public CompletableFuture<Result<Boolean>> acked(String stream, String consumer, long dseq, long sseq) {
        StreamEntry e = StreamEntry.newBuilder().setAcked(Acked.newBuilder().setConsumer(consumer)
                .setConsumerSequence(dseq).setStreamSequence(sseq)).build();
        return onStream(stream, e).thenApply(r -> map(r, StreamReply::getFlag));
    }

    /**
     * Reads a stream's store once this node's replica is current (a linearizable read: everything committed before
     * the call is visible). This node must hold a replica; the reader runs on the node's I/O threads.
     */
    public <T> CompletableFuture<T> readCurrent(String stream, Function<StreamStore, T> reader) {
        GroupName name = GroupName.stream(stream);
        Optional<StreamRecord> rec = view.get().stream(stream);
        if (rec.isEmpty()) {
            return CompletableFuture.failedFuture(new ProposalFailedException(name, Reason.NOT_A_MEMBER,
                    "no such stream in this node's meta state"));
        }
        RaftGroupId gid = GroupReconciler.groupId(rec.get());
        return proposer.readBarrier(name, gid).thenApplyAsync(applied -> {
            RaftServer.Division d = division(gid);
            if (d == null || !(d.getStateMachine() instanceof StreamStateMachine sm)) {
                throw new ProposalFailedException(name, Reason.NOT_A_MEMBER, "its replica left this node");
            }
            return reader.apply(sm.stream());
        }, io);
    }

    /**
     * This node's own copy of a stream, without a read barrier: current only on the stream's leader (which applies
     * everything it commits). Empty when this node holds no replica.
     */
    public Optional<StreamStore> localStore(String stream) {
        Optional<StreamRecord> rec = view.get().stream(stream);
        if (rec.isEmpty()) {
            return Optional.empty();
        }
        RaftServer.Division d = division(GroupReconciler.groupId(rec.get()));
        if (d != null && d.getStateMachine() instanceof StreamStateMachine sm) {
            return Optional.ofNullable(sm.stream());
        }
        return Optional.empty();
    }

    private CompletableFuture<Result<StreamReply>> onStream(String stream, StreamEntry e) {
        Optional<StreamRecord> rec = view.get().stream(stream);
        if (rec.isPresent()) {
            return proposeStream(rec.get(), e).thenApply(Result::ok);
        }
        // this node may not have applied the meta entry creating it yet: catch up once, then decide
        return proposer.readBarrier(GroupName.META, META_GROUP)
                .exceptionally(t -> -1L)
                .thenCompose(i -> view.get().stream(stream)
                        .map(r -> proposeStream(r, e).thenApply(Result::ok))
                        .orElseGet(() -> CompletableFuture.completedFuture(
                                Result.refused(new JsError(404, 10059, "stream not found")))));
    }

    private CompletableFuture<StreamReply> proposeStream(StreamRecord rec, StreamEntry e) {
        List<RaftPeer> peers = rec.getPeersList().stream()
                .map(p -> RaftPeer.newBuilder().setId(p.getName()).setAddress(p.getAddress()).build()).toList();
        RaftGroup group = RaftGroup.valueOf(GroupReconciler.groupId(rec), peers);
        return proposer.write(GroupName.stream(rec.getName()), group, RatisBytes.of(e))
                .thenApply(b -> parse(b, StreamReply::parseFrom));
    }

    private static <T> Result<T> map(Result<StreamReply> r, Function<StreamReply, T> value) {
        if (!r.isOk()) {
            return Result.refused(r.error());
        }
        StreamReply reply = r.value();
        return reply.hasError() ? Result.refused(EntryCodec.error(reply.getError())) : Result.ok(value.apply(reply));
    }

    private interface Parser<T> {
        T parse(java.nio.ByteBuffer b) throws InvalidProtocolBufferException;
    }

    private static <T> T parse(ByteString b, Parser<T> parser) {
        try {
            return parser.parse(RatisBytes.buffer(b));
        } catch (InvalidProtocolBufferException e) {
            throw new CompletionException(new IOException("an undecodable reply from the group: " + e.getMessage(),
                    e));
        }
    }

    /**
     * When this node becomes a stream's leader: bring the stream's limits and consumers in line with the meta state
     * (a node may have failed between a meta change and the stream entry that follows it).
     */
    private void leaderDuties(GroupName group) {
        if (group.isMeta() || life.get() != Life.RUNNING) {
            return;
        }
        io.execute(() -> {
            Optional<StreamRecord> rec = view.get().stream(group.stream());
            RaftServer.Division d = rec.map(r -> division(GroupReconciler.groupId(r))).orElse(null);
            if (d == null || !(d.getStateMachine() instanceof StreamStateMachine sm) || sm.stream() == null) {
                return;
            }
            StreamRecord r = rec.get();
            try {
                StreamLimits want = EntryCodec.limits(r.getLimits());
                if (!sm.stream().limits().equals(want)) {
                    LOG.info("{}: {} has other limits than the meta state; proposing them", config.name(), group);
                    proposeStream(r, StreamEntry.newBuilder().setUpdateLimits(UpdateLimits.newBuilder()
                            .setLimits(r.getLimits())).build());
                }
                Set<String> inStore = sm.stream().consumerNames();
                Set<String> inMeta = new HashSet<>();
                for (var c : r.getConsumersList()) {
                    inMeta.add(c.getName());
                    if (!inStore.contains(c.getName())) {
                        LOG.info("{}: consumer '{}' of {} is missing in its group; creating it", config.name(),
                                c.getName(), group);
                        proposeStream(r, StreamEntry.newBuilder().setCreateConsumer(CreateConsumer.newBuilder()
                                .setName(c.getName()).setSettings(c.getSettings()).setStart(c.getStart())).build());
                    }
                }
                for (String c : inStore) {
                    if (!inMeta.contains(c)) {
                        LOG.info("{}: consumer '{}' of {} was deleted in the meta state; deleting it", config.name(),
                                c, group);
                        proposeStream(r, StreamEntry.newBuilder().setDeleteConsumer(DeleteConsumer.newBuilder()
                                .setName(c)).build());
                    }
                }
            } catch (RuntimeException e) {
                LOG.debug("{}: leader duties of {} failed: {}", config.name(), group, e.toString());
            }
        });
    }

    /**
     * On the leader of each stream with max_age: once its oldest message is due, propose the removal through the log
     * (with the leader's time stamped in), so every replica removes the same messages. One proposal per stream at a
     * time.
     */
    private void proposeExpiries() {
        if (life.get() != Life.RUNNING) {
            return;
        }
        try {
            long now = EntryCodec.nanos(config.clock().instant());
            for (Map.Entry<GroupName, RaftServer.Division> e : divisions().entrySet()) {
                GroupName g = e.getKey();
                if (g.isMeta() || !e.getValue().getInfo().isLeaderReady()
                        || !(e.getValue().getStateMachine() instanceof StreamStateMachine sm) || sm.stream() == null
                        || expiring.contains(g.stream())) {
                    continue;
                }
                java.util.OptionalLong due = sm.stream().nextExpiryNanos();
                if (due.isPresent() && due.getAsLong() <= now) {
                    expiring.add(g.stream());
                    removeExpired(g.stream()).whenComplete((r, t) -> {
                        expiring.remove(g.stream());
                        if (t != null) {
                            LOG.debug("{}: expiring {} failed: {}", config.name(), g, t.toString());
                        }
                    });
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("{}: expiry check failed: {}", config.name(), e.toString());
        }
    }

    // ================================================================== leadership

    public boolean isLeader(GroupName group) {
        RaftServer.Division d = division(group);
        return d != null && d.getInfo().isLeader();
    }

    /** The leader of a group as this node knows it (empty: none known, or this node holds no replica). */
    public Optional<String> leader(GroupName group) {
        RaftServer.Division d = division(group);
        return d == null ? Optional.empty() : Optional.ofNullable(d.getInfo().getLeaderId()).map(RaftPeerId::toString);
    }

    /** How often a running transfer looks at the groups it moves. */
    private static final Duration TRANSFER_POLL = Duration.ofMillis(10);

    /** {@link #transferLeadership(Duration)} with the configured bound (default 1 s). */
    public TransferReport transferLeadership() {
        return transferLeadership(config.timing().transferBound());
    }

    /**
     * Moves every group this node leads to its most up-to-date current follower, all groups in parallel, and returns
     * within {@code bound} with one outcome per group: moved, no current follower (reported, not waited for), timed
     * out or failed. It does not stop this node from being elected again: see {@link #pauseElections}.
     */
    public TransferReport transferLeadership(Duration bound) {
        long started = System.nanoTime();
        long deadline = started + bound.toNanos();
        List<LeadershipTransfer> transfers = new ArrayList<>();
        for (Map.Entry<GroupName, RaftServer.Division> e : divisions().entrySet()) {
            if (e.getValue().getInfo().isLeader()) {
                transfers.add(newTransfer(e.getKey(), e.getValue(), started));
            }
        }
        // starting a transfer reads the group's health and calls into Ratis: start them all side by side, so the
        // last ones do not find their time used up by the first ones
        for (LeadershipTransfer t : transfers) {
            transferStarters.execute(() -> t.start(deadline));
        }
        List<GroupTransfer> results = awaitSettled(transfers, deadline);
        TransferReport report = new TransferReport(results, Duration.ofNanos(System.nanoTime() - started));
        LOG.info("{}: leadership transfer: {}", config.name(), report);
        for (GroupTransfer g : report.notMoved()) {
            LOG.info("{}: {} did not move: {} ({})", config.name(), g.group(), g.outcome(), g.detail());
        }
        return report;
    }

    /**
     * Moves one group's leadership from this node to a given peer (placement "preferred" of a step-down request).
     * Completes with false when this node does not lead the group or Ratis refused or timed out.
     */
    public CompletableFuture<Boolean> transferTo(GroupName group, String peer, Duration timeout) {
        RaftServer.Division d = division(group);
        if (d == null || !d.getInfo().isLeader()) {
            return CompletableFuture.completedFuture(false);
        }
        org.apache.ratis.protocol.TransferLeadershipRequest request =
                new org.apache.ratis.protocol.TransferLeadershipRequest(adminClientId, self,
                        d.getGroup().getGroupId(), callIds.incrementAndGet(), RaftPeerId.valueOf(peer),
                        timeout.toMillis());
        try {
            return server.transferLeadershipAsync(request)
                    .thenApply(org.apache.ratis.protocol.RaftClientReply::isSuccess)
                    .exceptionally(e -> false);
        } catch (IOException e) {
            return CompletableFuture.completedFuture(false);
        }
    }

    /** Moves the leadership of one group away from this node, to its most up-to-date current follower. */
    public GroupTransfer stepDown(GroupName group) {
        RaftServer.Division d = division(group);
        if (d == null || !d.getInfo().isLeader()) {
            return new GroupTransfer(group, TransferOutcome.FAILED, Optional.empty(), leader(group), Duration.ZERO,
                    "this node does not lead it");
        }
        long started = System.nanoTime();
        LeadershipTransfer t = newTransfer(group, d, started);
        long deadline = started + config.timing().transferBound().toNanos();
        t.start(deadline);
        return awaitSettled(List.of(t), deadline).get(0);
    }

    /**
     * Waits until every transfer is settled or the deadline passes, then settles the rest as timed out. Ratis
     * answers a transfer only once the new leader's first append arrives here; the elections themselves are usually
     * decided earlier, so each group is looked at every few milliseconds.
     */
    private static List<GroupTransfer> awaitSettled(List<LeadershipTransfer> transfers, long deadline) {
        CompletableFuture<Void> all = CompletableFuture.allOf(transfers.stream().map(LeadershipTransfer::outcome)
                .toArray(CompletableFuture[]::new));
        while (!all.isDone() && System.nanoTime() < deadline) {
            transfers.forEach(LeadershipTransfer::poll);
            try {
                all.get(Math.min(TRANSFER_POLL.toNanos(), Math.max(1, deadline - System.nanoTime())),
                        TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                // look again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<GroupTransfer> results = new ArrayList<>();
        for (LeadershipTransfer t : transfers) {
            t.expire();
            results.add(t.outcome().join());
        }
        return results;
    }

    private LeadershipTransfer newTransfer(GroupName name, RaftServer.Division d, long started) {
        return new LeadershipTransfer(name, server, d, healthReader, config.timing().currentWithin(), adminClientId,
                callIds.incrementAndGet(), System::nanoTime, started);
    }

    /**
     * Keeps this node from starting elections in every group it hosts, now and later (groups added afterwards are
     * paused too): it still votes and replicates, but is not elected again. For lame-duck mode, which ends with the
     * node closing. Note: a paused node votes only for a candidate whose log is at least as long as its own, so a
     * group whose other live replicas are all behind it has no leader until it resumes or goes away.
     */
    public void pauseElections() {
        electionsPaused = true;
        long started = System.nanoTime();
        electionManagement(server.getGroupIds(), true);
        LOG.info("{}: elections paused on this node ({} ms)", config.name(), (System.nanoTime() - started) / 1_000_000);
    }

    public void resumeElections() {
        electionsPaused = false;
        electionManagement(server.getGroupIds(), false);
        LOG.info("{}: elections resumed on this node", config.name());
    }

    /** Pauses or resumes elections of the given groups, all requests side by side, under one request timeout. */
    private void electionManagement(Iterable<RaftGroupId> groups, boolean pause) {
        String what = pause ? "pausing" : "resuming";
        Map<RaftGroupId, CompletableFuture<RaftClientReply>> replies = new java.util.LinkedHashMap<>();
        for (RaftGroupId gid : groups) {
            long call = callIds.incrementAndGet();
            LeaderElectionManagementRequest req = pause
                    ? LeaderElectionManagementRequest.newPause(adminClientId, self, gid, call)
                    : LeaderElectionManagementRequest.newResume(adminClientId, self, gid, call);
            try {
                replies.put(gid, server.leaderElectionManagementAsync(req));
            } catch (RuntimeException e) {
                LOG.warn("{}: {} elections of group {} failed: {}", config.name(), what, gid, e.toString());
            }
        }
        long deadline = System.nanoTime() + config.timing().requestTimeout().toNanos();
        replies.forEach((gid, f) -> {
            try {
                RaftClientReply reply = f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (!reply.isSuccess()) {
                    LOG.warn("{}: {} elections of group {} failed: {}", config.name(), what, gid,
                            reply.getException());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warn("{}: {} elections of group {} failed: {}", config.name(), what, gid, e.toString());
            }
        });
    }

    private void groupAdded(RaftGroupId gid) {
        if (electionsPaused) {
            electionManagement(List.of(gid), true);
        }
    }

    public void addLeaderListener(LeaderListener l) {
        events.add(l);
    }

    public void removeLeaderListener(LeaderListener l) {
        events.remove(l);
    }

    // ================================================================== health

    /** The health of every group hosted on this node, the meta group first. */
    public List<GroupHealth> health() {
        List<GroupHealth> out = new ArrayList<>();
        for (Map.Entry<GroupName, RaftServer.Division> e : divisions().entrySet()) {
            try {
                out.add(healthReader.read(e.getKey(), e.getValue()));
            } catch (RuntimeException ex) {
                LOG.debug("{}: no health for {}: {}", config.name(), e.getKey(), ex.toString());
            }
        }
        return out;
    }

    /** The health of one group, if this node hosts it and its division has started (empty while it starts). */
    public Optional<GroupHealth> health(GroupName group) {
        RaftServer.Division d = division(group);
        if (d == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(healthReader.read(group, d));
        } catch (IllegalStateException e) {
            // Ratis: "log is uninitialized" while the division is still starting (right after a restart)
            LOG.debug("{}: no health for {} yet: {}", config.name(), group, e.toString());
            return Optional.empty();
        }
    }

    /** Whether this node hosts a replica of the group (its division exists here). */
    public boolean hosts(GroupName group) {
        return division(group) != null;
    }

    // ================================================================== internals and tests

    private boolean metaCaughtUp() {
        RaftServer.Division d = division(META_GROUP);
        if (d == null) {
            return false;
        }
        var info = d.getInfo();
        return info.isAlive() && info.getLeaderId() != null
                && info.getLastAppliedIndex() >= d.getRaftLog().getLastCommittedIndex();
    }

    /** Every hosted group by name (the meta group first); detached groups are left out. */
    private Map<GroupName, RaftServer.Division> divisions() {
        Map<GroupName, RaftServer.Division> out = new LinkedHashMap<>();
        RaftServer.Division meta = division(META_GROUP);
        if (meta != null) {
            out.put(GroupName.META, meta);
        }
        for (RaftGroupId gid : server.getGroupIds()) {
            if (gid.equals(META_GROUP)) {
                continue;
            }
            RaftServer.Division d = division(gid);
            if (d != null && d.getStateMachine() instanceof GroupStateMachine g) {
                out.put(g.groupName(), d);
            }
        }
        return out;
    }

    RaftServer.Division division(GroupName group) {
        if (group.isMeta()) {
            return division(META_GROUP);
        }
        return view.get().stream(group.stream()).map(r -> division(GroupReconciler.groupId(r))).orElse(null);
    }

    private RaftServer.Division division(RaftGroupId gid) {
        if (server == null) {
            return null;
        }
        for (RaftGroupId id : server.getGroupIds()) {
            if (id.equals(gid)) {
                try {
                    return server.getDivision(gid);
                } catch (IOException | RuntimeException e) {
                    return null;
                }
            }
        }
        return null;
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
    public void close() {
        shutdown(config.timing().closeTimeout());
    }

    /**
     * Closes the Raft groups and the server, waiting at most {@code watchdog} for Ratis (its close waits for pending
     * applies); returns false when it did not finish in time (Ratis goes on closing in the background; the process
     * should exit). The store is the caller's to close afterwards.
     */
    public boolean shutdown(Duration watchdog) {
        if (!life.compareAndSet(Life.RUNNING, Life.CLOSING)) {
            return life.get() == Life.CLOSED;
        }
        long started = System.nanoTime();
        if (reconciler != null) {
            reconciler.close();
        }
        if (proposer != null) {
            proposer.close();
        }
        boolean clean = true;
        if (server != null) {
            Thread closer = new Thread(() -> {
                try {
                    // the network first: peers stop hearing from this node at once (and elect among themselves),
                    // and the port is closed even when a division is slow to close
                    server.getServerRpc().close();
                } catch (IOException | RuntimeException e) {
                    LOG.warn("{}: closing the Raft port: {}", config.name(), e.toString());
                }
                try {
                    server.close();
                } catch (IOException | RuntimeException e) {
                    LOG.warn("{}: closing the Raft server: {}", config.name(), e.toString());
                }
            }, "jetraft-raft-close-" + config.name());
            closer.setDaemon(true);
            closer.start();
            try {
                closer.join(watchdog.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            clean = !closer.isAlive();
            if (!clean) {
                LOG.error("{}: the Raft server did not close within {} ms (a state machine may be stuck applying); "
                        + "it goes on closing in the background", config.name(), watchdog.toMillis());
            }
        }
        scheduler.shutdownNow();
        io.shutdownNow();
        transferStarters.shutdownNow();
        eventThread.shutdown();
        life.set(Life.CLOSED);
        LOG.info("Raft node {} closed in {} ms", config.name(), (System.nanoTime() - started) / 1_000_000);
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
