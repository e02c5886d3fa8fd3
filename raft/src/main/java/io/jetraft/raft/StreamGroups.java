package io.jetraft.raft;

import io.jetraft.raft.ProposalFailedException.Reason;
import io.jetraft.raft.codec.EntryCodec;
import io.jetraft.raft.health.GroupHealth;
import io.jetraft.raft.proto.Acked;
import io.jetraft.raft.proto.AckedBatch;
import io.jetraft.raft.proto.Delivered;
import io.jetraft.raft.proto.DeliveredBatch;
import io.jetraft.raft.proto.DeleteMessage;
import io.jetraft.raft.proto.PublishBatch;
import io.jetraft.raft.proto.PublishMessage;
import io.jetraft.raft.proto.PublishResult;
import io.jetraft.raft.proto.Purge;
import io.jetraft.raft.proto.RemoveExpired;
import io.jetraft.raft.proto.StreamEntry;
import io.jetraft.raft.proto.StreamRecord;
import io.jetraft.raft.proto.StreamReply;
import io.jetraft.raft.stream.StreamGroupStateMachine;
import io.jetraft.storage.Ack;
import io.jetraft.storage.Appended;
import io.jetraft.storage.Delivery;
import io.jetraft.storage.JsError;
import io.jetraft.storage.PurgeRequest;
import io.jetraft.storage.StreamStore;
import org.apache.ratis.server.RaftServer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The streams of this node's Raft layer, each carried by a stream group: proposals (publish batches, deletes,
 * purges, expiry, a consumer's deliveries and acks) go through the log of the stream's group, every entry naming its
 * stream; reads after a linearizable barrier; and where each stream is led. A stream's leader is its group's leader.
 */
public final class StreamGroups {

    private static final JsError STREAM_NOT_FOUND = new JsError(404, 10059, "stream not found");

    private final StreamLocator locator;
    private final Divisions divisions;
    private final Proposer proposer;
    private final HealthView health;
    private final Executor io;
    private final Executor proposing;
    private final long maxBatchBytes;
    private final java.util.Map<GroupName, GroupCommit> commits = new java.util.concurrent.ConcurrentHashMap<>();

    StreamGroups(StreamLocator locator, Divisions divisions, Proposer proposer, HealthView health, Executor io,
                 Executor proposing, long maxBatchBytes) {
        this.locator = locator;
        this.divisions = divisions;
        this.proposer = proposer;
        this.health = health;
        this.io = io;
        this.proposing = proposing;
        this.maxBatchBytes = maxBatchBytes;
    }

    // ================================================================== where streams are

    /** The stream group carrying a stream, by this node's meta state. */
    public Optional<GroupName> groupOf(String stream) {
        return locator.groupOf(stream);
    }

    /** The streams a group carries, by this node's meta state, sorted. */
    public List<String> streamsOf(GroupName group) {
        return locator.streamsOf(group).stream().map(StreamRecord::getName).toList();
    }

    public boolean isLeader(String stream) {
        RaftServer.Division d = division(stream);
        return d != null && d.getInfo().isLeader();
    }

    /** The stream's leader (its group's) as this node knows it: empty when none is known or no replica is here. */
    public Optional<String> leader(String stream) {
        return groupOf(stream).flatMap(health::leader);
    }

    /** The health of the group carrying the stream, if this node hosts a replica of it. */
    public Optional<GroupHealth> health(String stream) {
        return groupOf(stream).flatMap(health::health);
    }

    /** Whether this node holds a replica of the stream's group. */
    public boolean hosts(String stream) {
        return division(stream) != null;
    }

    /**
     * The streams this node leads and serves now: those its stream groups carry on this replica, of the groups it
     * leads and has applied its term's first entry in, that the meta state knows.
     */
    public Set<String> ledHere() {
        Set<String> out = new HashSet<>();
        for (Map.Entry<GroupName, RaftServer.Division> e : divisions.all().entrySet()) {
            RaftServer.Division d = e.getValue();
            if (e.getKey().isMeta() || !(d.getStateMachine() instanceof StreamGroupStateMachine sm)) {
                continue;
            }
            try {
                if (!d.getInfo().isLeaderReady()) {
                    continue;
                }
            } catch (RuntimeException closing) {
                continue;
            }
            for (String storeName : sm.streamNames()) {
                locator.byStoreName(storeName).filter(r -> r.getGroupId().equals(sm.groupId()))
                        .ifPresent(r -> out.add(r.getName()));
            }
        }
        return out;
    }

    // ================================================================== proposals

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
        return onStream(stream, StreamEntry.newBuilder().setPublish(b)).thenApply(r -> {
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
        return onStream(stream, StreamEntry.newBuilder().setDeleteMessage(DeleteMessage.newBuilder()
                .setSequence(seq))).thenApply(r -> map(r, StreamReply::getFlag));
    }

    /** Purges as {@code $JS.API.STREAM.PURGE} does; returns how many messages went. */
    public CompletableFuture<Result<Long>> purge(String stream, PurgeRequest req) {
        Purge.Builder p = Purge.newBuilder().setSequence(req.seq()).setKeep(req.keep());
        if (req.filter() != null) {
            p.setFilter(req.filter());
        }
        return onStream(stream, StreamEntry.newBuilder().setPurge(p)).thenApply(r -> map(r, StreamReply::getCount));
    }

    /** Removes the messages older than max_age as of the leader's clock (and old duplicate-window entries). */
    public CompletableFuture<Result<Long>> removeExpired(String stream) {
        return onStream(stream, StreamEntry.newBuilder().setRemoveExpired(RemoveExpired.getDefaultInstance()))
                .thenApply(r -> map(r, StreamReply::getCount));
    }

    /** Records a delivery of stream sequence {@code sseq} as consumer sequence {@code dseq}, the {@code dc}-th time. */
    public CompletableFuture<Result<Void>> delivered(String stream, String consumer, long dseq, long sseq, long dc) {
        return onStream(stream, StreamEntry.newBuilder().setDelivered(Delivered.newBuilder().setConsumer(consumer)
                .setConsumerSequence(dseq).setStreamSequence(sseq).setDeliveryCount(dc))).thenApply(r -> map(r,
                x -> null));
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
        return onStream(stream, StreamEntry.newBuilder().setDeliveredBatch(b)).thenApply(r -> map(r, x -> null));
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
        return onStream(stream, StreamEntry.newBuilder().setAckedBatch(b)).thenApply(r -> map(r, StreamReply::getFlag));
    }

    /** Records an acknowledgement; true when it settled a pending message. */
    public CompletableFuture<Result<Boolean>> acked(String stream, String consumer, long dseq, long sseq) {
        return onStream(stream, StreamEntry.newBuilder().setAcked(Acked.newBuilder().setConsumer(consumer)
                .setConsumerSequence(dseq).setStreamSequence(sseq))).thenApply(r -> map(r, StreamReply::getFlag));
    }

    // ================================================================== reads

    /**
     * Reads a stream's store once this node's replica is current (a linearizable read: everything committed before
     * the call is visible). This node must hold a replica; the reader runs on the node's I/O threads.
     */
    public <T> CompletableFuture<T> readCurrent(String stream, Function<StreamStore, T> reader) {
        Optional<StreamLocator.Located> at = locator.locate(stream);
        if (at.isEmpty()) {
            return CompletableFuture.failedFuture(new ProposalFailedException(GroupName.META, Reason.NOT_A_MEMBER,
                    "no stream '" + stream + "' in this node's meta state"));
        }
        StreamLocator.Located l = at.get();
        return proposer.readBarrier(l.groupName(), l.groupId()).thenApplyAsync(applied -> localStore(l)
                .orElseThrow(() -> new ProposalFailedException(l.groupName(), Reason.NOT_A_MEMBER, "stream '"
                        + stream + "' has no replica on this node")), io).thenApply(reader);
    }

    /**
     * This node's own copy of a stream, without a read barrier: current only on the stream's leader (which applies
     * everything it commits). Empty when this node holds no replica.
     */
    public Optional<StreamStore> localStore(String stream) {
        return locator.locate(stream).flatMap(this::localStore);
    }

    private Optional<StreamStore> localStore(StreamLocator.Located l) {
        RaftServer.Division d = divisions.get(l.groupId());
        if (d != null && d.getStateMachine() instanceof StreamGroupStateMachine sm) {
            return sm.stream(l.storeName());
        }
        return Optional.empty();
    }

    // ================================================================== internals

    private RaftServer.Division division(String stream) {
        return locator.locate(stream).map(l -> divisions.get(l.groupId())).orElse(null);
    }

    private CompletableFuture<Result<StreamReply>> onStream(String stream, StreamEntry.Builder e) {
        Optional<StreamLocator.Located> at = locator.locate(stream);
        if (at.isPresent()) {
            return propose(at.get(), e).thenApply(Result::ok);
        }
        // this node may not have applied the meta entry creating it yet: catch up once, then decide
        return proposer.readBarrier(GroupName.META, divisions.id(GroupName.META))
                .exceptionally(t -> -1L)
                .thenCompose(i -> locator.locate(stream)
                        .map(l -> propose(l, e).thenApply(Result::ok))
                        .orElseGet(() -> CompletableFuture.completedFuture(Result.refused(STREAM_NOT_FOUND))));
    }

    /**
     * Commits one entry for a stream in its group's log (with other streams' entries proposed meanwhile: a group
     * commit) and returns what applying it did.
     */
    CompletableFuture<StreamReply> propose(StreamLocator.Located at, StreamEntry.Builder e) {
        GroupCommit commit = commits.computeIfAbsent(at.groupName(), g -> new GroupCommit(g, at.raftGroup(),
                proposer, maxBatchBytes, proposing));
        return commit.submit(e.setStream(at.storeName()).build());
    }

    static <T> Result<T> map(Result<StreamReply> r, Function<StreamReply, T> value) {
        if (!r.isOk()) {
            return Result.refused(r.error());
        }
        StreamReply reply = r.value();
        return reply.hasError() ? Result.refused(EntryCodec.error(reply.getError())) : Result.ok(value.apply(reply));
    }
}
