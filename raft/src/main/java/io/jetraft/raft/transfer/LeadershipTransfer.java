package io.jetraft.raft.transfer;

import io.jetraft.raft.GroupName;
import io.jetraft.raft.health.GroupHealth;
import io.jetraft.raft.health.HealthReader;
import io.jetraft.raft.health.ReplicaHealth;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.JavaUtils;

import java.io.IOException;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Moves the leadership of one group away from this node, to its most up-to-date follower among those heard from
 * recently (the highest match index). One instance per group and attempt; its state says where it is, and it always
 * ends in one named outcome: {@code MOVED}, {@code NO_CURRENT_FOLLOWER} (nothing tried), {@code TIMED_OUT} or
 * {@code FAILED}. Many run in parallel under one deadline: {@link #poll} settles a transfer as soon as its outcome is
 * known, {@link #expire} settles those still waiting at the deadline.
 *
 * <p>A transfer counts as moved once another peer is known to lead, or once the leadership is decided for the target:
 * the target asked for this node's vote in a newer term, got it, and with its own vote that is a majority (R3). Ratis
 * itself only tells the old leader when the new leader's first append arrives, which with many groups changing at
 * once can take longer than the election itself.
 */
public final class LeadershipTransfer {

    /** Where the transfer is; the last four are final. */
    public enum State { INIT, REQUESTED, MOVED, NO_CURRENT_FOLLOWER, TIMED_OUT, FAILED }

    private static final long QUIET_MAX_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(300);
    private static final long QUIET_RESERVE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(300);

    private final GroupName name;
    private final RaftServer server;
    private final RaftServer.Division division;
    private final HealthReader health;
    private final Duration currentWithin;
    private final ClientId clientId;
    private final long callId;
    private final LongSupplier nanoTime;
    private final long startedNanos;
    private final AtomicReference<State> state = new AtomicReference<>(State.INIT);
    private final CompletableFuture<GroupTransfer> result = new CompletableFuture<>();
    private volatile String target;
    private volatile long termAtStart = Long.MAX_VALUE;
    private volatile long targetLag;
    private volatile long deadlineNanos;
    /** Ratis refused because this node, just elected, has not committed its first entry yet: ask again at a poll. */
    private volatile boolean askAgain;
    /**
     * The longest one Ratis transfer request may wait (0: until the deadline). Ratis takes no write in the group while
     * its transfer is pending, and its transfer cannot be cancelled: shorter attempts, asked again while this node
     * still leads, let {@link #abandon} free the group soon after the target turned out unable to take over.
     */
    private volatile long attemptNanos;

    /**
     * @param startedNanos when the whole (parallel) transfer started, by {@code nanoTime}: each group reports its
     *                     time from there
     */
    public LeadershipTransfer(GroupName name, RaftServer server, RaftServer.Division division, HealthReader health,
                              Duration currentWithin, ClientId clientId, long callId, LongSupplier nanoTime,
                              long startedNanos) {
        this.name = name;
        this.server = server;
        this.division = division;
        this.health = health;
        this.currentWithin = currentWithin;
        this.clientId = clientId;
        this.callId = callId;
        this.nanoTime = nanoTime;
        this.startedNanos = startedNanos;
    }

    public State state() {
        return state.get();
    }

    public GroupName group() {
        return name;
    }

    /** The outcome, once settled (by Ratis's answer, {@link #poll} or {@link #expire}). */
    public CompletableFuture<GroupTransfer> outcome() {
        return result;
    }

    /**
     * Chooses the follower and asks Ratis to hand over by {@code deadlineNanos}; {@link #outcome} holds the result.
     * Does nothing when the transfer was settled before it could start (the deadline passed first).
     */
    public CompletableFuture<GroupTransfer> start(long deadlineNanos) {
        return start(deadlineNanos, Optional.empty());
    }

    /**
     * As {@link #start(long)}, to {@code preferred} when it is one of the current followers (the caller spreads the
     * new leaderships over the other nodes), else to the most up-to-date current follower.
     */
    public CompletableFuture<GroupTransfer> start(long deadlineNanos, Optional<String> preferred) {
        return start(deadlineNanos, preferred, false);
    }

    /**
     * As {@link #start(long, Optional)}; with {@code onlyPreferred}, to {@code preferred} or to no one (ends as
     * {@code NO_CURRENT_FOLLOWER} when it is not a current follower): for handing a group back to its preferred leader.
     */
    public CompletableFuture<GroupTransfer> start(long deadlineNanos, Optional<String> preferred,
                                                  boolean onlyPreferred) {
        if (!state.compareAndSet(State.INIT, State.REQUESTED)) {
            if (result.isDone()) {
                return result;
            }
            throw new IllegalStateException(name + ": a transfer starts once");
        }
        termAtStart = division.getInfo().getCurrentTerm();
        GroupHealth h = health.read(name, division);
        if (h.role() != GroupHealth.Role.LEADER) {
            finish(State.MOVED, h.leader(), "this node no longer led it");
            return result;
        }
        Optional<ReplicaHealth> best = candidate(h, preferred, onlyPreferred);
        // a leadership taken a moment ago (a hand-back that landed as this node entered lame-duck mode) has heard from
        // no follower yet: Ratis dates its last contact with each one a maximum election timeout back, beyond
        // "current", until that follower answers. It was reported "without a current follower" at once, this node
        // closed its groups, and the group had no leader for an election timeout
        boolean hasFollowers = h.replicas().stream().anyMatch(r -> !r.self());
        long waitUntil = deadlineNanos - QUIET_RESERVE_NANOS;
        while (best.isEmpty() && hasFollowers && youngLeadership() && nanoTime.getAsLong() < waitUntil) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            h = health.read(name, division);
            if (h.role() != GroupHealth.Role.LEADER) {
                finish(State.MOVED, h.leader(), "this node no longer led it");
                return result;
            }
            best = candidate(h, preferred, onlyPreferred);
        }
        if (best.isEmpty()) {
            finish(State.NO_CURRENT_FOLLOWER, Optional.empty(), "no follower heard from within "
                    + currentWithin.toMillis() + " ms");
            return result;
        }
        ReplicaHealth to = best.get();
        target = to.peer();
        targetLag = to.lag();
        this.deadlineNanos = deadlineNanos;
        awaitQuiet(deadlineNanos);
        request();
        return result;
    }

    /** {@code preferred} when it is a current follower, else (unless {@code onlyPreferred}) the most up to date. */
    private Optional<ReplicaHealth> candidate(GroupHealth h, Optional<String> preferred, boolean onlyPreferred) {
        java.util.List<ReplicaHealth> current = currentFollowers(h, currentWithin);
        Optional<ReplicaHealth> named = current.stream().filter(r -> preferred.isPresent()
                && r.peer().equals(preferred.get())).findFirst();
        return onlyPreferred ? named : named.or(() -> current.stream().findFirst());
    }

    /** Whether this node has led the group for less than {@code currentWithin} (its followers not all heard yet). */
    private boolean youngLeadership() {
        try {
            return division.getInfo().getRoleInfoProto().getRoleElapsedTimeMs() < currentWithin.toMillis();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Ratis transfer requests of at most {@code attempt} each (see {@link #attemptNanos}); before {@link #start}. */
    public LeadershipTransfer withAttempts(Duration attempt) {
        this.attemptNanos = attempt.toNanos();
        return this;
    }

    /**
     * Gives the transfer up (the target cannot take over: it is leaving or gone), as {@code FAILED}. Ratis's request
     * may still be pending for up to one attempt, and is not asked again.
     */
    public void abandon(String why) {
        if (state.get() == State.REQUESTED && otherLeader().isEmpty() && !electedTarget()) {
            finish(State.FAILED, Optional.empty(), why);
        } else {
            poll();
        }
    }

    private void request() {
        long remaining = deadlineNanos - nanoTime.getAsLong();
        long attempt = attemptNanos > 0 ? Math.min(attemptNanos, remaining) : remaining;
        long timeoutMs = Math.max(1, attempt / 1_000_000);
        try {
            server.transferLeadershipAsync(new TransferLeadershipRequest(clientId, division.getId(),
                            division.getGroup().getGroupId(), callId, RaftPeerId.valueOf(target), timeoutMs))
                    .whenComplete(this::settle);
        } catch (IOException | RuntimeException e) {
            settle(null, e);
        }
    }

    /**
     * Waits (briefly) until everything in this node's log is committed. Writes are held by then, but a leader appends
     * a commit-index entry whenever newly committed entries include others; one appended just after Ratis checked
     * that the target was up to date makes the target lose its election (the other logs are one entry longer), and
     * the group has no leader for an election timeout. Seen in step-downs under load.
     */
    private void awaitQuiet(long deadlineNanos) {
        long until = Math.min(deadlineNanos - QUIET_RESERVE_NANOS, nanoTime.getAsLong() + QUIET_MAX_NANOS);
        while (nanoTime.getAsLong() < until) {
            org.apache.ratis.server.raftlog.RaftLog log = division.getRaftLog();
            org.apache.ratis.server.protocol.TermIndex last = log.getLastEntryTermIndex();
            if (last == null || log.getLastCommittedIndex() >= last.getIndex()) {
                return;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The followers heard from within {@code currentWithin}, the most up-to-date first (highest match index, then
     * the most recently heard).
     */
    public static java.util.List<ReplicaHealth> currentFollowers(GroupHealth h, Duration currentWithin) {
        return h.replicas().stream()
                .filter(r -> !r.self() && r.known() && r.lastContact().isPresent()
                        && r.lastContact().get().compareTo(currentWithin) <= 0)
                .sorted(Comparator.comparingLong((ReplicaHealth r) -> r.matchIndex().orElse(-1)).reversed()
                        .thenComparing(r -> r.lastContact().get()))
                .toList();
    }

    /** Settles the transfer if its outcome is known by now (another leader, or the target elected); else waits. */
    public void poll() {
        if (state.get() != State.REQUESTED) {
            return;
        }
        Optional<String> other = otherLeader();
        if (other.isPresent()) {
            finish(State.MOVED, other, "moved");
        } else if (electedTarget()) {
            finish(State.MOVED, Optional.of(target), "elected with this node's vote");
        } else if (askAgain && division.getInfo().isLeaderReady()) {
            askAgain = false;
            request();
        }
    }

    /** Whether a Ratis attempt that timed out with this node still leading is asked again (attempts, time left). */
    private boolean attemptsLeft(Throwable failure) {
        return attemptNanos > 0 && String.valueOf(failure.getMessage()).contains("TIMED_OUT")
                && division.getInfo().isLeader() && deadlineNanos - nanoTime.getAsLong() > attemptNanos / 4;
    }

    /** The deadline passed: a transfer still waiting ends as {@code TIMED_OUT} (Ratis may still complete it). */
    public void expire() {
        poll();
        if (state.get() == State.INIT) {
            finish(State.TIMED_OUT, Optional.empty(), "not started before the deadline");
            return;
        }
        finish(State.TIMED_OUT, Optional.empty(), division.getInfo().isLeader()
                ? "the follower did not take over in time" : "stepped down, but no new leader was known in time");
    }

    /**
     * Whether the target has won: in a term after the one this transfer started in, this node voted for the target,
     * and the two votes are a majority of the group (three replicas or fewer).
     */
    private boolean electedTarget() {
        String to = target;
        if (to == null || division.getInfo().isLeader() || division.getGroup().getPeers().size() > 3) {
            return false;
        }
        try {
            org.apache.ratis.server.storage.RaftStorageMetadata vote =
                    division.getRaftStorage().getMetadataFile().getMetadata();
            return vote.getTerm() > termAtStart && to.equals(String.valueOf(vote.getVotedFor()));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The leader this division knows of when it is not this node. */
    private Optional<String> otherLeader() {
        if (division.getInfo().isLeader()) {
            return Optional.empty();
        }
        return Optional.ofNullable(division.getInfo().getLeaderId())
                .filter(id -> !id.equals(division.getId())).map(RaftPeerId::toString);
    }

    private void settle(RaftClientReply reply, Throwable err) {
        Throwable failure = err != null ? JavaUtils.unwrapCompletionException(err)
                : reply.isSuccess() ? null : reply.getException();
        if (failure == null) {
            finish(State.MOVED, Optional.of(target), "lag at start " + targetLag);
        } else if (state.get() == State.REQUESTED && attemptsLeft(failure)) {
            // one bounded attempt ended, the target has not stood yet: the log stands still, so it still can
            askAgain = true;
        } else if (failure instanceof LeaderNotReadyException && nanoTime.getAsLong() < deadlineNanos) {
            // a leader elected moments ago (a group that had just formed, or just moved here) refuses to hand over
            // until its first entry commits, a few milliseconds; seen when lame-duck mode began right after a start
            askAgain = true;
        } else if (otherLeader().isPresent()) {
            // Ratis may report a timeout although the target took over (RATIS-1769): what counts is who leads
            finish(State.MOVED, otherLeader(), "moved (Ratis said: " + failure.getMessage() + ")");
        } else if (!division.getInfo().isLeader() && nanoTime.getAsLong() < deadlineNanos) {
            // this node stepped down for the target's election, and Ratis gives up as soon as it sees no leader
            // ("the current leader is null"): poll and expire settle it, once the new leader is known or by the
            // deadline. Seen in step-downs under load.
            return;
        } else if (nanoTime.getAsLong() >= deadlineNanos || String.valueOf(failure.getMessage()).contains("timed out")) {
            finish(State.TIMED_OUT, Optional.empty(), String.valueOf(failure.getMessage()));
        } else {
            finish(State.FAILED, Optional.empty(), String.valueOf(failure.getMessage()));
        }
    }

    private void finish(State outcome, Optional<String> newLeader, String detail) {
        State before = state.get();
        if (before == State.INIT || before == State.REQUESTED) {
            if (!state.compareAndSet(before, outcome)) {
                return;
            }
            Duration took = Duration.ofNanos(nanoTime.getAsLong() - startedNanos);
            result.complete(new GroupTransfer(name, switch (outcome) {
                case MOVED -> TransferOutcome.MOVED;
                case NO_CURRENT_FOLLOWER -> TransferOutcome.NO_CURRENT_FOLLOWER;
                case TIMED_OUT -> TransferOutcome.TIMED_OUT;
                default -> TransferOutcome.FAILED;
            }, Optional.ofNullable(target), newLeader, took, detail));
        }
    }
}
