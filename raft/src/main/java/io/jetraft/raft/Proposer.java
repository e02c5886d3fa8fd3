package io.jetraft.raft;

import io.jetraft.raft.ProposalFailedException.Reason;
import io.jetraft.raft.group.GroupStateMachine;
import io.jetraft.raft.group.Halt;
import io.jetraft.raft.group.InvalidRequestException;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.JavaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gets proposals and reads through a group. A write goes to this node's division in-process when it leads the group,
 * else to the leader over this node's one client RPC (gRPC), following {@code NotLeaderException} hints. Every
 * attempt of one proposal carries the same client id and call id, so Ratis's retry cache (filled on every replica as
 * entries apply) answers a retry of an entry that was committed after all instead of applying it twice. Attempts go
 * on until the proposal timeout; a timeout reports an unknown outcome.
 */
final class Proposer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Proposer.class);
    private static final long RETRY_MS = 50;

    private final RaftServer server;
    private final Divisions divisions;
    private final RaftPeerId self;
    private final RaftClientRpc rpc;
    private final RaftTiming timing;
    private final ScheduledExecutorService scheduler;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    /** Attempts that found their stream to a peer closed (counted for tests). */
    private final AtomicLong closedStreamAttempts = new AtomicLong();
    private volatile boolean closed;
    /** Closing: no attempt goes to this node's own divisions any more. */
    private volatile boolean closing;
    /** Writes not yet answered (committed, refused or failed). */
    private final Set<Write> pending = ConcurrentHashMap.newKeySet();
    /** Reads waiting for their barrier. */
    private final Map<CompletableFuture<Long>, GroupName> reading = new ConcurrentHashMap<>();
    /** Groups this node is handing off: new writes wait for the new leader instead of entering this node's log. */
    private final Set<RaftGroupId> held = ConcurrentHashMap.newKeySet();

    Proposer(Divisions divisions, RaftClientRpc rpc, RaftTiming timing, ScheduledExecutorService scheduler) {
        this.server = divisions.server();
        this.divisions = divisions;
        this.self = server.getId();
        this.rpc = rpc;
        this.timing = timing;
        this.scheduler = scheduler;
    }

    /** One proposal: its group, request, invocation and where to send the next attempt. */
    private final class Write {
        final GroupName name;
        final RaftGroup group;
        final ByteString request;
        final long callId = callIds.incrementAndGet();
        final long deadline = System.nanoTime() + timing.proposalTimeout().toNanos();
        final CompletableFuture<ByteString> result = new CompletableFuture<>();
        RaftPeerId target;
        int nextPeer;
        int attempts;
        Throwable lastFailure;

        Write(GroupName name, RaftGroup group, ByteString request) {
            this.name = name;
            this.group = group;
            this.request = request;
        }
    }

    /** Commits {@code request} in {@code group} and returns the reply of its apply. */
    CompletableFuture<ByteString> write(GroupName name, RaftGroup group, ByteString request) {
        Write w = new Write(name, group, request);
        pending.add(w);
        w.result.whenComplete((r, err) -> pending.remove(w));
        attempt(w);
        return w.result;
    }

    private void attempt(Write w) {
        if (closed) {
            w.result.completeExceptionally(new ProposalFailedException(w.name, Reason.CLOSED, "this node is closing"));
            return;
        }
        Halt halt = haltOf(w.group.getGroupId());
        if (halt != null && w.attempts >= w.group.getPeers().size()) {
            // this replica stopped applying, and no other peer took the entry either
            w.result.completeExceptionally(new ProposalFailedException(w.name, Reason.GROUP_HALTED,
                    "the group " + halt + " on this node, and no other replica accepted the entry (last error: "
                            + w.lastFailure + ")", w.lastFailure));
            return;
        }
        w.attempts++;
        RaftServer.Division local = closing ? null : localDivision(w.group.getGroupId());
        RaftPeerId to;
        if (local != null && local.getInfo().isLeader() && held.contains(w.group.getGroupId())) {
            // handing off: the entry goes to the new leader once there is one
            if (System.nanoTime() < w.deadline) {
                w.attempts--;
                retryLater(() -> attempt(w), w.result, w.name);
            } else {
                w.result.completeExceptionally(timedOut(w.name, w.lastFailure));
            }
            return;
        }
        if (local != null && local.getInfo().isLeader()) {
            to = self;
        } else {
            to = w.target != null ? w.target : local != null ? local.getInfo().getLeaderId()
                    : lastKnownLeader(w.group.getGroupId());
            if (to == null || (closing && to.equals(self))) {
                List<RaftPeer> peers = w.group.getPeers().stream().filter(p -> !closing || !p.getId().equals(self))
                        .toList();
                if (peers.isEmpty()) {
                    w.result.completeExceptionally(new ProposalFailedException(w.name, Reason.CLOSED,
                            "this node is closing"));
                    return;
                }
                to = peers.get(Math.floorMod(w.nextPeer++, peers.size())).getId();
            }
        }
        w.target = null;
        RaftClientRequest req = RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(to)
                .setGroupId(w.group.getGroupId())
                .setCallId(w.callId)
                .setMessage(Message.valueOf(w.request))
                .setType(RaftClientRequest.writeRequestType())
                .setTimeoutMs(timing.requestTimeout().toMillis())
                .build();
        CompletableFuture<RaftClientReply> reply;
        if (to.equals(self) && local != null) {
            reply = submitLocal(local, req);
        } else {
            rpc.addRaftPeers(w.group.getPeers());
            reply = rpc.sendRequestAsyncUnordered(req);
        }
        RaftPeerId sentTo = to;
        reply.whenComplete((r, err) -> {
            Throwable failure = err != null ? JavaUtils.unwrapCompletionException(err) : r.getException();
            if (failure == null && r.isSuccess()) {
                w.result.complete(r.getMessage().getContent());
                return;
            }
            w.lastFailure = failure;
            if (!sentTo.equals(self) || local == null) {
                // a broken or closed connection to that peer: open a new one for the next attempt. Ratis ends its
                // stream to a peer on the first NotLeader or LeaderNotReady reply too (every call on it fails with
                // that reply, and the next call "is closed"), so it is replaced at once: the next attempt at that
                // peer (a hand-back, the new leader once ready) no longer fails on the dead stream first
                if (failure instanceof AlreadyClosedException) {
                    closedStreamAttempts.incrementAndGet();
                }
                rpc.handleException(sentTo, failure, failure instanceof AlreadyClosedException
                        || failure instanceof NotLeaderException || failure instanceof LeaderNotReadyException);
            }
            if (failure instanceof StateMachineException sme) {
                w.result.completeExceptionally(stateMachineFailure(w.name, sme));
                return;
            }
            if (failure instanceof NotLeaderException nle) {
                if (nle.getPeers() != null) {
                    rpc.addRaftPeers(nle.getPeers());
                }
                w.target = nle.getSuggestedLeader() == null || nle.getSuggestedLeader().getId().equals(sentTo)
                        ? null : nle.getSuggestedLeader().getId();
            }
            if (System.nanoTime() < w.deadline) {
                // not the leader, not ready, stepping down, group not (yet) on that peer, unreachable, timed out:
                // the same invocation again is safe
                LOG.debug("{}: attempt at {} failed, retrying: {}", w.name, sentTo, String.valueOf(failure));
                retryLater(() -> attempt(w), w.result, w.name);
            } else {
                w.result.completeExceptionally(timedOut(w.name, failure));
            }
        });
    }

    /** How many attempts found their stream to a peer closed before they were sent. */
    long closedStreamAttempts() {
        return closedStreamAttempts.get();
    }

    /**
     * Stops admitting new entries into this node's log of {@code group} while it hands the group's leadership off
     * (entries already in the log go on replicating, so the target can catch up); writes wait for the new leader.
     */
    void hold(RaftGroupId group) {
        held.add(group);
    }

    /** Admits entries again (the hand-off is over, moved or not). */
    void release(RaftGroupId group) {
        held.remove(group);
    }

    /**
     * A linearizable read barrier on this node's replica: completes (with the applied index) once this replica has
     * applied everything committed before the call (ReadIndex; the leader may answer from its lease).
     */
    CompletableFuture<Long> readBarrier(GroupName name, RaftGroupId groupId) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + timing.proposalTimeout().toNanos();
        reading.put(result, name);
        result.whenComplete((r, err) -> reading.remove(result));
        attemptRead(name, groupId, deadline, result);
        return result;
    }

    private void attemptRead(GroupName name, RaftGroupId groupId, long deadline, CompletableFuture<Long> result) {
        if (closed) {
            result.completeExceptionally(new ProposalFailedException(name, Reason.CLOSED, "this node is closing"));
            return;
        }
        Halt halt = haltOf(groupId);
        if (halt != null) {
            result.completeExceptionally(new ProposalFailedException(name, Reason.GROUP_HALTED, "the group " + halt));
            return;
        }
        RaftServer.Division local = localDivision(groupId);
        if (local == null) {
            result.completeExceptionally(new ProposalFailedException(name, Reason.NOT_A_MEMBER,
                    "this node (" + self + ") holds no replica of it"));
            return;
        }
        RaftClientRequest req = RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(self)
                .setGroupId(groupId)
                .setCallId(callIds.incrementAndGet())
                .setMessage(Message.valueOf(ByteString.EMPTY))
                .setType(RaftClientRequest.readRequestType())
                .setTimeoutMs(timing.requestTimeout().toMillis())
                .build();
        submitLocal(local, req).whenComplete((r, err) -> {
            Throwable failure = err != null ? JavaUtils.unwrapCompletionException(err) : r.getException();
            if (failure == null && r.isSuccess()) {
                result.complete(r.getMessage().getContent().asReadOnlyByteBuffer().getLong());
            } else if (!(failure instanceof StateMachineException) && System.nanoTime() < deadline) {
                retryLater(() -> attemptRead(name, groupId, deadline, result), result, name);
            } else if (failure instanceof StateMachineException sme) {
                result.completeExceptionally(stateMachineFailure(name, sme));
            } else {
                result.completeExceptionally(timedOut(name, failure));
            }
        });
    }

    /**
     * Submits to this node's replica. The division itself takes the request when it can: through the server,
     * Ratis hands each request to its client thread pool and blocks the caller until that thread has appended it,
     * a thread hop that cost ~3 ms per entry under load (measured at R3, 100 streams).
     */
    private CompletableFuture<RaftClientReply> submitLocal(RaftServer.Division local, RaftClientRequest req) {
        try {
            return local instanceof RaftClientAsynchronousProtocol division
                    ? division.submitClientRequestAsync(req)
                    : server.submitClientRequestAsync(req);
        } catch (IOException | RuntimeException e) {
            // Ratis throws, rather than failing the future, when the division closes under the request (its log
            // "is expected to be opened but it is CLOSED" once its state machine halted): retried or reported like
            // any other failed attempt, never thrown at the caller
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The leader this node's replica last knew of (it may be closing), or null. */
    private RaftPeerId lastKnownLeader(RaftGroupId groupId) {
        try {
            RaftServer.Division d = divisions.get(groupId);
            return d == null ? null : d.getInfo().getLeaderId();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private RaftServer.Division localDivision(RaftGroupId groupId) {
        RaftServer.Division d = divisions.get(groupId);
        return d != null && d.getInfo().isAlive() ? d : null;
    }

    private void retryLater(Runnable attempt, CompletableFuture<?> result, GroupName name) {
        try {
            scheduler.schedule(attempt, RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new ProposalFailedException(name, Reason.CLOSED, "this node is closing"));
        }
    }

    private static ProposalFailedException stateMachineFailure(GroupName name, StateMachineException e) {
        if (JavaUtils.isCausedBy(e, InvalidRequestException.class)) {
            return new ProposalFailedException(name, Reason.INVALID_REQUEST, String.valueOf(e.getMessage()), e);
        }
        return new ProposalFailedException(name, Reason.RAFT_ERROR, String.valueOf(e.getMessage()), e);
    }

    private ProposalFailedException timedOut(GroupName name, Throwable last) {
        String why = last instanceof ReadIndexException || last instanceof NotLeaderException
                ? "no leader answered" : "no leader committed it";
        return new ProposalFailedException(name, Reason.TIMED_OUT, why + " within "
                + timing.proposalTimeout().toMillis() + " ms (no quorum, or elections in progress; the outcome is "
                + "unknown); last error: " + last, last);
    }

    private Halt haltOf(RaftGroupId groupId) {
        RaftServer.Division d = divisions.get(groupId);
        return d != null && d.getStateMachine() instanceof GroupStateMachine g ? g.halt() : null;
    }

    /**
     * Closes once every write in progress is answered, at the latest after {@code max}, in the background: a node
     * that hands its leaderships off and closes its Raft server lets what it already forwarded to the new leaders
     * finish (its publishers heard 10008 for messages the new leader was about to commit). Attempts go to other
     * peers only from now on (this node's divisions are closing).
     */
    void closeWhenAnswered(Duration max) {
        closing = true;
        long deadline = System.nanoTime() + max.toNanos();
        awaitAnswered(deadline);
    }

    private void awaitAnswered(long deadline) {
        if (closed) {
            return;
        }
        if (pending.isEmpty() || System.nanoTime() >= deadline) {
            if (!pending.isEmpty()) {
                LOG.info("{} write(s) still unanswered when this node closed; failing them", pending.size());
            }
            close();
            return;
        }
        try {
            scheduler.schedule(() -> awaitAnswered(deadline), 10, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            close();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // a retry waiting its turn is dropped with the scheduler: its write or read is failed here, else its caller
        // (a publisher waiting for its PubAck) would never hear back
        scheduler.shutdownNow();
        for (Write w : pending) {
            w.result.completeExceptionally(new ProposalFailedException(w.name, Reason.CLOSED, "this node is closing",
                    w.lastFailure));
        }
        reading.forEach((r, name) -> r.completeExceptionally(new ProposalFailedException(name, Reason.CLOSED,
                "this node is closing")));
        try {
            rpc.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing the client RPC: {}", e.toString());
        }
    }
}
