package io.jetraft.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jetraft.raft.ProposalFailedException.Reason;
import io.jetraft.raft.codec.EntryCodec;
import io.jetraft.raft.group.RatisBytes;
import io.jetraft.raft.meta.MetaState;
import io.jetraft.raft.meta.MetaView;
import io.jetraft.raft.proto.AssignConsumer;
import io.jetraft.raft.proto.AttachStream;
import io.jetraft.raft.proto.CreateConsumer;
import io.jetraft.raft.proto.CreateStream;
import io.jetraft.raft.proto.DeleteConsumer;
import io.jetraft.raft.proto.DeleteStream;
import io.jetraft.raft.proto.DetachStream;
import io.jetraft.raft.proto.MetaEntry;
import io.jetraft.raft.proto.MetaReply;
import io.jetraft.raft.proto.SetPreferredLeader;
import io.jetraft.raft.proto.StreamEntry;
import io.jetraft.raft.proto.UnassignConsumer;
import io.jetraft.raft.proto.UpdateLimits;
import io.jetraft.raft.proto.UpdateStream;
import io.jetraft.storage.JsError;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.JavaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meta group of this node's Raft layer: forming or joining it, and its proposals (streams, consumers, a stream
 * group's preferred leader) with the entries that follow them in the stream's own group (a stream joins its group
 * after its meta entry, leaves it after its deletion; limits and consumers follow the same way).
 */
public final class MetaGroup {

    private static final Logger LOG = LoggerFactory.getLogger(MetaGroup.class);

    private final RaftNodeConfig config;
    private final Divisions divisions;
    private final Proposer proposer;
    private final MetaView view;
    private volatile DecodedStreams decodedStreams;
    private final StreamGroups streams;
    private final HealthView health;
    private final Executor io;
    private final Runnable joined;
    private final ClientId adminClientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();

    MetaGroup(RaftNodeConfig config, Divisions divisions, Proposer proposer, MetaView view, StreamGroups streams,
              HealthView health, Executor io, Runnable joined) {
        this.config = config;
        this.divisions = divisions;
        this.proposer = proposer;
        this.view = view;
        this.streams = streams;
        this.health = health;
        this.io = io;
        this.joined = joined;
    }

    // ================================================================== forming

    /**
     * Forms or joins the meta group over {@code peers} (this node among them; every node must be given the same
     * peers). A node that hosts the meta group already (a restart: Ratis recovered it) rejoins as itself and this is
     * a no-op; different peers for an existing meta group are refused.
     */
    public CompletableFuture<Void> bootstrap(List<Peer> peers) {
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
        return CompletableFuture.runAsync(() -> join(peers), io);
    }

    private void join(List<Peer> peers) {
        RaftServer server = divisions.server();
        RaftServer.Division existing = divisions.meta();
        if (existing == null) {
            List<RaftPeer> raftPeers = peers.stream()
                    .map(p -> RaftPeer.newBuilder().setId(p.name()).setAddress(p.address()).build()).toList();
            try {
                RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(adminClientId,
                        RaftPeerId.valueOf(config.name()), callIds.incrementAndGet(),
                        RaftGroup.valueOf(divisions.id(GroupName.META), raftPeers), false));
                if (reply.isSuccess()) {
                    LOG.info("{}: joined the meta group with peers {}", config.name(), peers);
                    joined.run();
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
            existing = divisions.meta();
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

    /** The meta group's peers as this node knows them (empty before {@link #bootstrap}). */
    public List<Peer> peers() {
        RaftServer.Division d = divisions.meta();
        if (d == null) {
            return List.of();
        }
        return d.getRaftConf().getCurrentPeers().stream()
                .map(p -> new Peer(p.getId().toString(), p.getAddress())).toList();
    }

    public boolean isLeader() {
        return health.isLeader(GroupName.META);
    }

    public Optional<String> leader() {
        return health.leader(GroupName.META);
    }

    // ================================================================== streams

    /**
     * Creates a stream (idempotent for the same configuration): the meta leader places its replicas and its group,
     * then the stream joins that group. Completes once it has.
     */
    public CompletableFuture<Result<StreamAssignment>> createStream(StreamSpec spec) {
        CreateStream.Builder c = CreateStream.newBuilder().setName(spec.name()).setReplicas(spec.replicas())
                .setLimits(EntryCodec.limits(spec.limits())).setConfig(EntryCodec.bytes(spec.config()))
                .setPreferredLeader(spec.preferredLeader());
        return proposeMeta(MetaEntry.newBuilder().setCreateStream(c).build()).thenCompose(r -> {
            if (r.hasError()) {
                return CompletableFuture.completedFuture(refused(r));
            }
            StreamEntry.Builder attach = StreamEntry.newBuilder().setAttachStream(AttachStream.newBuilder()
                    .setLimits(r.getStream().getInitialLimits()));
            return streams.propose(located(r), attach).thenApply(sr -> sr.hasError()
                    ? Result.<StreamAssignment>refused(EntryCodec.error(sr.getError()))
                    : Result.ok(EntryCodec.assignment(r.getStream())));
        });
    }

    /**
     * Changes a stream's limits and configuration document (not its replicas or retention): a meta entry, then the
     * limits go through the stream's group so every replica applies them at the same point.
     */
    public CompletableFuture<Result<StreamAssignment>> updateStream(StreamSpec spec) {
        MetaEntry e = MetaEntry.newBuilder().setUpdateStream(UpdateStream.newBuilder()
                .setName(spec.name()).setReplicas(spec.replicas()).setLimits(EntryCodec.limits(spec.limits()))
                .setConfig(EntryCodec.bytes(spec.config()))).build();
        return proposeMeta(e).thenCompose(r -> {
            if (r.hasError()) {
                return CompletableFuture.completedFuture(refused(r));
            }
            StreamEntry.Builder limits = StreamEntry.newBuilder()
                    .setUpdateLimits(UpdateLimits.newBuilder().setLimits(r.getStream().getLimits()));
            return streams.propose(located(r), limits).thenApply(sr -> sr.hasError()
                    ? Result.<StreamAssignment>refused(EntryCodec.error(sr.getError()))
                    : Result.ok(EntryCodec.assignment(r.getStream())));
        });
    }

    /**
     * Deletes a stream: the meta entry, then the stream leaves its group on every replica with all its data (the
     * group and its other streams carry on). Returns what was deleted.
     */
    public CompletableFuture<Result<StreamAssignment>> deleteStream(String name) {
        MetaEntry e = MetaEntry.newBuilder().setDeleteStream(DeleteStream.newBuilder().setName(name)).build();
        return proposeMeta(e).thenCompose(r -> {
            if (r.hasError()) {
                return CompletableFuture.completedFuture(refused(r));
            }
            StreamEntry.Builder detach = StreamEntry.newBuilder().setDetachStream(DetachStream.getDefaultInstance());
            // a detach that does not get through now is done by the group's leader later (LeaderDuties)
            return streams.propose(located(r), detach).handle((sr, err) -> {
                if (err != null) {
                    LOG.info("{}: stream '{}' is deleted; leaving its group failed for now ({}): its group's leader "
                            + "will do it", config.name(), name, err.toString());
                }
                return Result.ok(EntryCodec.assignment(r.getStream()));
            });
        });
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
            StreamEntry.Builder create = StreamEntry.newBuilder().setCreateConsumer(CreateConsumer.newBuilder()
                    .setName(spec.name()).setSettings(r.getConsumer().getSettings())
                    .setStart(r.getConsumer().getStart()));
            ConsumerAssignment assigned = EntryCodec.consumer(r.getConsumer());
            return streams.propose(located(r), create).thenCompose(sr -> {
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
            StreamEntry.Builder delete = StreamEntry.newBuilder().setDeleteConsumer(DeleteConsumer.newBuilder()
                    .setName(consumer));
            return streams.propose(located(r), delete).thenApply(sr -> Result.<Void>ok(null));
        });
    }

    /**
     * The streams as this node has applied the meta log (may lag the meta leader a little). The same list is
     * returned until the meta state changes, so callers may cache what they derive from it by its identity.
     */
    public List<StreamAssignment> streams() {
        MetaState s = view.get();
        DecodedStreams d = decodedStreams;
        if (d == null || d.state() != s) {
            d = new DecodedStreams(s, s.streams().stream().map(EntryCodec::assignment).toList());
            decodedStreams = d;
        }
        return d.streams();
    }

    private record DecodedStreams(MetaState state, List<StreamAssignment> streams) {
    }

    public Optional<StreamAssignment> stream(String name) {
        return view.get().stream(name).map(EntryCodec::assignment);
    }

    /** The streams as of now: waits until this node has applied everything the meta group committed before. */
    public CompletableFuture<List<StreamAssignment>> currentStreams() {
        return proposer.readBarrier(GroupName.META, divisions.id(GroupName.META)).thenApply(i -> streams());
    }

    /** Makes {@code peer} the preferred leader of a stream group (a step-down chose it; the balancer keeps it). */
    CompletableFuture<Result<Void>> setPreferredLeader(GroupName group, String peer) {
        MetaEntry e = MetaEntry.newBuilder().setSetPreferredLeader(SetPreferredLeader.newBuilder()
                .setGroupId(group.id()).setPeer(peer)).build();
        return proposeMeta(e).thenApply(r -> r.hasError() ? refused(r) : Result.ok(null));
    }

    // ================================================================== internals

    private CompletableFuture<MetaReply> proposeMeta(MetaEntry e) {
        RaftServer.Division d = divisions.meta();
        if (d == null) {
            return CompletableFuture.failedFuture(new ProposalFailedException(GroupName.META, Reason.NOT_A_MEMBER,
                    config.name() + " has not joined the meta group (bootstrap)"));
        }
        RaftGroup group = RaftGroup.valueOf(divisions.id(GroupName.META), d.getRaftConf().getCurrentPeers());
        return proposer.write(GroupName.META, group, RatisBytes.of(e)).thenApply(MetaGroup::parse);
    }

    private static StreamLocator.Located located(MetaReply r) {
        return new StreamLocator.Located(r.getStream(), r.getGroup());
    }

    private static <T> Result<T> refused(MetaReply r) {
        return Result.refused(EntryCodec.error(r.getError()));
    }

    private static MetaReply parse(ByteString b) {
        try {
            return MetaReply.parseFrom(RatisBytes.buffer(b));
        } catch (InvalidProtocolBufferException e) {
            throw new CompletionException(new IOException("an undecodable reply from the meta group: "
                    + e.getMessage(), e));
        }
    }
}
