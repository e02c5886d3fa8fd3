package io.jetraft.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jetraft.raft.group.RatisBytes;
import io.jetraft.raft.proto.EntryBatch;
import io.jetraft.raft.proto.StreamEntry;
import io.jetraft.raft.proto.StreamReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Group commit of one stream group's proposals from this node. A few Raft entries are in flight at once; entries of
 * any of the group's streams proposed meanwhile wait, in order, and go together as one {@link EntryBatch} entry, so
 * many streams' publishes, deliveries and acks share one Raft round and one fsync instead of one each. Entries are
 * proposed in the order they were submitted; each caller gets its own entry's reply.
 */
final class GroupCommit {

    /** Raft entries of the group in flight from this node at once. */
    private static final int MAX_IN_FLIGHT = 4;
    /** Stream entries in one batch at most. */
    private static final int MAX_ENTRIES = 4096;

    private record Pending(StreamEntry entry, CompletableFuture<StreamReply> reply) {
    }

    private final GroupName name;
    private final RaftGroup group;
    private final Proposer proposer;
    private final long maxBytes;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;

    GroupCommit(GroupName name, RaftGroup group, Proposer proposer, long maxBytes) {
        this.name = name;
        this.group = group;
        this.proposer = proposer;
        this.maxBytes = maxBytes;
    }

    /** Proposes {@code entry} (which names its stream) with the next Raft entry of the group. */
    CompletableFuture<StreamReply> submit(StreamEntry entry) {
        CompletableFuture<StreamReply> reply = new CompletableFuture<>();
        synchronized (this) {
            queue.addLast(new Pending(entry, reply));
            drain();
        }
        return reply;
    }

    /** Sends what waits while fewer than the maximum are in flight; under the lock, so entries keep their order. */
    private void drain() {
        while (inFlight < MAX_IN_FLIGHT && !queue.isEmpty()) {
            List<Pending> batch = new ArrayList<>();
            long bytes = 0;
            while (!queue.isEmpty() && batch.size() < MAX_ENTRIES
                    && (batch.isEmpty() || bytes + queue.peekFirst().entry().getSerializedSize() <= maxBytes)) {
                Pending p = queue.pollFirst();
                bytes += p.entry().getSerializedSize();
                batch.add(p);
            }
            inFlight++;
            StreamEntry entry = batch.size() == 1 ? batch.get(0).entry() : StreamEntry.newBuilder()
                    .setBatch(EntryBatch.newBuilder().addAllEntries(batch.stream().map(Pending::entry).toList()))
                    .build();
            proposer.write(name, group, RatisBytes.of(entry)).whenComplete((b, err) -> completed(batch, b, err));
        }
    }

    private void completed(List<Pending> batch, ByteString bytes, Throwable err) {
        synchronized (this) {
            inFlight--;
            drain();
        }
        if (err != null) {
            batch.forEach(p -> p.reply().completeExceptionally(err));
            return;
        }
        StreamReply reply;
        try {
            reply = StreamReply.parseFrom(RatisBytes.buffer(bytes));
        } catch (InvalidProtocolBufferException e) {
            CompletionException failure = new CompletionException(new IOException("an undecodable reply from "
                    + name + ": " + e.getMessage(), e));
            batch.forEach(p -> p.reply().completeExceptionally(failure));
            return;
        }
        if (batch.size() == 1) {
            batch.get(0).reply().complete(reply);
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            // a replayed entry (answered from the retry cache after a lost reply) has no replies of its own
            batch.get(i).reply().complete(i < reply.getBatchCount() ? reply.getBatch(i) : reply);
        }
    }
}
