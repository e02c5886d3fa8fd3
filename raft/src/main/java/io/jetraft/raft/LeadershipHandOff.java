package io.jetraft.raft;

import io.jetraft.raft.health.GroupHealth;
import io.jetraft.raft.health.ReplicaHealth;
import io.jetraft.raft.transfer.GroupTransfer;
import io.jetraft.raft.transfer.LeadershipTransfer;
import io.jetraft.raft.transfer.TransferOutcome;
import io.jetraft.raft.transfer.TransferReport;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.LeaderElectionManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Hands this node's leaderships to other peers: all groups at once within a bound (lame-duck mode), one group on a
 * step-down request, one group to a named peer; and keeps this node from being elected again (paused elections).
 * For each group it stops admitting new entries into this node's log first (the target catches up on what is there),
 * spreads the new leaderships over the other nodes, and ends in one named outcome per group.
 */
public final class LeadershipHandOff {

    private static final Logger LOG = LoggerFactory.getLogger(LeadershipHandOff.class);
    /** How often a running hand-off looks at the groups it moves. */
    private static final Duration POLL = Duration.ofMillis(10);

    private final RaftNodeConfig config;
    private final Divisions divisions;
    private final HealthView health;
    private final Proposer proposer;
    private final ExecutorService starters;
    private final RaftPeerId self;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private volatile boolean electionsPaused;
    /** Records a stream group's new preferred leader in the meta group (set once the meta part exists). */
    private volatile java.util.function.BiFunction<GroupName, String, CompletableFuture<Result<Void>>> preferLeader =
            (g, p) -> CompletableFuture.completedFuture(Result.ok(null));

    LeadershipHandOff(RaftNodeConfig config, Divisions divisions, HealthView health, Proposer proposer,
                      ExecutorService starters) {
        this.config = config;
        this.divisions = divisions;
        this.health = health;
        this.proposer = proposer;
        this.starters = starters;
        this.self = RaftPeerId.valueOf(config.name());
    }

    /** {@link #transferAll(Duration)} with the configured bound (default 1 s). */
    public TransferReport transferAll() {
        return transferAll(config.timing().transferBound());
    }

    /**
     * Moves every group this node leads to a current follower, all groups in parallel, and returns within
     * {@code bound} with one outcome per group: moved, no current follower (reported, not waited for), timed out or
     * failed. The new leaderships are spread over the other nodes (the one leading the fewest groups first). A group
     * this node comes to lead meanwhile is moved too; while this node is a candidate in some group, the transfer
     * waits (within the bound) for that election to end. Pausing elections does not stop one under way (a
     * hand-back's StartLeaderElection that arrived a moment before): a node that won it after the transfer looked,
     * then closed its groups, left the group without a leader for an election timeout. It does not stop this node
     * from being elected again: see {@link #pauseElections}.
     */
    public TransferReport transferAll(Duration bound) {
        long started = System.nanoTime();
        long deadline = started + bound.toNanos();
        Map<GroupName, LeadershipTransfer> transfers = new LinkedHashMap<>();
        Map<String, Integer> leads = leadershipsOfOthers();
        try {
            startNewTransfers(transfers, leads, started, deadline);
            while (System.nanoTime() < deadline && (!allSettled(transfers) || electionUnderWay())) {
                transfers.values().forEach(LeadershipTransfer::poll);
                sleep(Math.min(POLL.toNanos(), Math.max(1, deadline - System.nanoTime())));
                startNewTransfers(transfers, leads, started, deadline);
            }
            List<GroupTransfer> results = new ArrayList<>();
            for (LeadershipTransfer t : transfers.values()) {
                t.expire();
                results.add(t.outcome().join());
            }
            TransferReport report = new TransferReport(results, Duration.ofNanos(System.nanoTime() - started));
            LOG.info("{}: leadership transfer: {}", config.name(), report);
            for (GroupTransfer g : report.groups()) {
                LOG.info("{}: {} -> {}: {} in {} ms ({})", config.name(), g.group(), g.target().orElse("-"),
                        g.outcome(), g.took().toMillis(), g.detail());
            }
            return report;
        } finally {
            transfers.values().forEach(t -> proposer.release(divisions.id(t.group())));
        }
    }

    /** Starts a transfer for every group this node leads that has none yet, each to the least busy current peer. */
    private void startNewTransfers(Map<GroupName, LeadershipTransfer> transfers, Map<String, Integer> leads,
                                   long started, long deadline) {
        for (Map.Entry<GroupName, RaftServer.Division> e : divisions.all().entrySet()) {
            GroupName g = e.getKey();
            RaftServer.Division d = e.getValue();
            if (transfers.containsKey(g) || !d.getInfo().isLeader()) {
                continue;
            }
            proposer.hold(d.getGroup().getGroupId());
            Optional<String> target = spreadTarget(g, d, leads);
            target.ifPresent(t -> leads.merge(t, 1, Integer::sum));
            LeadershipTransfer t = newTransfer(g, d, started);
            transfers.put(g, t);
            // starting a transfer reads the group's health and calls into Ratis: side by side, so that the last
            // ones do not find their time used up by the first ones
            starters.execute(() -> t.start(deadline, target));
        }
    }

    /** Of the group's current followers, the one leading the fewest groups (ties: the most up to date). */
    private Optional<String> spreadTarget(GroupName g, RaftServer.Division d, Map<String, Integer> leads) {
        try {
            GroupHealth h = health.reader().read(g, d);
            return LeadershipTransfer.currentFollowers(h, config.timing().currentWithin()).stream()
                    .min(java.util.Comparator.comparingInt((ReplicaHealth r) -> leads.getOrDefault(r.peer(), 0)))
                    .map(ReplicaHealth::peer);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** How many of the groups hosted here each other peer leads. */
    private Map<String, Integer> leadershipsOfOthers() {
        Map<String, Integer> leads = new HashMap<>();
        for (RaftServer.Division d : divisions.all().values()) {
            RaftPeerId l = d.getInfo().getLeaderId();
            if (l != null && !l.equals(self)) {
                leads.merge(l.toString(), 1, Integer::sum);
            }
        }
        return leads;
    }

    /** This node is a candidate in some group it hosts: an election it may still win. */
    private boolean electionUnderWay() {
        return divisions.all().values().stream().anyMatch(d -> d.getInfo().isCandidate());
    }

    private static boolean allSettled(Map<GroupName, LeadershipTransfer> transfers) {
        return transfers.values().stream().allMatch(t -> t.outcome().isDone());
    }

    void recordPreferredLeadersWith(java.util.function.BiFunction<GroupName, String,
            CompletableFuture<Result<Void>>> recorder) {
        this.preferLeader = recorder;
    }

    /**
     * A step-down request ({@code $JS.API.STREAM.LEADER.STEPDOWN} and friends) on this node as the group's leader: to
     * {@code to} when given, else to the most up-to-date current follower. A stream group then keeps its new leader:
     * it becomes the group's preferred leader (every stream of the group moved with it). Completes with whether the
     * leadership moved; runs off the caller's thread.
     */
    public CompletableFuture<Boolean> stepDown(GroupName group, Optional<String> to) {
        return CompletableFuture.supplyAsync(() -> {
            GroupTransfer t = handOff(group, to);
            Optional<String> newLeader = t.moved() ? t.newLeader().or(t::target) : Optional.empty();
            if (!t.moved()) {
                LOG.info("{}: step-down of {}{} did not move it: {} ({})", config.name(), group,
                        to.map(p -> " to " + p).orElse(""), t.outcome(), t.detail());
            }
            if (newLeader.isPresent() && !group.isMeta()) {
                preferLeader.apply(group, newLeader.get()).whenComplete((r, err) -> {
                    if (err != null || !r.isOk()) {
                        LOG.info("{}: recording {} as the preferred leader of {} failed: {}", config.name(),
                                newLeader.get(), group, err != null ? err.toString() : r.error());
                    }
                });
            }
            return newLeader.isPresent();
        }, starters);
    }

    /** Moves the leadership of one group away from this node, to its most up-to-date current follower. */
    public GroupTransfer stepDown(GroupName group) {
        return handOff(group, Optional.empty());
    }

    /**
     * Hands one group this node leads to {@code peer} (its preferred leader, back from a restart), the way a
     * step-down does: new writes wait for the new leader, so the target catches up with a log that stands still.
     * A plain Ratis transfer under steady writes took 1.6-2.2 s in the rolling drill (the target never quite caught
     * up), long enough for a publisher to time out; a step-down takes tens of milliseconds. Given up as soon as
     * {@code unavailable} says the peer cannot take over (it entered lame-duck mode after it was chosen). Runs off
     * the caller's thread; completes with whether the leadership moved to {@code peer}.
     */
    public CompletableFuture<Boolean> handBack(GroupName group, String peer, BooleanSupplier unavailable) {
        return CompletableFuture.supplyAsync(() -> {
            GroupTransfer t = handOff(group, Optional.of(peer), unavailable);
            boolean moved = t.moved() && t.newLeader().or(t::target).map(peer::equals).orElse(false);
            LOG.info("{}: {} {} to {} in {} ms ({})", config.name(), group, moved ? "handed back" : "not handed back",
                    peer, t.took().toMillis(), t.outcome() + ": " + t.detail());
            return moved;
        }, starters);
    }

    /**
     * The longest one Ratis request of a hand-back waits: while it is pending the group takes no write, and it
     * cannot be cancelled. A peer that entered lame-duck mode just after the balancer chose it accepts the transfer
     * but, its elections paused, never stands: its group's publishes waited the whole 1 s bound in the rolling drill.
     * A target that can take over stands within ~100 ms (80-180 ms in the drill; once this node voted, it is no
     * longer leader and the attempt no longer matters); a slower one is asked again, with the log still held.
     */
    static final Duration HAND_BACK_ATTEMPT = Duration.ofMillis(500);

    /** To {@code to} only when given, else to the most up-to-date current follower. */
    private GroupTransfer handOff(GroupName group, Optional<String> to) {
        return handOff(group, to, () -> false);
    }

    private GroupTransfer handOff(GroupName group, Optional<String> to, BooleanSupplier targetUnavailable) {
        RaftServer.Division d = divisions.get(group);
        if (d == null || !d.getInfo().isLeader()) {
            return new GroupTransfer(group, TransferOutcome.FAILED, Optional.empty(), health.leader(group),
                    Duration.ZERO, "this node does not lead it");
        }
        long started = System.nanoTime();
        long deadline = started + config.timing().transferBound().toNanos();
        // as in transferAll: new writes wait for the new leader, so the target catches up with a log that stands still
        proposer.hold(d.getGroup().getGroupId());
        try {
            LeadershipTransfer t = newTransfer(group, d, started);
            if (to.isPresent()) {
                t.withAttempts(HAND_BACK_ATTEMPT);
            }
            t.start(deadline, to, to.isPresent());
            while (!t.outcome().isDone() && System.nanoTime() < deadline) {
                if (targetUnavailable.getAsBoolean()) {
                    t.abandon("the target became unavailable (lame-duck mode or gone)");
                    break;
                }
                t.poll();
                sleep(POLL.toNanos());
            }
            t.expire();
            return t.outcome().join();
        } finally {
            proposer.release(d.getGroup().getGroupId());
        }
    }

    private LeadershipTransfer newTransfer(GroupName name, RaftServer.Division d, long started) {
        return new LeadershipTransfer(name, divisions.server(), d, health.reader(), config.timing().currentWithin(),
                clientId, callIds.incrementAndGet(), System::nanoTime, started);
    }

    private static void sleep(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ================================================================== elections

    /**
     * Keeps this node from starting elections in every group it hosts, now and later (groups added afterwards are
     * paused too): it still votes and replicates, but is not elected again. For lame-duck mode, which ends with the
     * node closing. Note: a paused node votes only for a candidate whose log is at least as long as its own, so a
     * group whose other live replicas are all behind it has no leader until it resumes or goes away.
     */
    public void pauseElections() {
        electionsPaused = true;
        long started = System.nanoTime();
        electionManagement(divisions.server().getGroupIds(), true);
        LOG.info("{}: elections paused on this node ({} ms)", config.name(), (System.nanoTime() - started) / 1_000_000);
    }

    public void resumeElections() {
        electionsPaused = false;
        electionManagement(divisions.server().getGroupIds(), false);
        LOG.info("{}: elections resumed on this node", config.name());
    }

    public boolean electionsPaused() {
        return electionsPaused;
    }

    /** A group was added to this node: paused too when elections are. */
    void groupAdded(RaftGroupId gid) {
        if (electionsPaused) {
            electionManagement(List.of(gid), true);
        }
    }

    /** Pauses or resumes elections of the given groups, all requests side by side, under one request timeout. */
    private void electionManagement(Iterable<RaftGroupId> groups, boolean pause) {
        String what = pause ? "pausing" : "resuming";
        Map<RaftGroupId, CompletableFuture<RaftClientReply>> replies = new LinkedHashMap<>();
        for (RaftGroupId gid : groups) {
            long call = callIds.incrementAndGet();
            LeaderElectionManagementRequest req = pause
                    ? LeaderElectionManagementRequest.newPause(clientId, self, gid, call)
                    : LeaderElectionManagementRequest.newResume(clientId, self, gid, call);
            try {
                replies.put(gid, divisions.server().leaderElectionManagementAsync(req));
            } catch (RuntimeException e) {
                LOG.warn("{}: {} elections of group {} failed: {}", config.name(), what, gid, e.toString());
            }
        }
        long deadline = System.nanoTime() + config.timing().requestTimeout().toNanos();
        replies.forEach((gid, f) -> {
            try {
                RaftClientReply reply = f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (!reply.isSuccess()) {
                    LOG.warn("{}: {} elections of group {} failed: {}", config.name(), what, gid,
                            reply.getException());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warn("{}: {} elections of group {} failed: {}", config.name(), what, gid, e.toString());
            }
        });
    }
}
