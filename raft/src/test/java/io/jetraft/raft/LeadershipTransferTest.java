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
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Acceptance 5: transferLeadership moves every group a node leads to a current follower, in parallel under one bound,
 * with a named outcome per group; one group can step down; a node can be kept from being elected again.
 */
class LeadershipTransferTest {

    /** How many R3 stream groups the parallel-transfer measurement uses (-Djetraft.transfer.groups=100 by hand). */
    static final int GROUPS = Integer.getInteger("jetraft.transfer.groups", 30);
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
        cluster.node(1).pauseElections();
        cluster.node(2).pauseElections();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = "T" + i;
            cluster.node(0).createStream(StreamSpec.of(name, 3, StreamLimits.unlimited())).join().value();
            names.add(name);
        }
        for (String name : names) {
            await().atMost(TestCluster.WAIT).until(() -> cluster.node(0).isLeader(GroupName.stream(name))
                    && cluster.running().stream().allMatch(n -> n.health(GroupName.stream(name))
                    .map(h -> h.replicas().stream().filter(r -> !r.self()).count() == 2 && n.leader(
                            GroupName.stream(name)).isPresent()).orElse(false)));
        }
        cluster.node(1).resumeElections();
        cluster.node(2).resumeElections();
        // followers current (heard from, caught up) before the transfer
        for (String name : names) {
            await().atMost(TestCluster.WAIT).until(() -> cluster.node(0).health(GroupName.stream(name)).orElseThrow()
                    .replicas().stream().allMatch(r -> r.current()));
        }
        return names;
    }

    @Test
    void transferMovesEveryGroupThisNodeLeadsToACurrentFollowerInParallelWithinTheBound() {
        cluster = new TestCluster(dir, 3).start();
        List<String> names = streamsLedByFirstNode(GROUPS);
        RaftNode n1 = cluster.node(0);
        // as in lame-duck mode: the leaving node is not elected again (without this, a target whose election round
        // timed out on a starved machine could lose the group back to n1)
        n1.pauseElections();

        TransferReport report = n1.transferLeadership(BOUND);

        long[] took = report.groups().stream().mapToLong(g -> g.took().toMillis()).sorted().toArray();
        System.out.printf("MEASURED: parallel leadership transfer of %d groups (%d R3 streams%s) took %d ms; per "
                        + "group: fastest %d ms, median %d ms, 90%% %d ms, slowest %d ms; %s%n", report.groups().size(),
                GROUPS, report.groups().size() > GROUPS ? " + meta" : "", report.took().toMillis(), took[0],
                took[took.length / 2], took[took.length * 9 / 10], took[took.length - 1], report);
        assertThat(report.groups()).hasSizeGreaterThanOrEqualTo(GROUPS);
        // the bound is the contract: the report comes back by then, whatever did not move yet
        assertThat(report.took()).isLessThan(BOUND.plusMillis(500));
        for (GroupTransfer g : report.groups()) {
            assertThat(g.target()).as("every follower was current: each group had a target").isPresent();
            assertThat(g.took()).isLessThanOrEqualTo(report.took());
            if (g.moved()) {
                assertThat(g.newLeader()).isPresent().get().isNotEqualTo("n1");
            } else {
                assertThat(g.outcome()).isIn(TransferOutcome.TIMED_OUT, TransferOutcome.FAILED);
                assertThat(g.detail()).isNotBlank();
            }
        }
        // how many make it within the bound depends on the machine and its load (a figure, printed above, not an
        // assertion: a clean-clone CI run on 2 busy cores moved 13 of 30); none moving means the mechanism is broken
        assertThat(report.count(TransferOutcome.MOVED)).isPositive();
        List<String> moved = report.groups().stream().filter(GroupTransfer::moved)
                .filter(g -> !g.group().isMeta()).map(g -> g.group().stream()).toList();
        for (String name : moved) {
            await().atMost(TestCluster.WAIT).until(() -> !n1.isLeader(GroupName.stream(name))
                    && (cluster.node(1).isLeader(GroupName.stream(name))
                    || cluster.node(2).isLeader(GroupName.stream(name))));
        }
        // and writes go on through the new leaders
        for (String name : moved.subList(0, Math.min(3, moved.size()))) {
            assertThat(n1.publish(name, List.of(Publish.of("x", new byte[1]))).join().get(0).isOk()).isTrue();
        }
    }

    @Test
    void aGroupWithNoCurrentFollowerIsReportedAndNotWaitedFor() {
        cluster = new TestCluster(dir, 3).start();
        StreamAssignment one = cluster.node(0).createStream(StreamSpec.of("SOLO", 1, StreamLimits.unlimited()))
                .join().value();
        RaftNode owner = cluster.node(one.peers().get(0).name());
        cluster.awaitLeader(GroupName.stream("SOLO"));

        long started = System.nanoTime();
        TransferReport report = owner.transferLeadership(Duration.ofSeconds(5));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        GroupTransfer solo = report.groups().stream().filter(g -> g.group().equals(GroupName.stream("SOLO")))
                .findFirst().orElseThrow();
        assertThat(solo.outcome()).isEqualTo(TransferOutcome.NO_CURRENT_FOLLOWER);
        assertThat(solo.target()).isEmpty();
        assertThat(owner.isLeader(GroupName.stream("SOLO"))).isTrue();
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

        GroupTransfer moved = n1.stepDown(GroupName.stream("T0"));

        assertThat(moved.outcome()).isEqualTo(TransferOutcome.MOVED);
        // the new leader's listeners hear that it leads (and is ready to serve) the group
        await().atMost(TestCluster.WAIT).until(() -> seen.stream().anyMatch(c -> c.local()
                && c.group().equals(GroupName.stream("T0")) && c.leader().equals(moved.newLeader())));
        assertThat(moved.newLeader()).isPresent().get().isNotEqualTo("n1");
        assertThat(n1.isLeader(GroupName.stream("T0"))).isFalse();
        assertThat(n1.isLeader(GroupName.stream("T1"))).isTrue();
        assertThat(cluster.node(1).stepDown(GroupName.stream("T1")).outcome()).isEqualTo(TransferOutcome.FAILED);
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

        n1.pauseElections();
        TransferReport report = n1.transferLeadership();
        assertThat(report.allMoved()).isTrue();
        String newLeader = report.groups().stream().filter(g -> g.group().equals(GroupName.stream("T0")))
                .findFirst().orElseThrow().newLeader().orElseThrow();
        String third = newLeader.equals("n2") ? "n3" : "n2";
        // let the third node catch up first: a paused node still votes, but for nobody with a shorter log, and it
        // will not stand itself, so the third must not be behind it
        assertThat(cluster.node(third).publish("T0", List.of(Publish.of("y", new byte[1]))).join().get(0).isOk())
                .isTrue();
        await().atMost(TestCluster.WAIT).until(() -> cluster.node(third).health(GroupName.stream("T0"))
                .orElseThrow().appliedIndex() == cluster.node(newLeader).health(GroupName.stream("T0")).orElseThrow()
                .commitIndex());

        // the new leader goes away: only the third node may take over, never the paused one
        cluster.stop(cluster.indexOf(newLeader));
        await().atMost(TestCluster.WAIT).until(() -> cluster.node(third).isLeader(GroupName.stream("T0")));
        assertThat(n1.isLeader(GroupName.stream("T0"))).isFalse();
        assertThat(n1Leads).noneMatch(c -> c.group().equals(GroupName.stream("T0")));
        // it still replicates: a write through the third node is acknowledged with n1 as the second copy
        assertThat(n1.publish("T0", List.of(Publish.of("x", new byte[1]))).join().get(0).isOk()).isTrue();

        n1.resumeElections();
        cluster.restart(cluster.indexOf(newLeader));
    }
}
