package io.jetraft.raft.meta;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jetraft.raft.GroupName;
import io.jetraft.raft.codec.EntryCodec;
import io.jetraft.raft.group.GroupEvents;
import io.jetraft.raft.group.GroupStateMachine;
import io.jetraft.raft.group.InvalidRequestException;
import io.jetraft.raft.group.RatisBytes;
import io.jetraft.raft.proto.AssignConsumer;
import io.jetraft.raft.proto.ConsumerRecord;
import io.jetraft.raft.proto.CreateStream;
import io.jetraft.raft.proto.MetaEntry;
import io.jetraft.raft.proto.MetaReply;
import io.jetraft.raft.proto.MetaSnapshot;
import io.jetraft.raft.proto.PeerAddress;
import io.jetraft.raft.proto.StreamRecord;
import io.jetraft.raft.proto.UpdateStream;
import io.jetraft.storage.AppliedIndex;
import io.jetraft.storage.JsError;
import io.jetraft.storage.MetaRecords;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.Outcome;
import io.jetraft.storage.StreamLimits;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * The meta group's state machine: which streams and consumers exist, their configuration, and which peers hold each
 * stream's replicas. The leader places new streams (stamped into the entry); every node applies the same records to
 * its store's {@link MetaRecords} with the applied index, publishes the new state to its {@link MetaView} and asks for
 * a reconcile; it never starts or stops stream groups itself (that is group I/O, done by the reconciler).
 */
public final class MetaStateMachine extends GroupStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(MetaStateMachine.class);
    /** Room the store name of a stream needs after the stream name ({@code #} and 12 hex digits). */
    private static final int MAX_STREAM_NAME = 255 - 13;
    private static final int MAX_REPLICAS = 5;

    private final NodeStore store;
    private final MetaView view;
    private final Random random;
    private final Duration reachableWithin;

    public MetaStateMachine(NodeStore store, MetaView view, GroupEvents events, Clock clock, Random random,
                            Duration reachableWithin) {
        super(GroupName.META, events, clock);
        this.store = store;
        this.view = view;
        this.random = random;
        this.reachableWithin = reachableWithin;
    }

    // ------------------------------------------------------------------ store and snapshots

    @Override
    protected void recover(SingleFileSnapshotInfo latest) throws IOException {
        if (latest != null && store.metaRecords().appliedIndex().index() < latest.getIndex()) {
            restore(store, latest.getFile().getPath(), AppliedIndex.of(latest.getTerm(), latest.getIndex()));
        }
        view.load(store.metaRecords());
    }

    @Override
    protected void install(SingleFileSnapshotInfo snapshot) throws IOException {
        restore(store, snapshot.getFile().getPath(), AppliedIndex.of(snapshot.getTerm(), snapshot.getIndex()));
        view.load(store.metaRecords());
        events.metaChanged();
    }

    /** Replaces the store's meta records with a meta snapshot file's (at start, or on a snapshot install). */
    public static void restore(NodeStore store, Path file, AppliedIndex at) throws IOException {
        MetaSnapshot snap;
        try (InputStream in = Files.newInputStream(file)) {
            snap = MetaSnapshot.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("the meta snapshot " + file + " cannot be decoded: " + e.getMessage(), e);
        }
        Map<String, byte[]> records = new LinkedHashMap<>();
        for (StreamRecord r : snap.getStreamsList()) {
            records.put(MetaState.key(r.getName()), r.toByteArray());
        }
        store.metaRecords().replaceAll(at, records);
        LOG.info("Restored the meta state ({} streams) at index {} from {}", records.size(), at.index(), file);
    }

    @Override
    protected AppliedIndex storedAppliedIndex() {
        return store.metaRecords().appliedIndex();
    }

    @Override
    protected AppliedIndex writeSnapshot(Path file) throws IOException {
        // on the apply thread: the records and their index cannot change meanwhile
        AppliedIndex at = store.metaRecords().appliedIndex();
        MetaSnapshot snap = MetaSnapshot.newBuilder().addAllStreams(view.get().streams()).build();
        try (OutputStream out = Files.newOutputStream(file)) {
            snap.writeTo(out);
        }
        store.flushWal(true);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        return at;
    }

    // ------------------------------------------------------------------ leader side: placement and time

    @Override
    protected ByteString stamp(ByteString request) throws InvalidRequestException {
        MetaEntry entry;
        try {
            entry = MetaEntry.parseFrom(RatisBytes.buffer(request));
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidRequestException("the request is not a meta entry: " + e.getMessage(), e);
        }
        long now = EntryCodec.nanos(clock.instant());
        MetaEntry stamped = switch (entry.getKindCase()) {
            case CREATE_STREAM -> {
                CreateStream c = entry.getCreateStream();
                int replicas = Math.max(1, c.getReplicas());
                List<PeerAddress> peers = replicas > MAX_REPLICAS ? List.of()
                        : Placement.choose(replicas, candidates(), view.get().replicasPerPeer(), random);
                yield entry.toBuilder().setCreateStream(c.toBuilder().clearPeers().addAllPeers(peers)
                        .setNowNanos(now)).build();
            }
            case ASSIGN_CONSUMER -> entry.toBuilder().setAssignConsumer(
                    entry.getAssignConsumer().toBuilder().setNowNanos(now)).build();
            case KIND_NOT_SET -> throw new InvalidRequestException("a meta entry of an unknown kind");
            default -> entry;
        };
        return RatisBytes.of(stamped);
    }

    /** The meta group's peers, and whether this leader has heard from each recently. */
    private List<Placement.Candidate> candidates() {
        List<Placement.Candidate> out = new ArrayList<>();
        try {
            RaftServer.Division d = getServer().join().getDivision(getGroupId());
            RoleInfoProto role = d.getInfo().getRoleInfoProto();
            Set<String> heard = new HashSet<>();
            heard.add(d.getId().toString());
            if (role.hasLeaderInfo()) {
                for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                    if (f.getLastRpcElapsedTimeMs() <= reachableWithin.toMillis()) {
                        heard.add(f.getId().getId().toStringUtf8());
                    }
                }
            }
            for (RaftPeer p : d.getRaftConf().getCurrentPeers()) {
                PeerAddress a = PeerAddress.newBuilder().setName(p.getId().toString()).setAddress(p.getAddress())
                        .build();
                out.add(new Placement.Candidate(a, heard.contains(a.getName())));
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("meta: cannot read the meta group's peers for a placement: {}", e.toString());
        }
        return out;
    }

    // ------------------------------------------------------------------ every node

    private record Change(MetaState state, Map<String, byte[]> puts, List<String> deletes, MetaReply reply) {
        static Change refused(MetaState s, JsError e) {
            return new Change(s, Map.of(), List.of(), MetaReply.newBuilder().setError(EntryCodec.error(e)).build());
        }
    }

    @Override
    protected ByteString apply(LogEntryProto logEntry, AppliedIndex at) {
        MetaEntry entry;
        try {
            entry = MetaEntry.parseFrom(RatisBytes.buffer(logEntry.getStateMachineLogEntry().getLogData()));
        } catch (InvalidProtocolBufferException e) {
            throw halt(at, "the entry cannot be decoded (" + e.getMessage() + ")", null);
        }
        if (entry.getKindCase() == MetaEntry.KindCase.KIND_NOT_SET) {
            throw halt(at, "the entry is of a kind this jetraft does not know (written by a newer version? "
                    + "upgrade this node)", null);
        }
        try {
            MetaState before = view.get();
            Change c = decide(before, entry, at);
            Outcome<Void> written = store.metaRecords().apply(at, c.puts(), c.deletes());
            if (written instanceof Outcome.Skipped<Void>) {
                return RatisBytes.of(MetaReply.newBuilder().setReplayed(true).build());
            }
            if (c.state() != before) {
                view.set(c.state());
                events.metaChanged();
            }
            return RatisBytes.of(c.reply());
        } catch (RuntimeException e) {
            throw halt(at, "applying the " + entry.getKindCase() + " entry failed", e);
        }
    }

    private Change decide(MetaState s, MetaEntry entry, AppliedIndex at) {
        return switch (entry.getKindCase()) {
            case CREATE_STREAM -> createStream(s, entry.getCreateStream(), at);
            case UPDATE_STREAM -> updateStream(s, entry.getUpdateStream());
            case DELETE_STREAM -> {
                String name = entry.getDeleteStream().getName();
                if (s.stream(name).isEmpty()) {
                    yield Change.refused(s, streamNotFound());
                }
                yield new Change(s.without(name), Map.of(), List.of(MetaState.key(name)),
                        MetaReply.newBuilder().setStream(s.stream(name).get()).build());
            }
            case ASSIGN_CONSUMER -> assignConsumer(s, entry.getAssignConsumer());
            case UNASSIGN_CONSUMER -> {
                var u = entry.getUnassignConsumer();
                StreamRecord r = s.stream(u.getStream()).orElse(null);
                if (r == null) {
                    yield Change.refused(s, streamNotFound());
                }
                int i = consumerIndex(r, u.getName());
                if (i < 0) {
                    yield Change.refused(s, JsError.consumerNotFound());
                }
                ConsumerRecord gone = r.getConsumers(i);
                StreamRecord without = r.toBuilder().removeConsumers(i).build();
                yield put(s, without, MetaReply.newBuilder().setStream(without).setConsumer(gone).build());
            }
            default -> throw new IllegalStateException("unhandled meta entry " + entry.getKindCase());
        };
    }

    private Change createStream(MetaState s, CreateStream c, AppliedIndex at) {
        String name = c.getName();
        if (!isValidName(name)) {
            return Change.refused(s, JsError.invalidStreamConfig(
                    "stream name is required and can not contain '.', '*', '>', '/', '\\', whitespace or controls"));
        }
        if (name.length() > MAX_STREAM_NAME) {
            return Change.refused(s, JsError.invalidStreamConfig("stream name is too long, maximum allowed is "
                    + MAX_STREAM_NAME));
        }
        int replicas = Math.max(1, c.getReplicas());
        if (replicas > MAX_REPLICAS) {
            return Change.refused(s, JsError.invalidStreamConfig("maximum replicas is " + MAX_REPLICAS));
        }
        StreamLimits.Validated v = EntryCodec.limits(c.getLimits()).validate();
        if (v.error() != null) {
            return Change.refused(s, v.error());
        }
        StreamRecord existing = s.stream(name).orElse(null);
        if (existing != null) {
            boolean same = EntryCodec.limits(existing.getLimits()).equals(v.limits())
                    && existing.getPeersCount() == replicas && existing.getConfig().equals(c.getConfig());
            return same ? new Change(s, Map.of(), List.of(), MetaReply.newBuilder().setStream(existing).build())
                    : Change.refused(s, JsError.streamNameInUse());
        }
        if (c.getPeersCount() < replicas) {
            return Change.refused(s, new JsError(400, 10005, "no suitable peers for placement"));
        }
        StreamRecord r = StreamRecord.newBuilder()
                .setName(name)
                .setGroupId(groupId(name, at).toString())
                .addAllPeers(c.getPeersList().subList(0, replicas))
                .setInitialLimits(EntryCodec.limits(v.limits()))
                .setLimits(EntryCodec.limits(v.limits()))
                .setConfig(c.getConfig())
                .setCreatedNanos(c.getNowNanos())
                .build();
        return put(s, r, MetaReply.newBuilder().setStream(r).setCreated(true).build());
    }

    private Change updateStream(MetaState s, UpdateStream u) {
        StreamRecord r = s.stream(u.getName()).orElse(null);
        if (r == null) {
            return Change.refused(s, streamNotFound());
        }
        if (u.getReplicas() != 0 && u.getReplicas() != r.getPeersCount()) {
            return Change.refused(s, JsError.invalidStreamConfig(
                    "changing the number of replicas of a stream is not supported by this jetraft"));
        }
        StreamLimits.Validated v = EntryCodec.limits(u.getLimits()).validate();
        if (v.error() != null) {
            return Change.refused(s, v.error());
        }
        if (v.limits().retention() != EntryCodec.limits(r.getLimits()).retention()) {
            return Change.refused(s, JsError.invalidStreamConfig(
                    "stream configuration update can not change retention policy"));
        }
        StreamRecord updated = r.toBuilder().setLimits(EntryCodec.limits(v.limits())).setConfig(u.getConfig())
                .build();
        return put(s, updated, MetaReply.newBuilder().setStream(updated).build());
    }

    private Change assignConsumer(MetaState s, AssignConsumer a) {
        StreamRecord r = s.stream(a.getStream()).orElse(null);
        if (r == null) {
            return Change.refused(s, streamNotFound());
        }
        if (!isValidName(a.getName())) {
            return Change.refused(s, new JsError(400, 10103, "durable name can not contain '.', '*', '>'"));
        }
        int i = consumerIndex(r, a.getName());
        if (i >= 0) {
            ConsumerRecord old = r.getConsumers(i);
            ConsumerRecord updated = old.toBuilder().setSettings(a.getSettings()).setConfig(a.getConfig()).build();
            if (updated.equals(old)) {
                return new Change(s, Map.of(), List.of(), MetaReply.newBuilder().setStream(r).setConsumer(old).build());
            }
            StreamRecord nr = r.toBuilder().setConsumers(i, updated).build();
            return put(s, nr, MetaReply.newBuilder().setStream(nr).setConsumer(updated).build());
        }
        ConsumerRecord c = ConsumerRecord.newBuilder()
                .setName(a.getName())
                .setSettings(a.getSettings())
                .setStart(a.getStart())
                .setConfig(a.getConfig())
                .setCreatedNanos(a.getNowNanos())
                .build();
        StreamRecord nr = r.toBuilder().addConsumers(c).build();
        return put(s, nr, MetaReply.newBuilder().setStream(nr).setConsumer(c).setCreated(true).build());
    }

    private static Change put(MetaState s, StreamRecord r, MetaReply reply) {
        return new Change(s.with(r), Map.of(MetaState.key(r.getName()), r.toByteArray()), List.of(), reply);
    }

    /**
     * A stream group's id, from the meta entry that created it: the same on every node, and new for every creation
     * (a stream deleted and created again never meets the old group's directories or data).
     */
    static UUID groupId(String stream, AppliedIndex createdAt) {
        return UUID.nameUUIDFromBytes(("jetraft/stream/" + stream + "/" + createdAt.term() + "/" + createdAt.index())
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static int consumerIndex(StreamRecord r, String name) {
        for (int i = 0; i < r.getConsumersCount(); i++) {
            if (r.getConsumers(i).getName().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static JsError streamNotFound() {
        return new JsError(404, 10059, "stream not found");
    }

    /** nats-server's rule for stream and consumer names: no subject tokens, path separators, spaces or controls. */
    static boolean isValidName(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            if (ch == '.' || ch == '*' || ch == '>' || ch == '/' || ch == '\\' || Character.isWhitespace(ch)
                    || Character.isISOControl(ch)) {
                return false;
            }
        }
        return true;
    }
}
