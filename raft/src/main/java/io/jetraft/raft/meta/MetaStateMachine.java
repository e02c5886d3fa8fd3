package io.jetraft.raft.meta;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jetraft.raft.GroupName;
import io.jetraft.raft.codec.EntryCodec;
import io.jetraft.raft.group.GroupEvents;
import io.jetraft.raft.group.GroupStateMachine;
import io.jetraft.raft.group.InvalidRequestException;
import io.jetraft.raft.group.RatisBytes;
import io.jetraft.raft.proto.CreateStream;
import io.jetraft.raft.proto.MetaEntry;
import io.jetraft.raft.proto.MetaReply;
import io.jetraft.raft.proto.MetaSnapshot;
import io.jetraft.raft.proto.PeerAddress;
import io.jetraft.raft.proto.GroupRecord;
import io.jetraft.raft.proto.StreamRecord;
import io.jetraft.storage.AppliedIndex;
import io.jetraft.storage.MetaRecords;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.Outcome;
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

/**
 * The meta group's state machine: which streams and consumers exist, their configuration, and which peers hold each
 * stream's replicas. The leader places new streams (stamped into the entry); every node applies the same records to
 * its store's {@link MetaRecords} with the applied index, publishes the new state to its {@link MetaView} and asks for
 * a reconcile; it never starts or stops stream groups itself (that is group I/O, done by the reconciler).
 */
public final class MetaStateMachine extends GroupStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(MetaStateMachine.class);

    private final NodeStore store;
    private final MetaView view;
    private final Random random;
    private final Duration reachableWithin;
    private final int groupsPerSet;

    /**
     * @param groupsPerSet how many stream groups a new replica set gets when this node leads (0: one per member)
     */
    public MetaStateMachine(NodeStore store, MetaView view, GroupEvents events, Clock clock, Random random,
                            Duration reachableWithin, int groupsPerSet) {
        super(GroupName.META, events, clock);
        this.store = store;
        this.view = view;
        this.random = random;
        this.reachableWithin = reachableWithin;
        this.groupsPerSet = groupsPerSet;
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
        for (GroupRecord g : snap.getGroupsList()) {
            records.put(MetaState.groupKey(g.getGroupId()), g.toByteArray());
        }
        store.metaRecords().replaceAll(at, records);
        LOG.info("Restored the meta state ({} streams, {} stream groups) at index {} from {}",
                snap.getStreamsCount(), snap.getGroupsCount(), at.index(), file);
    }

    @Override
    protected AppliedIndex storedAppliedIndex() {
        return store.metaRecords().appliedIndex();
    }

    @Override
    protected AppliedIndex writeSnapshot(Path file) throws IOException {
        // on the apply thread: the records and their index cannot change meanwhile
        AppliedIndex at = store.metaRecords().appliedIndex();
        MetaSnapshot snap = MetaSnapshot.newBuilder().addAllStreams(view.get().streams())
                .addAllGroups(view.get().groups()).build();
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
                List<PeerAddress> peers = replicas > MetaChanges.MAX_REPLICAS ? List.of()
                        : Placement.choose(replicas, candidates(), view.get().replicasPerPeer(), random,
                        c.getPreferredLeader());
                yield entry.toBuilder().setCreateStream(c.toBuilder().clearPeers().addAllPeers(peers)
                        .setNowNanos(now).setGroupsPerSet(groupsPerSet)).build();
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
            MetaChanges.Change c = MetaChanges.decide(before, entry, at);
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
}
