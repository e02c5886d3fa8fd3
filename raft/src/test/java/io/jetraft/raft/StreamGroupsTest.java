package io.jetraft.raft;

import io.jetraft.storage.Appended;
import io.jetraft.storage.StreamLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One Ratis server per node, the meta group on all peers, and a few stream groups per replica set (one per member by
 * default, each preferring another leader) carrying many streams: the groups on a node do not grow with the streams.
 */
class StreamGroupsTest {

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

    private static Set<String> groupIds(RaftNode n) {
        Set<String> ids = new HashSet<>();
        n.server().getGroupIds().forEach(g -> ids.add(g.getUuid().toString()));
        return ids;
    }

    @Test
    void manyStreamsShareTheFewGroupsOfTheirReplicaSetAndTheGroupsDoNotGrowWithThem() {
        cluster = new TestCluster(dir, 3).withTiming(TestCluster.fastTiming().withBalanceAfter(Duration.ofMillis(500)));
        cluster.start();
        RaftNode any = cluster.node(1);
        StreamAssignment r1 = any.meta().createStream(StreamSpec.of("ONE", 1, StreamLimits.unlimited())).join().value();
        List<StreamAssignment> r3 = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            r3.add(any.meta().createStream(StreamSpec.of("T" + i, 3, StreamLimits.unlimited())).join().value());
        }
        assertThat(r1.peers()).hasSize(1);
        // the R3 set has three groups (one per member), the streams spread evenly over them
        Set<String> r3Groups = r3.stream().map(StreamAssignment::groupId).collect(Collectors.toSet());
        assertThat(r3Groups).hasSize(3);
        assertThat(r3.stream().collect(Collectors.groupingBy(StreamAssignment::groupId, Collectors.counting()))
                .values()).containsOnly(2L);
        assertThat(r3Groups).doesNotContain(r1.groupId());
        for (RaftNode n : cluster.running()) {
            assertThat(n.health().hosts(GroupName.META)).isTrue();
            await().atMost(TestCluster.WAIT).until(() -> r3.stream().allMatch(a -> n.streams().hosts(a.name())));
            await().atMost(TestCluster.WAIT).until(() -> n.streams().hosts("ONE") == r1.isOn(n.name()));
        }
        Set<Set<String>> before = new HashSet<>();
        for (RaftNode n : cluster.running()) {
            // the meta group, the three R3 groups, and the R1 group where the R1 stream lives
            assertThat(n.server().getGroupIds()).hasSize(1 + 3 + (r1.isOn(n.name()) ? 1 : 0));
            before.add(groupIds(n));
        }
        // each group prefers another member as leader: the three leaderships land on three nodes
        await().atMost(TestCluster.WAIT).ignoreExceptions().until(() -> r3Groups.stream()
                .map(g -> cluster.leaderOf(GroupName.streams(g)).name()).collect(Collectors.toSet()).size() == 3);

        for (int i = 6; i < 40; i++) {
            any.meta().createStream(StreamSpec.of("T" + i, 3, StreamLimits.unlimited())).join().value();
        }
        Set<Set<String>> after = new HashSet<>();
        cluster.running().forEach(n -> after.add(groupIds(n)));
        assertThat(after).isEqualTo(before);

        List<Result<Appended>> acks = any.streams().publish("T0", List.of(Publish.of("a", bytes("1")),
                Publish.of("b", bytes("2")))).join();
        assertThat(acks).extracting(Result::value).containsExactly(new Appended(1, false), new Appended(2, false));
        assertThat(any.streams().publish("T1", List.of(Publish.of("a", bytes("x")))).join().get(0).value().seq())
                .isEqualTo(1);
        assertThat(any.streams().publish("ONE", List.of(Publish.of("x", bytes("y")))).join().get(0).value().seq())
                .isEqualTo(1);
    }

    @Test
    void aDeletedStreamLeavesItsGroupWithAllItsDataAndTheGroupAndItsOtherStreamsCarryOn() {
        // one group per replica set (jetstream { groups_per_replica_set: 1 }): both streams share it
        cluster = new TestCluster(dir, 3).withGroupsPerSet(1).start();
        RaftNode n1 = cluster.node(0);
        for (String s : List.of("S", "KEEP")) {
            n1.meta().createStream(StreamSpec.of(s, 3, StreamLimits.unlimited())).join().value();
        }
        GroupName g = cluster.groupOf("S");
        assertThat(cluster.groupOf("KEEP")).isEqualTo(g);
        assertThat(n1.streams().streamsOf(g)).containsExactly("KEEP", "S");
        String storeName = cluster.storeName("S");
        n1.streams().publish("S", List.of(Publish.of("a", bytes("1")))).join();
        n1.streams().publish("KEEP", List.of(Publish.of("k", bytes("1")))).join();

        assertThat(n1.meta().deleteStream("S").join().value().name()).isEqualTo("S");
        for (int i = 0; i < 3; i++) {
            RaftNode n = cluster.node(i);
            int slot = i;
            await().atMost(TestCluster.WAIT).until(() -> !n.streams().hosts("S")
                    && !cluster.store(slot).streamNames().contains(storeName));
            assertThat(n.meta().stream("S")).isEmpty();
            // the group is still there, and so is every other stream
            assertThat(n.health().hosts(g)).isTrue();
            assertThat(n.streams().hosts("KEEP")).isTrue();
        }
        assertThat(n1.streams().streamsOf(g)).containsExactly("KEEP");
        assertThat(n1.streams().publish("S", List.of(Publish.of("a", bytes("1")))).join().get(0).error().errCode())
                .isEqualTo(10059);
        assertThat(n1.streams().publish("KEEP", List.of(Publish.of("k", bytes("2")))).join().get(0).value().seq())
                .isEqualTo(2);
        // a new stream of the same name starts empty, in a group again
        n1.meta().createStream(StreamSpec.of("S", 3, StreamLimits.unlimited())).join().value();
        assertThat(n1.streams().publish("S", List.of(Publish.of("a", bytes("again")))).join().get(0).value().seq())
                .isEqualTo(1);
        assertThat(cluster.storeName("S")).isNotEqualTo(storeName);
    }

    @Test
    void placementPreferredPutsANewStreamOnTheGroupThatPeerPrefersToLead() {
        cluster = new TestCluster(dir, 3);
        cluster.start();
        RaftNode n1 = cluster.node(0);
        StreamAssignment a = n1.meta().createStream(StreamSpec.of("P", 3, StreamLimits.unlimited())
                .withPreferredLeader("n3")).join().value();
        StreamAssignment b = n1.meta().createStream(StreamSpec.of("Q", 3, StreamLimits.unlimited())
                .withPreferredLeader("n3")).join().value();
        StreamAssignment c = n1.meta().createStream(StreamSpec.of("R", 3, StreamLimits.unlimited())
                .withPreferredLeader("n2")).join().value();
        assertThat(b.groupId()).isEqualTo(a.groupId());
        assertThat(c.groupId()).isNotEqualTo(a.groupId());
        assertThat(n1.locator().group(GroupName.streams(a.groupId())).orElseThrow().getPreferredLeader())
                .isEqualTo("n3");
        assertThat(n1.locator().group(GroupName.streams(c.groupId())).orElseThrow().getPreferredLeader())
                .isEqualTo("n2");
        // an R1 stream preferring a peer lives on that peer
        StreamAssignment solo = n1.meta().createStream(StreamSpec.of("SOLO", 1, StreamLimits.unlimited())
                .withPreferredLeader("n2")).join().value();
        assertThat(solo.peers()).extracting(Peer::name).containsExactly("n2");
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
        CompletableFuture<Result<StreamAssignment>> created;
        try {
            // committed and applied on every node while no reconciler can start a group; the stream joins its
            // group once there is one
            created = cluster.node(0).meta().createStream(StreamSpec.of("HELD", 3, StreamLimits.unlimited()));
            for (RaftNode n : cluster.running()) {
                await().atMost(TestCluster.WAIT).until(() -> n.meta().stream("HELD").isPresent());
                assertThat(n.streams().hosts("HELD")).isFalse();
            }
            assertThat(created).isNotDone();
        } finally {
            hold.countDown();
        }
        assertThat(created.get(30, TimeUnit.SECONDS).value().peers()).hasSize(3);
        for (RaftNode n : cluster.running()) {
            await().atMost(TestCluster.WAIT).until(() -> n.streams().hosts("HELD"));
        }
    }

    @Test
    void anR5StreamSpansFivePeersAndR3StreamsSpreadOverThem() {
        cluster = new TestCluster(dir, 5).start();
        RaftNode any = cluster.node(4);
        StreamAssignment five = any.meta().createStream(StreamSpec.of("FIVE", 5, StreamLimits.unlimited())).join().value();
        assertThat(five.peers()).extracting(Peer::name).containsExactlyInAnyOrder("n1", "n2", "n3", "n4", "n5");
        StreamAssignment a = any.meta().createStream(StreamSpec.of("A", 3, StreamLimits.unlimited())).join().value();
        StreamAssignment b = any.meta().createStream(StreamSpec.of("B", 3, StreamLimits.unlimited())).join().value();
        // fewest replicas first: the second R3 stream uses the two peers the first one left out
        assertThat(a.peers()).hasSize(3);
        assertThat(b.peers()).hasSize(3);
        assertThat(b.peers()).containsAll(cluster.peers().stream().filter(p -> !a.peers().contains(p)).toList());

        assertThat(any.streams().publish("FIVE", List.of(Publish.of("f", bytes("5")))).join().get(0).value().seq())
                .isEqualTo(1);
        for (RaftNode n : cluster.running()) {
            await().atMost(TestCluster.WAIT).until(() -> n.streams().hosts("FIVE"));
            await().atMost(TestCluster.WAIT).until(() -> n.streams().hosts("A") == a.isOn(n.name()));
        }
    }

    @Test
    void moreReplicasThanPeersIsRefusedWithNatsError() {
        cluster = new TestCluster(dir, 3).start();
        Result<StreamAssignment> r = cluster.node(0).meta().createStream(StreamSpec.of("BIG", 5, StreamLimits.unlimited()))
                .join();
        assertThat(r.error().errCode()).isEqualTo(10005);
        assertThat(r.error().description()).isEqualTo("no suitable peers for placement");
        assertThat(cluster.node(0).meta().createStream(StreamSpec.of("HUGE", 7, StreamLimits.unlimited())).join().error()
                .errCode()).isEqualTo(10052);
        assertThat(cluster.node(0).meta().createStream(StreamSpec.of("bad.name", 1, StreamLimits.unlimited())).join()
                .error().errCode()).isEqualTo(10052);
    }
}
