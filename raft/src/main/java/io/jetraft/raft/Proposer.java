package io.jetraft.raft;

import io.jetraft.raft.ProposalFailedException.Reason;
import io.jetraft.raft.group.GroupStateMachine;
import io.jetraft.raft.group.Halt;
import io.jetraft.raft.group.InvalidRequestException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.JavaUtils;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gets proposals and reads through a group. A write goes to this node's division in-process when it leads the group,
 * else through a Ratis client (which finds and follows the leader over gRPC, retrying with the same call id, so a
 * retry is never applied twice). Errors that prove nothing was logged (not the leader, leader not ready or stepping
 * down, group not yet created on that peer) are retried with a fresh call until the proposal timeout; a timeout
 * reports an unknown outcome.
 */
final class Proposer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Proposer.class);
    private static final long RETRY_MS = 50;

    private final RaftServer server;
    private final RaftPeerId self;
    private final RaftProperties clientProperties;
    private final RaftTiming timing;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService forwarders;
    private final ClientId localClientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final Map<RaftGroupId, RaftClient> clients = new ConcurrentHashMap<>();
    private volatile boolean closed;

    Proposer(RaftServer server, RaftPeerId self, RaftProperties clientProperties, RaftTiming timing,
             ScheduledExecutorService scheduler, ExecutorService forwarders) {
        this.server = server;
        this.self = self;
        this.clientProperties = clientProperties;
        this.timing = timing;
        this.scheduler = scheduler;
        this.forwarders = forwarders;
    }

    /** Commits {@code request} in {@code group} and returns the reply of its apply. */
    CompletableFuture<ByteString> write(GroupName name, RaftGroup group, ByteString request) {
        CompletableFuture<ByteString> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + timing.proposalTimeout().toNanos();
        attemptWrite(name, group, request, deadline, result);
        return result;
    }

    private void attemptWrite(GroupName name, RaftGroup group, ByteString request, long deadline,
                              CompletableFuture<ByteString> result) {
        if (closed) {
            result.completeExceptionally(new ProposalFailedException(name, Reason.CLOSED, "this node is closing"));
            return;
        }
        RaftServer.Division local = localDivision(group.getGroupId());
        CompletableFuture<RaftClientReply> reply;
        if (local != null && local.getInfo().isLeader()) {
            reply = submitLocal(group.getGroupId(), request, RaftClientRequest.writeRequestType());
        } else {
            reply = forward(group, request);
        }
        reply.whenComplete((r, err) -> {
            Throwable failure = err != null ? JavaUtils.unwrapCompletionException(err) : r.getException();
            if (failure == null && r.isSuccess()) {
                result.complete(r.getMessage().getContent());
            } else if (failure == null) {
                result.completeExceptionally(new ProposalFailedException(name, Reason.RAFT_ERROR,
                        "the write failed without a reason from Ratis: " + r));
            } else if (nothingWasLogged(failure) && System.nanoTime() < deadline) {
                retryLater(() -> attemptWrite(name, group, request, deadline, result), result, name);
            } else {
                result.completeExceptionally(failed(name, group.getGroupId(), failure, deadline));
            }
        });
    }

    /**
     * A linearizable read barrier on this node's replica: completes (with the applied index) once this replica has
     * applied everything committed before the call (ReadIndex; the leader may answer from its lease).
     */
    CompletableFuture<Long> readBarrier(GroupName name, RaftGroupId groupId) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + timing.proposalTimeout().toNanos();
        attemptRead(name, groupId, deadline, result);
        return result;
    }

    private void attemptRead(GroupName name, RaftGroupId groupId, long deadline, CompletableFuture<Long> result) {
        if (closed) {
            result.completeExceptionally(new ProposalFailedException(name, Reason.CLOSED, "this node is closing"));
            return;
        }
        if (localDivision(groupId) == null) {
            result.completeExceptionally(new ProposalFailedException(name, Reason.NOT_A_MEMBER,
                    "this node (" + self + ") holds no replica of it"));
            return;
        }
        submitLocal(groupId, ByteString.EMPTY, RaftClientRequest.readRequestType()).whenComplete((r, err) -> {
            Throwable failure = err != null ? JavaUtils.unwrapCompletionException(err) : r.getException();
            if (failure == null && r.isSuccess()) {
                result.complete(r.getMessage().getContent().asReadOnlyByteBuffer().getLong());
            } else if ((failure == null || nothingWasLogged(failure) || failure instanceof ReadIndexException)
                    && System.nanoTime() < deadline) {
                retryLater(() -> attemptRead(name, groupId, deadline, result), result, name);
            } else {
                result.completeExceptionally(failed(name, groupId, failure, deadline));
            }
        });
    }

    private CompletableFuture<RaftClientReply> submitLocal(RaftGroupId groupId, ByteString message,
                                                           RaftClientRequest.Type type) {
        RaftClientRequest req = RaftClientRequest.newBuilder()
                .setClientId(localClientId)
                .setServerId(self)
                .setGroupId(groupId)
                .setCallId(callIds.incrementAndGet())
                .setMessage(Message.valueOf(message))
                .setType(type)
                .setTimeoutMs(timing.requestTimeout().toMillis())
                .build();
        try {
            return server.submitClientRequestAsync(req);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Sends through the group's Ratis client on a forwarding thread (the client's blocking API retries safely). */
    private CompletableFuture<RaftClientReply> forward(RaftGroup group, ByteString request) {
        RaftClient client = clients.computeIfAbsent(group.getGroupId(), gid -> newClient(group));
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return client.io().send(Message.valueOf(request));
                } catch (IOException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, forwarders);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new AlreadyClosedException("this node is closing"));
        }
    }

    private RaftClient newClient(RaftGroup group) {
        long attempts = Math.max(1, timing.proposalTimeout().toMillis() / 100);
        return RaftClient.newBuilder()
                .setRaftGroup(group)
                .setProperties(clientProperties)
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep((int) attempts,
                        TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build();
    }

    /** Drops the client of a removed group. */
    void forget(RaftGroupId groupId) {
        RaftClient c = clients.remove(groupId);
        if (c != null) {
            closeQuietly(c);
        }
    }

    private RaftServer.Division localDivision(RaftGroupId groupId) {
        try {
            for (RaftGroupId id : server.getGroupIds()) {
                if (id.equals(groupId)) {
                    RaftServer.Division d = server.getDivision(groupId);
                    return d.getInfo().isAlive() ? d : null;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("no local division of {}: {}", groupId, e.toString());
        }
        return null;
    }

    private void retryLater(Runnable attempt, CompletableFuture<?> result, GroupName name) {
        try {
            scheduler.schedule(attempt, RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new ProposalFailedException(name, Reason.CLOSED, "this node is closing"));
        }
    }

    /** Ratis refused before logging anything: safe to send again with a new call id. */
    private static boolean nothingWasLogged(Throwable t) {
        Throwable cause = t instanceof RaftRetryFailureException && t.getCause() != null ? t.getCause() : t;
        return cause instanceof NotLeaderException
                || cause instanceof LeaderNotReadyException
                || cause instanceof LeaderSteppingDownException
                || cause instanceof GroupMismatchException
                || cause instanceof ServerNotReadyException;
    }

    private ProposalFailedException failed(GroupName name, RaftGroupId groupId, Throwable t, long deadline) {
        if (closed) {
            return new ProposalFailedException(name, Reason.CLOSED, "this node is closing", t);
        }
        Halt halt = haltOf(groupId);
        if (halt != null) {
            return new ProposalFailedException(name, Reason.GROUP_HALTED, "the group " + halt, t);
        }
        if (t instanceof StateMachineException sme && JavaUtils.isCausedBy(sme, InvalidRequestException.class)) {
            return new ProposalFailedException(name, Reason.INVALID_REQUEST, String.valueOf(sme.getMessage()), t);
        }
        if (t instanceof StateMachineException sme) {
            return new ProposalFailedException(name, Reason.RAFT_ERROR, String.valueOf(sme.getMessage()), t);
        }
        if (System.nanoTime() >= deadline || nothingWasLogged(t) || t instanceof RaftRetryFailureException
                || t instanceof java.util.concurrent.TimeoutException
                || t instanceof org.apache.ratis.protocol.exceptions.TimeoutIOException) {
            Duration d = timing.proposalTimeout();
            return new ProposalFailedException(name, Reason.TIMED_OUT, "no leader committed it within " + d.toMillis()
                    + " ms (no quorum, or elections in progress; the outcome is unknown): " + t, t);
        }
        return new ProposalFailedException(name, Reason.RAFT_ERROR, String.valueOf(t), t);
    }

    private Halt haltOf(RaftGroupId groupId) {
        try {
            RaftServer.Division d = server.getDivision(groupId);
            return d.getStateMachine() instanceof GroupStateMachine g ? g.halt() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() {
        closed = true;
        for (RaftClient c : clients.values()) {
            closeQuietly(c);
        }
        clients.clear();
    }

    private static void closeQuietly(RaftClient c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing a Raft client: {}", e.toString());
        }
    }
}
