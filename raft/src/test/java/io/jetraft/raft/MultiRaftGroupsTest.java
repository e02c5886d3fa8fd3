package io.jetraft.raft;

import io.jetraft.storage.Appended;
import io.jetraft.storage.StreamLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Acceptance 1: one Ratis server per node, the meta group on all peers, one group per stream on its replicas. */
class MultiRaftGroupsTest {

    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void eachStreamGroupRunsOnExactlyItsReplicasBesideTheMetaGroupOnAllPeers() {
        cluster = new TestCluster(dir, 3).start();
        RaftNode any = cluster.node(1);

        StreamAssignment r1 = any.createStream(StreamSpec.of("ONE", 1, StreamLimits.unlimited())).join().value();
        StreamAssignment r3 = any.createStream(StreamSpec.of("THREE", 3, StreamLimits.unlimited())).join().value();

        assertThat(r1.peers()).hasSize(1);
        assertThat(r3.peers()).extracting(Peer::name).containsExactlyInAnyOrder("n1", "n2", "n3");
        assertThat(r1.groupId()).isNotEqualTo(r3.groupId());
        for (RaftNode n : cluster.running()) {
            assertThat(n.hosts(GroupName.META)).isTrue();
            await().atMost(TestCluster.WAIT).until(() -> n.hosts(GroupName.stream("THREE")));
            await().atMost(TestCluster.WAIT).until(() -> n.hosts(GroupName.stream("ONE")) == r1.isOn(n.name()));
        }
        // every node has one server whose groups are exactly the meta group and the streams placed on it
        for (RaftNode n : cluster.running()) {
            long expected = 1 + (r1.isOn(n.name()) ? 1 : 0) + 1;
            assertThat(n.server().getGroupIds()).hasSize((int) expected);
        }

        List<Result<Appended>> acks = any.publish("THREE", List.of(Publish.of("a", bytes("1")),
                Publish.of("b", bytes("2")))).join();
        assertThat(acks).extracting(Result::value).containsExactly(new Appended(1, false), new Appended(2, false));
        assertThat(any.publish("ONE", List.of(Publish.of("x", bytes("y")))).join().get(0).value().seq()).isEqualTo(1);
    }

    @Test
    void streamsAddedAndRemovedAtRunTimeFollowTheAppliedMetaLog() {
        cluster = new TestCluster(dir, 3).start();
        RaftNode n1 = cluster.node(0);
        n1.createStream(StreamSpec.of("S", 3, StreamLimits.unlimited())).join().value();
        for (RaftNode n : cluster.running()) {
            await().atMost(TestCluster.WAIT).until(() -> n.hosts(GroupName.stream("S")));
        }
        n1.publish("S", List.of(Publish.of("a", bytes("1")))).join();

        assertThat(n1.deleteStream("S").join().value().name()).isEqualTo("S");
        for (RaftNode n : cluster.running()) {
            await().atMost(TestCluster.WAIT).until(() -> !n.hosts(GroupName.stream("S"))
                    && n.server().getGroupIds().iterator().hasNext());
            assertThat(n.stream("S")).isEmpty();
        }
        assertThat(n1.publish("S", List.of(Publish.of("a", bytes("1")))).join().get(0).error().errCode())
                .isEqualTo(10059);
    }

    @Test
    void applyingTheMetaLogOnlyEnqueuesGroupChangesAndNeverWaitsForThem() throws Exception {
        cluster = new TestCluster(dir, 3).start();
        CountDownLatch hold = new CountDownLatch(1);
        for (RaftNode n : cluster.running()) {
            n.reconciler().beforePass = () -> {
                try {
                    hold.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
        }
        try {
            // committed and applied on every node while no reconciler can start a group
            StreamAssignment a = cluster.node(0).createStream(StreamSpec.of("HELD", 3, StreamLimits.unlimited()))
                    .get(10, TimeUnit.SECONDS).value();
            for (RaftNode n : cluster.running()) {
                await().atMost(TestCluster.WAIT).until(() -> n.stream("HELD").isPresent());
                assertThat(n.hosts(GroupName.stream("HELD"))).isFalse();
            }
            assertThat(a.peers()).hasSize(3);
        } finally {
            hold.countDown();
        }
        for (RaftNode n : cluster.running()) {
            await().atMost(TestCluster.WAIT).until(() -> n.hosts(GroupName.stream("HELD")));
        }
    }

    @Test
    void anR5StreamSpansFivePeersAndR3StreamsSpreadOverThem() {
        cluster = new TestCluster(dir, 5).start();
        RaftNode any = cluster.node(4);
        StreamAssignment five = any.createStream(StreamSpec.of("FIVE", 5, StreamLimits.unlimited())).join().value();
        assertThat(five.peers()).extracting(Peer::name).containsExactlyInAnyOrder("n1", "n2", "n3", "n4", "n5");
        StreamAssignment a = any.createStream(StreamSpec.of("A", 3, StreamLimits.unlimited())).join().value();
        StreamAssignment b = any.createStream(StreamSpec.of("B", 3, StreamLimits.unlimited())).join().value();
        // fewest replicas first: the second R3 stream uses the two peers the first one left out
        assertThat(a.peers()).hasSize(3);
        assertThat(b.peers()).hasSize(3);
        assertThat(b.peers()).containsAll(cluster.peers().stream().filter(p -> !a.peers().contains(p)).toList());

        assertThat(any.publish("FIVE", List.of(Publish.of("f", bytes("5")))).join().get(0).value().seq())
                .isEqualTo(1);
        for (RaftNode n : cluster.running()) {
            await().atMost(TestCluster.WAIT).until(() -> n.hosts(GroupName.stream("FIVE")));
            await().atMost(TestCluster.WAIT).until(() -> n.hosts(GroupName.stream("A")) == a.isOn(n.name()));
        }
    }

    @Test
    void moreReplicasThanPeersIsRefusedWithNatsError() {
        cluster = new TestCluster(dir, 3).start();
        Result<StreamAssignment> r = cluster.node(0).createStream(StreamSpec.of("BIG", 5, StreamLimits.unlimited()))
                .join();
        assertThat(r.error().errCode()).isEqualTo(10005);
        assertThat(r.error().description()).isEqualTo("no suitable peers for placement");
        assertThat(cluster.node(0).createStream(StreamSpec.of("HUGE", 7, StreamLimits.unlimited())).join().error()
                .errCode()).isEqualTo(10052);
        assertThat(cluster.node(0).createStream(StreamSpec.of("bad.name", 1, StreamLimits.unlimited())).join()
                .error().errCode()).isEqualTo(10052);
    }
}
