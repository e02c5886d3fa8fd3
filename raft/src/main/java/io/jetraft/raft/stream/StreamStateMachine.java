package io.jetraft.raft.stream;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jetraft.raft.GroupName;
import io.jetraft.raft.codec.EntryCodec;
import io.jetraft.raft.group.GroupEvents;
import io.jetraft.raft.group.GroupStateMachine;
import io.jetraft.raft.group.InvalidRequestException;
import io.jetraft.raft.group.RatisBytes;
import io.jetraft.raft.proto.PublishBatch;
import io.jetraft.raft.proto.PublishMessage;
import io.jetraft.raft.proto.PublishResult;
import io.jetraft.raft.proto.StreamEntry;
import io.jetraft.raft.proto.StreamReply;
import io.jetraft.storage.Ack;
import io.jetraft.storage.Append;
import io.jetraft.storage.AppliedIndex;
import io.jetraft.storage.Appended;
import io.jetraft.storage.Delivery;
import io.jetraft.storage.JsError;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.Outcome;
import io.jetraft.storage.PurgeRequest;
import io.jetraft.storage.SnapshotInfo;
import io.jetraft.storage.StreamLimits;
import io.jetraft.storage.StreamState;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The state machine of one stream group: applies publish batches, deletes, purges, expiry, limit changes and the
 * consumers' creates, deletes, deliveries and acks to the stream's {@link StreamStore}, each entry in one write with
 * its applied index. Snapshots are the store's stream snapshots ({@link NodeStore#exportStream} /
 * {@link NodeStore#restoreStream}).
 *
 * <p>The store's stream is named {@code <stream>#<first 12 hex digits of the group id>}: a stream deleted and
 * created again gets a new group and so a new store name, and data left from the old one can never be taken for the
 * new one's.
 */
public final class StreamStateMachine extends GroupStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(StreamStateMachine.class);

    private final NodeStore store;
    private final String storeName;
    private final StreamLimits initialLimits;
    private volatile StreamStore stream;
    private final AtomicLong replayed = new AtomicLong();

    public StreamStateMachine(String streamName, String groupId, StreamLimits initialLimits, NodeStore store,
                              GroupEvents events, Clock clock) {
        super(GroupName.stream(streamName), events, clock);
        this.store = store;
        this.storeName = storeName(streamName, groupId);
        this.initialLimits = initialLimits;
    }

    /** The name of a stream group's stream in the node's store. */
    public static String storeName(String stream, String groupId) {
        return stream + "#" + groupId.replace("-", "").substring(0, 12);
    }

    /** The stream name of a store name made by {@link #storeName}, or empty for any other name. */
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

    public String storeName() {
        return storeName;
    }

    /** How many entries this replica found applied already (a log replay after a restart): none changed anything. */
    public long replayedEntries() {
        return replayed.get();
    }

    /** The stream's store (reads are fine from any thread; only this state machine writes). */
    public StreamStore stream() {
        return stream;
    }

    // ------------------------------------------------------------------ store and snapshots

    @Override
    protected void recover(SingleFileSnapshotInfo latest) throws IOException {
        Optional<StreamStore> existing = store.stream(storeName);
        if (latest != null && (existing.isEmpty() || existing.get().appliedIndex().index() < latest.getIndex())) {
            LOG.info("{}: the store is behind the snapshot at {}; restoring it from {}", name, latest.getTermIndex(),
                    latest.getFile().getPath());
            stream = restore(latest);
        } else if (existing.isPresent()) {
            stream = existing.get();
        } else {
            Outcome<StreamStore> created = store.createStream(storeName, initialLimits);
            if (!created.isDone()) {
                throw new IOException(name + ": cannot create its store '" + storeName + "': " + created);
            }
            stream = created.value();
        }
    }

    @Override
    protected void install(SingleFileSnapshotInfo snapshot) throws IOException {
        stream = restore(snapshot);
    }

    private StreamStore restore(SingleFileSnapshotInfo snapshot) throws IOException {
        try {
            return store.restoreStream(storeName, snapshot.getFile().getPath());
        } catch (RuntimeException e) {
            throw new IOException(name + ": restoring the snapshot " + snapshot.getFile().getPath() + " failed: "
                    + e.getMessage(), e);
        }
    }

    @Override
    protected AppliedIndex storedAppliedIndex() {
        return stream.appliedIndex();
    }

    @Override
    protected AppliedIndex writeSnapshot(Path file) throws IOException {
        SnapshotInfo info = store.exportStream(storeName, file);
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
        long now = nowNanos();
        StreamEntry stamped = switch (entry.getKindCase()) {
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
            case KIND_NOT_SET -> throw new InvalidRequestException(name + ": a stream entry of an unknown kind");
            default -> entry;
        };
        return RatisBytes.of(stamped);
    }

    private long nowNanos() {
        return EntryCodec.nanos(clock.instant());
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
            reply = applyTo(stream, entry, at);
        } catch (RuntimeException e) {
            throw halt(at, "applying the " + entry.getKindCase() + " entry to store '" + storeName + "' failed", e);
        }
        if (reply.getReplayed()) {
            replayed.incrementAndGet();
        }
        return RatisBytes.of(reply);
    }

    private StreamReply applyTo(StreamStore s, StreamEntry entry, AppliedIndex at) {
        switch (entry.getKindCase()) {
            case PUBLISH -> {
                List<Append> appends = new ArrayList<>();
                for (PublishMessage m : entry.getPublish().getMessagesList()) {
                    appends.add(new Append(m.getSubject(), m.getHeaders().toByteArray(), m.getPayload().toByteArray(),
                            m.getTimestampNanos(), m.getMsgId(),
                            m.hasExpectedLastSequence() ? OptionalLong.of(m.getExpectedLastSequence())
                                    : OptionalLong.empty(),
                            m.hasExpectedLastSubjectSequence() ? OptionalLong.of(m.getExpectedLastSubjectSequence())
                                    : OptionalLong.empty()));
                }
                Outcome<List<Outcome<Appended>>> out = s.appendBatch(at, appends);
                if (out instanceof Outcome.Skipped<?>) {
                    return replayed();
                }
                StreamReply.Builder r = StreamReply.newBuilder();
                for (Outcome<Appended> one : out.value()) {
                    if (one instanceof Outcome.Rejected<Appended> rejected) {
                        r.addPublished(PublishResult.newBuilder().setError(EntryCodec.error(rejected.error())));
                    } else {
                        Appended a = one.value();
                        r.addPublished(PublishResult.newBuilder().setSequence(a.seq()).setDuplicate(a.duplicate()));
                    }
                }
                return r.build();
            }
            case DELETE_MESSAGE -> {
                return reply(s.deleteMessage(at, entry.getDeleteMessage().getSequence()),
                        (r, removed) -> r.setFlag(removed));
            }
            case PURGE -> {
                var p = entry.getPurge();
                PurgeRequest req;
                try {
                    req = new PurgeRequest(p.getFilter(), p.getSequence(), p.getKeep());
                } catch (IllegalArgumentException e) {
                    return refusedButRecorded(s, at, JsError.badRequest());
                }
                return reply(s.purge(at, req), (r, n) -> r.setCount(n));
            }
            case REMOVE_EXPIRED -> {
                return reply(s.removeExpired(at, entry.getRemoveExpired().getNowNanos()), (r, n) -> r.setCount(n));
            }
            case UPDATE_LIMITS -> {
                return reply(s.updateLimits(at, EntryCodec.limits(entry.getUpdateLimits().getLimits())),
                        (r, v) -> { });
            }
            case CREATE_CONSUMER -> {
                var c = entry.getCreateConsumer();
                long startSeq = startSequence(s.state(), EntryCodec.start(c.getStart()));
                return reply(s.createConsumer(at, c.getName(), EntryCodec.settings(c.getSettings()), startSeq),
                        (r, created) -> r.setFlag(created));
            }
            case DELETE_CONSUMER -> {
                return reply(s.deleteConsumer(at, entry.getDeleteConsumer().getName()), (r, v) -> { });
            }
            case DELIVERED -> {
                var d = entry.getDelivered();
                return reply(s.consumerDelivered(at, d.getConsumer(), d.getConsumerSequence(),
                        d.getStreamSequence(), d.getDeliveryCount(), d.getTimestampNanos()), (r, v) -> { });
            }
            case DELIVERED_BATCH -> {
                var b = entry.getDeliveredBatch();
                List<Delivery> ds = new ArrayList<>(b.getDeliveriesCount());
                for (var d : b.getDeliveriesList()) {
                    ds.add(new Delivery(d.getConsumerSequence(), d.getStreamSequence(), d.getDeliveryCount(),
                            b.getTimestampNanos()));
                }
                return reply(s.consumerDelivered(at, b.getConsumer(), ds), (r, v) -> { });
            }
            case ACKED_BATCH -> {
                var b = entry.getAckedBatch();
                List<Ack> acks = new ArrayList<>(b.getAcksCount());
                for (var a : b.getAcksList()) {
                    acks.add(new Ack(a.getConsumerSequence(), a.getStreamSequence()));
                }
                return reply(s.consumerAcked(at, b.getConsumer(), acks), (r, settled) -> r.setFlag(settled));
            }
            case ACKED -> {
                var a = entry.getAcked();
                return reply(s.consumerAcked(at, a.getConsumer(), a.getConsumerSequence(), a.getStreamSequence()),
                        (r, settled) -> r.setFlag(settled));
            }
            default -> throw new IllegalStateException("unhandled entry kind " + entry.getKindCase());
        }
    }

    private static long startSequence(StreamState st, io.jetraft.raft.StartPosition start) {
        return switch (start.policy()) {
            case ALL -> Math.max(1, st.firstSeq());
            case NEW -> st.lastSeq() + 1;
            case LAST -> Math.max(1, st.lastSeq());
            case SEQUENCE -> start.sequence();
        };
    }

    private interface Fill<T> {
        void into(StreamReply.Builder reply, T value);
    }

    private static <T> StreamReply reply(Outcome<T> out, Fill<T> fill) {
        if (out instanceof Outcome.Skipped<T>) {
            return replayed();
        }
        if (out instanceof Outcome.Rejected<T> rejected) {
            return StreamReply.newBuilder().setError(EntryCodec.error(rejected.error())).build();
        }
        StreamReply.Builder r = StreamReply.newBuilder();
        fill.into(r, out.value());
        return r.build();
    }

    private static StreamReply refusedButRecorded(StreamStore s, AppliedIndex at, JsError error) {
        Outcome<Void> recorded = s.recordApplied(at);
        return recorded instanceof Outcome.Skipped<Void> ? replayed()
                : StreamReply.newBuilder().setError(EntryCodec.error(error)).build();
    }

    private static StreamReply replayed() {
        return StreamReply.newBuilder().setReplayed(true).build();
    }
}
