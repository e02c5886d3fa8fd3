package io.jetraft.raft.stream;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jetraft.raft.GroupName;
import io.jetraft.raft.codec.EntryCodec;
import io.jetraft.raft.group.GroupEvents;
import io.jetraft.raft.group.GroupHaltedException;
import io.jetraft.raft.group.GroupStateMachine;
import io.jetraft.raft.group.InvalidRequestException;
import io.jetraft.raft.group.RatisBytes;
import io.jetraft.raft.proto.EntryBatch;
import io.jetraft.raft.proto.PublishBatch;
import io.jetraft.raft.proto.StreamEntry;
import io.jetraft.raft.proto.StreamReply;
import io.jetraft.storage.AppliedIndex;
import io.jetraft.storage.GroupSnapshotInfo;
import io.jetraft.storage.GroupStore;
import io.jetraft.storage.JsError;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.Outcome;
import io.jetraft.storage.StreamStore;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The state machine of one stream group: a Raft group carrying many streams. Every entry names its stream (by store
 * name); attach and detach entries add a stream to the group and remove it with every key it had; all other entries
 * are applied to their stream's {@link StreamStore} by {@link StreamEntryApplier}. The store records the group's
 * applied index with every write, so a replay after a restart changes nothing. A snapshot is the store's group
 * snapshot: every stream of the group at one applied index.
 */
public final class StreamGroupStateMachine extends GroupStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(StreamGroupStateMachine.class);
    private static final JsError STREAM_NOT_FOUND = new JsError(404, 10059, "stream not found");

    private final NodeStore store;
    private final String groupId;
    private final AtomicLong replayed = new AtomicLong();
    private volatile GroupStore group;
    /**
     * The streams' handles, kept from the first use until the stream leaves the group: one map lookup per entry, and
     * a stream lost from the store behind the group's back fails its next apply (the group halts here) instead of
     * being taken for one the group never had.
     */
    private final java.util.Map<String, StreamStore> handles = new java.util.concurrent.ConcurrentHashMap<>();

    public StreamGroupStateMachine(String groupId, NodeStore store, GroupEvents events, Clock clock) {
        super(GroupName.streams(groupId), events, clock);
        this.store = store;
        this.groupId = groupId;
    }

    /** The name of a stream in its group's entries and the store ({@code <name>#<12 hex>}) without the suffix. */
    public static Optional<String> streamOfStoreName(String storeName) {
        int hash = storeName.length() - 13;
        if (hash < 1 || storeName.charAt(hash) != '#') {
            return Optional.empty();
        }
        for (int i = hash + 1; i < storeName.length(); i++) {
            if (Character.digit(storeName.charAt(i), 16) < 0) {
                return Optional.empty();
            }
        }
        return Optional.of(storeName.substring(0, hash));
    }

    public String groupId() {
        return groupId;
    }

    /** How many entries this replica found applied already (a log replay after a restart): none changed anything. */
    public long replayedEntries() {
        return replayed.get();
    }

    /** The store names of the streams this replica of the group carries now. */
    public List<String> streamNames() {
        GroupStore g = group;
        return g == null ? List.of() : g.streamNames();
    }

    /** One stream of the group (reads from any thread; only this state machine writes); empty if it is gone. */
    public Optional<StreamStore> stream(String storeName) {
        return handle(storeName).filter(StreamStore::isLive);
    }

    /** The handle the applies use: one lost from the store behind the group's back fails its next apply. */
    private Optional<StreamStore> handle(String storeName) {
        StreamStore cached = handles.get(storeName);
        if (cached != null) {
            return Optional.of(cached);
        }
        GroupStore g = group;
        Optional<StreamStore> s = g == null ? Optional.empty() : g.stream(storeName);
        s.ifPresent(h -> handles.put(storeName, h));
        return s;
    }

    // ------------------------------------------------------------------ store and snapshots

    @Override
    protected void recover(SingleFileSnapshotInfo latest) throws IOException {
        GroupStore g = store.group(groupId);
        if (latest != null && g.appliedIndex().index() < latest.getIndex()) {
            LOG.info("{}: the store is behind the snapshot at {}; restoring it from {}", name, latest.getTermIndex(),
                    latest.getFile().getPath());
            restore(g, latest);
        }
        group = g;
    }

    @Override
    protected void install(SingleFileSnapshotInfo snapshot) throws IOException {
        restore(store.group(groupId), snapshot);
        handles.clear();
        events.streamsChanged(name);
    }

    private void restore(GroupStore g, SingleFileSnapshotInfo snapshot) throws IOException {
        try {
            GroupSnapshotInfo info = g.restore(snapshot.getFile().getPath());
            LOG.info("{}: restored {} stream(s) at {} from the group snapshot", name, info.streams().size(),
                    info.applied());
        } catch (RuntimeException e) {
            throw new IOException(name + ": restoring the snapshot " + snapshot.getFile().getPath() + " failed: "
                    + e.getMessage(), e);
        }
    }

    @Override
    protected AppliedIndex storedAppliedIndex() {
        return group.appliedIndex();
    }

    @Override
    protected AppliedIndex writeSnapshot(Path file) throws IOException {
        GroupSnapshotInfo info = group.export(file);
        // Ratis purges the log up to the index we return: that index must be on disk, in the store and the file
        store.flushWal(true);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        return info.applied();
    }

    // ------------------------------------------------------------------ leader side

    @Override
    protected ByteString stamp(ByteString request) throws InvalidRequestException {
        StreamEntry entry;
        try {
            entry = StreamEntry.parseFrom(RatisBytes.buffer(request));
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidRequestException(name + ": the request is not a stream entry: " + e.getMessage(), e);
        }
        long now = EntryCodec.nanos(clock.instant());
        StreamEntry stamped;
        if (entry.getKindCase() == StreamEntry.KindCase.BATCH) {
            if (entry.getBatch().getEntriesCount() == 0) {
                throw new InvalidRequestException(name + ": a batch needs at least one entry");
            }
            EntryBatch.Builder b = EntryBatch.newBuilder();
            for (StreamEntry inner : entry.getBatch().getEntriesList()) {
                if (inner.getKindCase() == StreamEntry.KindCase.BATCH) {
                    throw new InvalidRequestException(name + ": a batch cannot hold a batch");
                }
                b.addEntries(stampOne(inner, now));
            }
            stamped = StreamEntry.newBuilder().setBatch(b).build();
        } else {
            stamped = stampOne(entry, now);
        }
        return RatisBytes.of(stamped);
    }

    /** Checks one (non-batch) stream entry and stamps what only the leader may decide (its time) into it. */
    private StreamEntry stampOne(StreamEntry entry, long now) throws InvalidRequestException {
        if (entry.getStream().isEmpty()) {
            throw new InvalidRequestException(name + ": a stream entry must name its stream");
        }
        return switch (entry.getKindCase()) {
            case PUBLISH -> {
                if (entry.getPublish().getMessagesCount() == 0) {
                    throw new InvalidRequestException(name + ": a publish batch needs at least one message");
                }
                PublishBatch.Builder b = entry.getPublish().toBuilder();
                for (int i = 0; i < b.getMessagesCount(); i++) {
                    b.setMessages(i, b.getMessages(i).toBuilder().setTimestampNanos(now));
                }
                yield entry.toBuilder().setPublish(b).build();
            }
            case DELIVERED -> entry.toBuilder().setDelivered(entry.getDelivered().toBuilder().setTimestampNanos(now))
                    .build();
            case DELIVERED_BATCH -> {
                if (entry.getDeliveredBatch().getDeliveriesCount() == 0) {
                    throw new InvalidRequestException(name + ": a delivery batch needs at least one delivery");
                }
                yield entry.toBuilder().setDeliveredBatch(entry.getDeliveredBatch().toBuilder().setTimestampNanos(now))
                        .build();
            }
            case ACKED_BATCH -> {
                if (entry.getAckedBatch().getAcksCount() == 0) {
                    throw new InvalidRequestException(name + ": an acknowledgement batch needs at least one ack");
                }
                yield entry;
            }
            case REMOVE_EXPIRED -> entry.toBuilder().setRemoveExpired(
                    entry.getRemoveExpired().toBuilder().setNowNanos(now)).build();
            case PURGE -> {
                if (entry.getPurge().getSequence() < 0 || entry.getPurge().getKeep() < 0) {
                    throw new InvalidRequestException(name + ": purge sequence and keep cannot be negative");
                }
                yield entry;
            }
            case ATTACH_STREAM -> {
                if (streamOfStoreName(entry.getStream()).isEmpty()) {
                    throw new InvalidRequestException(name + ": '" + entry.getStream() + "' is not a stream's "
                            + "store name");
                }
                yield entry;
            }
            case KIND_NOT_SET -> throw new InvalidRequestException(name + ": a stream entry of an unknown kind");
            default -> entry;
        };
    }

    // ------------------------------------------------------------------ every replica

    @Override
    protected ByteString apply(LogEntryProto logEntry, AppliedIndex at) {
        StreamEntry entry;
        try {
            entry = StreamEntry.parseFrom(RatisBytes.buffer(logEntry.getStateMachineLogEntry().getLogData()));
        } catch (InvalidProtocolBufferException e) {
            throw halt(at, "the entry cannot be decoded (" + e.getMessage() + ")", null);
        }
        if (entry.getKindCase() == StreamEntry.KindCase.KIND_NOT_SET) {
            throw halt(at, "the entry is of a kind this jetraft does not know (written by a newer version? "
                    + "upgrade this node)", null);
        }
        StreamReply reply;
        try {
            // the whole entry (a batch may carry many streams' entries) is one write to the store
            reply = group.inOneWrite(() -> applyAll(entry, at));
        } catch (GroupHaltedException e) {
            throw e;
        } catch (RuntimeException e) {
            throw halt(at, "writing the entry's changes to the store failed", e);
        }
        if (reply.getReplayed()) {
            replayed.incrementAndGet();
        }
        return RatisBytes.of(reply);
    }

    private StreamReply applyAll(StreamEntry entry, AppliedIndex at) {
        if (entry.getKindCase() != StreamEntry.KindCase.BATCH) {
            return applyChecked(entry, at);
        }
        StreamReply.Builder all = StreamReply.newBuilder().setReplayed(true);
        for (int i = 0; i < entry.getBatch().getEntriesCount(); i++) {
            StreamReply one = applyChecked(entry.getBatch().getEntries(i), at.at(i));
            all.addBatch(one).setReplayed(all.getReplayed() && one.getReplayed());
        }
        return all.build();
    }

    /** Applies one stream entry; a failure halts the group (throws). */
    private StreamReply applyChecked(StreamEntry entry, AppliedIndex at) {
        try {
            return applyTo(group, entry, at);
        } catch (RuntimeException e) {
            throw halt(at, "applying the " + entry.getKindCase() + " entry of stream '" + entry.getStream()
                    + "' failed", e);
        }
    }

    private StreamReply applyTo(GroupStore g, StreamEntry entry, AppliedIndex at) {
        String stream = entry.getStream();
        switch (entry.getKindCase()) {
            case ATTACH_STREAM -> {
                Outcome<StreamStore> out = g.attach(at, stream, EntryCodec.limits(entry.getAttachStream()
                        .getLimits()));
                if (out.isDone()) {
                    events.streamsChanged(name);
                }
                return StreamEntryApplier.reply(out, (r, s) -> r.setFlag(true));
            }
            case DETACH_STREAM -> {
                handles.remove(stream);
                Outcome<Boolean> out = g.detach(at, stream);
                if (out.isDone()) {
                    events.streamsChanged(name);
                }
                return StreamEntryApplier.reply(out, (r, removed) -> r.setFlag(removed));
            }
            default -> {
                Optional<StreamStore> s = handle(stream);
                if (s.isEmpty()) {
                    // not (or no longer) in this group: the entry still counts as applied
                    Outcome<Void> recorded = g.recordApplied(at);
                    return recorded instanceof Outcome.Skipped<Void> ? StreamEntryApplier.replayed()
                            : StreamReply.newBuilder().setError(EntryCodec.error(STREAM_NOT_FOUND)).build();
                }
                return StreamEntryApplier.apply(s.get(), entry, at);
            }
        }
    }
}
