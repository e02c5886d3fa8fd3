package io.jetraft.raft;

import io.jetraft.raft.transfer.GroupTransfer;
import io.jetraft.raft.transfer.TransferOutcome;
import io.jetraft.raft.transfer.TransferReport;
import io.jetraft.storage.StreamLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * transferAll moves every group a node leads to a current follower, in parallel under one bound, spread over the
 * other nodes, with a named outcome per group; one group can step down; a node can be kept from being elected again;
 * a group goes back to its preferred leader.
 */
class LeadershipTransferTest {

    /** How many R3 streams the parallel-transfer measurement uses (-Djetraft.transfer.streams=1000 by hand). */
    static final int STREAMS = Integer.getInteger("jetraft.transfer.streams", 30);
    /** The bound of that transfer (-Djetraft.transfer.bound.ms=3000 to measure a heavy run to its end). */
    static final Duration BOUND = Duration.ofMillis(Long.getLong("jetraft.transfer.bound.ms", 1000));

    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Creates R3 streams that all end up led by node 0: the other nodes cannot start elections meanwhile. */
    List<String> streamsLedByFirstNode(int count) {
        cluster.node(1).leadership().pauseElections();
        cluster.node(2).leadership().pauseElections();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = "T" + i;
            cluster.node(0).meta().createStream(StreamSpec.of(name, 3, StreamLimits.unlimited())).join().value();
            names.add(name);
        }
        for (String name : names) {
            await().atMost(TestCluster.WAIT).until(() -> cluster.node(0).streams().isLeader(name)
                    && cluster.running().stream().allMatch(n -> n.streams().health(name)
                    .map(h -> h.replicas().stream().filter(r -> !r.self()).count() == 2
                            && n.streams().leader(name).isPresent()).orElse(false)));
        }
        cluster.node(1).leadership().resumeElections();
        cluster.node(2).leadership().resumeElections();
        // followers current (heard from, caught up) before the transfer
        for (String name : names) {
            await().atMost(TestCluster.WAIT).until(() -> cluster.node(0).streams().health(name).orElseThrow()
                    .replicas().stream().allMatch(r -> r.current()));
        }
        return names;
    }

    @Test
    void transferMovesEveryGroupThisNodeLeadsToACurrentFollowerSpreadOverTheOthersWithinTheBound() {
        cluster = new TestCluster(dir, 3).start();
        List<String> names = streamsLedByFirstNode(STREAMS);
        RaftNode n1 = cluster.node(0);
        // the streams share the replica set's three stream groups, whatever their number
        Set<GroupName> groups = names.stream().map(cluster::groupOf).collect(Collectors.toSet());
        assertThat(groups).hasSize(3);
        // as in lame-duck mode: the leaving node is not elected again
        n1.leadership().pauseElections();

        TransferReport report = n1.leadership().transferAll(BOUND);

        long[] took = report.groups().stream().mapToLong(g -> g.took().toMillis()).sorted().toArray();
        System.out.printf("MEASURED: parallel leadership transfer of %d groups (carrying %d R3 streams) took %d ms; "
                        + "per group: fastest %d ms, slowest %d ms; %s%n", report.groups().size(), STREAMS,
                report.took().toMillis(), took[0], took[took.length - 1], report);
        assertThat(report.groups()).extracting(GroupTransfer::group).containsAll(groups);
        // the bound is the contract: the report comes back by then, whatever did not move yet
        assertThat(report.took()).isLessThan(BOUND.plusMillis(500));
        for (GroupTransfer g : report.groups()) {
            assertThat(g.target()).as("every follower was current: each group had a target").isPresent();
            if (g.moved()) {
                assertThat(g.newLeader()).isPresent().get().isNotEqualTo("n1");
            } else {
                assertThat(g.outcome()).isIn(TransferOutcome.TIMED_OUT, TransferOutcome.FAILED);
                assertThat(g.detail()).isNotBlank();
            }
        }
        // the new leaderships are spread: both other nodes get some of the three stream groups
        assertThat(report.groups().stream().filter(g -> !g.group().isMeta()).map(g -> g.target().orElseThrow())
                .distinct()).containsExactlyInAnyOrder("n2", "n3");
        // how many make it within the bound depends on the machine and its load (a figure, printed above, not an
        // assertion); none moving means the mechanism is broken
        assertThat(report.count(TransferOutcome.MOVED)).isPositive();
        List<GroupName> moved = report.groups().stream().filter(GroupTransfer::moved).map(GroupTransfer::group)
                .filter(g -> !g.isMeta()).toList();
        for (GroupName g : moved) {
            await().atMost(TestCluster.WAIT).until(() -> !n1.health().isLeader(g)
                    && (cluster.node(1).health().isLeader(g) || cluster.node(2).health().isLeader(g)));
            // every stream of the group moved with it, and writes go on through the new leader
            String stream = cluster.node(0).streams().streamsOf(g).get(0);
            assertThat(n1.streams().isLeader(stream)).isFalse();
            assertThat(n1.streams().publish(stream, List.of(Publish.of("x", new byte[1]))).join().get(0).isOk())
                    .isTrue();
        }
    }

    @Test
    void aGroupGoesBackToItsPreferredLeaderOnceThatPeerIsCurrent() {
        cluster = new TestCluster(dir, 3).withTiming(TestCluster.fastTiming().withBalanceAfter(Duration.ofMillis(500)));
        cluster.start();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            names.add("B" + i);
            cluster.node(0).meta().createStream(StreamSpec.of("B" + i, 3, StreamLimits.unlimited())).join().value();
        }
        // each of the three groups prefers another member: the leaderships end up one per node, each group led by
        // its preferred leader (three distinct leaders alone is not enough: right after the elections the groups can
        // be led one per node, each by a peer it does not prefer, until the balancer has moved them)
        await().atMost(TestCluster.WAIT).ignoreExceptions().until(() -> names.stream().map(n -> cluster.leaderOf(n).name())
                .collect(Collectors.toSet()).size() == 3 && names.stream().allMatch(n -> cluster.leaderOf(n).name()
                .equals(preferredLeaderOf(cluster.groupOf(n)))));
        GroupName g = cluster.groupOf("B0");
        RaftNode preferred = cluster.node(preferredLeaderOf(g));
        assertThat(cluster.leaderOf(g)).isSameAs(preferred);
        // moved away (as a lame-duck node would have moved it), it comes back once its preferred leader is current
        preferred.leadership().pauseElections();
        assertThat(preferred.leadership().stepDown(g).moved()).isTrue();
        preferred.leadership().resumeElections();
        assertThat(preferred.health().isLeader(g)).isFalse();
        await().atMost(TestCluster.WAIT.multipliedBy(2)).until(() -> preferred.health().isLeader(g));
    }

    /** The group's preferred leader by the meta state of the first node. */
    private String preferredLeaderOf(GroupName g) {
        return cluster.node(0).locator().group(g).orElseThrow().getPreferredLeader();
    }

    @Test
    void aGroupWithNoCurrentFollowerIsReportedAndNotWaitedFor() {
        cluster = new TestCluster(dir, 3).start();
        StreamAssignment one = cluster.node(0).meta().createStream(StreamSpec.of("SOLO", 1, StreamLimits.unlimited()))
                .join().value();
        RaftNode owner = cluster.node(one.peers().get(0).name());
        cluster.awaitLeader("SOLO");

        long started = System.nanoTime();
        TransferReport report = owner.leadership().transferAll(Duration.ofSeconds(5));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        GroupTransfer solo = report.groups().stream().filter(g -> g.group().equals(cluster.groupOf("SOLO")))
                .findFirst().orElseThrow();
        assertThat(solo.outcome()).isEqualTo(TransferOutcome.NO_CURRENT_FOLLOWER);
        assertThat(solo.target()).isEmpty();
        assertThat(owner.streams().isLeader("SOLO")).isTrue();
        // reported, not waited for: far below the 5 s bound
        assertThat(took).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void stepDownMovesOneGroupAndLeavesTheOthers() {
        cluster = new TestCluster(dir, 3).start();
        streamsLedByFirstNode(2);
        RaftNode n1 = cluster.node(0);
        List<LeaderChange> seen = new CopyOnWriteArrayList<>();
        cluster.node(1).addLeaderListener(seen::add);
        cluster.node(2).addLeaderListener(seen::add);

        GroupTransfer moved = n1.leadership().stepDown(cluster.groupOf("T0"));

        assertThat(moved.outcome()).isEqualTo(TransferOutcome.MOVED);
        // the new leader's listeners hear that it leads (and is ready to serve) the group
        await().atMost(TestCluster.WAIT).until(() -> seen.stream().anyMatch(c -> c.local()
                && c.group().equals(cluster.groupOf("T0")) && c.leader().equals(moved.newLeader())));
        assertThat(moved.newLeader()).isPresent().get().isNotEqualTo("n1");
        assertThat(n1.streams().isLeader("T0")).isFalse();
        assertThat(n1.streams().isLeader("T1")).isTrue();
        assertThat(cluster.node(1).leadership().stepDown(cluster.groupOf("T1")).outcome()).isEqualTo(TransferOutcome.FAILED);
    }

    @Test
    void pausedElectionsKeepANodeFromBeingElectedAgainAfterItsTransfer() {
        cluster = new TestCluster(dir, 3).start();
        streamsLedByFirstNode(1);
        RaftNode n1 = cluster.node(0);
        List<LeaderChange> n1Leads = new CopyOnWriteArrayList<>();
        n1.addLeaderListener(c -> {
            if (c.local()) {
                n1Leads.add(c);
            }
        });

        n1.leadership().pauseElections();
        TransferReport report = n1.leadership().transferAll();
        assertThat(report.allMoved()).as("%s", report.groups()).isTrue();
        String newLeader = report.groups().stream().filter(g -> g.group().equals(cluster.groupOf("T0")))
                .findFirst().orElseThrow().newLeader().orElseThrow();
        String third = newLeader.equals("n2") ? "n3" : "n2";
        // let the third node catch up first: a paused node still votes, but for nobody with a shorter log, and it
        // will not stand itself, so the third must not be behind it
        Result<?> caughtUp = cluster.node(third).streams().publish("T0", List.of(Publish.of("y", new byte[1]))).join()
                .get(0);
        assertThat(caughtUp.isOk()).as("publish through the third node: %s", caughtUp).isTrue();
        await().atMost(TestCluster.WAIT).until(() -> cluster.node(third).streams().health("T0")
                .orElseThrow().appliedIndex() == cluster.node(newLeader).streams().health("T0").orElseThrow()
                .commitIndex());

        // the new leader goes away: only the third node may take over, never the paused one
        cluster.stop(cluster.indexOf(newLeader));
        await().atMost(TestCluster.WAIT).until(() -> cluster.node(third).streams().isLeader("T0"));
        assertThat(n1.streams().isLeader("T0")).isFalse();
        assertThat(n1Leads).noneMatch(c -> c.group().equals(cluster.groupOf("T0")));
        // it still replicates: a write through the third node is acknowledged with n1 as the second copy
        assertThat(n1.streams().publish("T0", List.of(Publish.of("x", new byte[1]))).join().get(0).isOk()).isTrue();

        n1.leadership().resumeElections();
        cluster.restart(cluster.indexOf(newLeader));
    }

    /**
     * The balancer chose a peer that entered lame-duck mode a moment later (seen in the rolling drill): the peer
     * accepts Ratis's transfer but, its elections paused, never stands, and the group takes no write until the
     * hand-back ends. Once the server layer calls the peer unavailable, the hand-back gives up (within one Ratis
     * attempt), not at the transfer bound (here 20 s; the drill's publishes waited the whole 1 s), and the group goes
     * on under its leader.
     */
    @Test
    void aHandBackToAPeerThatBecameUnavailableGivesUpAndTheGroupGoesOn() {
        startWithStreamLedByFirstNodeAndLongTransferBound();
        RaftNode n1 = cluster.node(0);
        GroupName g = cluster.groupOf("T0");
        cluster.node(1).leadership().pauseElections();
        java.util.concurrent.atomic.AtomicBoolean leaving = new java.util.concurrent.atomic.AtomicBoolean();

        long started = System.nanoTime();
        CompletableFuture<Boolean> moved = n1.leadership().handBack(g, "n2", leaving::get);
        // the server layer hears of the peer's lame-duck mode a moment after the hand-back began
        await().pollDelay(Duration.ofMillis(100)).until(() -> true);
        leaving.set(true);
        assertThat(moved.join()).isFalse();
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(n1.streams().isLeader("T0")).isTrue();
        // far below the 20 s transfer bound the writes would otherwise have waited
        assertThat(took).isLessThan(Duration.ofSeconds(10));
        assertThat(n1.streams().publish("T0", List.of(Publish.of("x", new byte[1]))).join().get(0).isOk()).isTrue();
        cluster.node(1).leadership().resumeElections();
    }

    /**
     * A hand-back whose target is slow to stand is asked again (Ratis requests of 0.5 s each) while the writes stay
     * held, so the target still wins with the log it has: a paused target that resumes after two attempts (as a
     * restarted node busy for a second would) takes the group.
     */
    @Test
    void aHandBackWhoseTargetIsSlowToStandIsAskedAgainUntilItTakesOver() {
        startWithStreamLedByFirstNodeAndLongTransferBound();
        RaftNode n1 = cluster.node(0);
        GroupName g = cluster.groupOf("T0");
        RaftNode n2 = cluster.node(1);
        n2.leadership().pauseElections();

        CompletableFuture<Boolean> moved = n1.leadership().handBack(g, "n2", () -> false);
        await().pollDelay(LeadershipHandOff.HAND_BACK_ATTEMPT.multipliedBy(2).plusMillis(200)).until(() -> true);
        n2.leadership().resumeElections();

        assertThat(moved.join()).isTrue();
        await().atMost(TestCluster.WAIT).until(() -> n2.streams().isLeader("T0"));
    }

    /**
     * A leadership taken a moment before the transfer (a hand-back that landed as the node entered lame-duck mode)
     * still moves: its followers are not heard from yet, and the transfer waits for one within its bound. It was
     * reported "without a current follower" at once, the node closed its groups, and the group had no leader for an
     * election timeout (a 3.5 s pause and a failed publish in the clean-clone CI's rolling drill).
     */
    @Test
    void aLeadershipTakenJustBeforeTheTransferMovesAsWell() {
        // the default election timeout (1-2 s): Ratis dates a new leader's last contact with each follower one
        // maximum timeout back, so until a follower answers it looks unheard of for longer than "current" allows
        cluster = new TestCluster(dir, 3).withTiming(TestCluster.fastTiming()
                .withElectionTimeout(Duration.ofSeconds(1), Duration.ofSeconds(2)));
        cluster.start();
        streamsLedByFirstNode(1);
        GroupName g = cluster.groupOf("T0");
        RaftNode n2 = cluster.node(1);

        CompletableFuture<Boolean> toN2 = cluster.node(0).leadership().stepDown(g, java.util.Optional.of("n2"));
        await().atMost(TestCluster.WAIT).pollInterval(Duration.ofMillis(1)).until(() -> n2.streams().isLeader("T0"));
        TransferReport report = n2.leadership().transferAll(BOUND);

        assertThat(toN2.join()).isTrue();
        GroupTransfer t0 = report.groups().stream().filter(t -> t.group().equals(g)).findFirst().orElseThrow();
        assertThat(t0.outcome()).as("%s", t0).isEqualTo(TransferOutcome.MOVED);
        assertThat(t0.newLeader()).isPresent().get().isNotEqualTo("n2");
    }

    /**
     * An election this node began just before lame-duck mode (a hand-back's StartLeaderElection arrived a moment
     * before its elections were paused; pausing does not stop an election under way) is won after the transfer first
     * looked: the node is a candidate then, not a leader. The transfer keeps watching while it is a candidate and
     * moves the leadership once won. It found "0 groups in 1 ms", the node won the election a moment later and
     * closed its groups while leading: no leader for 2.6 s and a failed publish in a 5-round soak of the rolling drill.
     * Here the voters answer the candidate 300 ms late, so the election is still under way when the transfer starts.
     */
    @Test
    void anElectionUnderWayWhenTheTransferStartsIsWaitedForAndItsLeadershipMoved() {
        cluster = new TestCluster(dir, 3).start();
        streamsLedByFirstNode(1);
        GroupName g = cluster.groupOf("T0");
        RaftNode n2 = cluster.node(1);
        String voteHook = "RaftServerImpl.requestVote";
        org.apache.ratis.util.CodeInjectionForTesting.put(voteHook, (local, candidate, args) -> {
            if ("n2".equals(String.valueOf(candidate))) {
                await().pollDelay(Duration.ofMillis(300)).until(() -> true);
            }
            return true;
        });
        try {
            CompletableFuture<Boolean> toN2 = cluster.node(0).leadership().stepDown(g, java.util.Optional.of("n2"));
            await().atMost(TestCluster.WAIT).pollInterval(Duration.ofMillis(1)).until(() -> n2.health().health(g)
                    .map(h -> h.role() == io.jetraft.raft.health.GroupHealth.Role.CANDIDATE).orElse(false));
            // lame-duck mode's step 2, as JetStreamService runs it
            n2.leadership().pauseElections();
            TransferReport report = n2.leadership().transferAll(BOUND);

            assertThat(toN2.join()).as("n2 won the election the step-down began").isTrue();
            GroupTransfer t0 = report.groups().stream().filter(t -> t.group().equals(g)).findFirst()
                    .orElseThrow(() -> new AssertionError("the transfer did not move " + g + ": " + report));
            assertThat(t0.outcome()).as("%s", t0).isEqualTo(TransferOutcome.MOVED);
            assertThat(t0.newLeader()).isPresent().get().isNotEqualTo("n2");
            assertThat(n2.health().isLeader(g)).isFalse();
        } finally {
            org.apache.ratis.util.CodeInjectionForTesting.remove(voteHook);
            n2.leadership().resumeElections();
        }
    }

    /** Three nodes, a 20 s transfer bound (far above any hand-back's), stream T0 led by n1 with current followers. */
    private void startWithStreamLedByFirstNodeAndLongTransferBound() {
        cluster = new TestCluster(dir, 3)
                .withTiming(TestCluster.fastTiming().withTransferBound(Duration.ofSeconds(20)));
        cluster.start();
        streamsLedByFirstNode(1);
    }
}
