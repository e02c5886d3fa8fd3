package io.jetraft.raft;

import io.jetraft.storage.ConsumerConfig;
import io.jetraft.storage.StreamLimits;
import org.apache.ratis.server.RaftServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Acceptance 4: stream snapshots are the store's stream snapshots, the log is purged behind them, and a follower that
 * is far behind, or lost its Raft directory and store, receives the snapshot and catches up by itself.
 */
class SnapshotInstallTest {

    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Snapshots every 20 entries, nothing kept behind them, 64KB segments: logs purge quickly. */
    TestCluster snapshotting() {
        return new TestCluster(dir, 3).withLog(TestCluster.smallLog().withSnapshots(20, 0));
    }

    static void publish(RaftNode n, String stream, int count, String prefix) {
        byte[] kb = new byte[1024];
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            acks.add(n.streams().publish(stream, List.of(Publish.of(prefix + "." + (i % 7), kb))));
            if (acks.size() == 20) {
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).join();
                acks.clear();
            }
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).join();
    }

    int followerOf(String stream) {
        RaftNode leader = cluster.awaitLeader(stream);
        return cluster.indexOf(cluster.replicasOf(stream).stream().filter(n -> n != leader).findFirst()
                .orElseThrow().name());
    }

    @Test
    void aFollowerFarBehindReceivesTheLeadersSnapshotAndCatchesUp() {
        cluster = snapshotting().start();
        RaftNode n = cluster.node(0);
        n.meta().createStream(StreamSpec.of("SNAP", 3, StreamLimits.unlimited())).join().value();
        publish(n, "SNAP", 5, "early");
        int f = followerOf("SNAP");
        long followerLast = cluster.node(f).division(cluster.groupOf("SNAP")).getRaftLog().getLastEntryTermIndex()
                .getIndex();
        cluster.stop(f);

        RaftNode via = cluster.running().get(0);
        publish(via, "SNAP", 300, "late");
        via.meta().createConsumer("SNAP", ConsumerSpec.of("C", ConsumerConfig.explicitAck(), StartPosition.all())).join()
                .value();
        via.streams().delivered("SNAP", "C", 1, 1, 1).join().value();
        RaftNode leader = cluster.awaitLeader("SNAP");
        RaftServer.Division ld = leader.division(cluster.groupOf("SNAP"));
        // the leader took snapshots and purged its log past everything the stopped follower has
        await().atMost(TestCluster.WAIT).until(() -> ld.getRaftLog().getStartIndex() > followerLast + 1);
        assertThat(ld.getStateMachine().getLatestSnapshot()).isNotNull();

        RaftNode back = cluster.restart(f);
        await().atMost(TestCluster.WAIT).untilAsserted(() -> assertThat(
                StoreContents.of(cluster.storeOf(back, "SNAP")).data())
                .isEqualTo(StoreContents.of(cluster.storeOf(leader, "SNAP")).data()));
        // it got there through a snapshot: its log starts after the snapshot it installed
        RaftServer.Division bd = back.division(cluster.groupOf("SNAP"));
        assertThat(bd.getStateMachine().getLatestSnapshot()).isNotNull();
        assertThat(bd.getRaftLog().getStartIndex()).isGreaterThan(followerLast + 1);
        assertThat(StoreContents.of(cluster.storeOf(back, "SNAP")).messages()).hasSize(305);
    }

    @Test
    void aFollowerFarBehindReceivesOneGroupSnapshotWithEveryStreamOfItsGroupAndEndsEqualStreamByStream() {
        // one group for the replica set: all the streams below share it, and so its log and snapshots
        cluster = snapshotting().withGroupsPerSet(1).start();
        RaftNode n = cluster.node(0);
        for (String s : List.of("A", "B", "GONE")) {
            n.meta().createStream(StreamSpec.of(s, 3, StreamLimits.unlimited())).join().value();
            publish(n, s, 3, s.toLowerCase());
        }
        GroupName g = cluster.groupOf("A");
        assertThat(cluster.groupOf("B")).isEqualTo(g);
        int f = followerOf("A");
        String goneStoreName = cluster.storeName("GONE");
        long followerLast = cluster.node(f).division(g).getRaftLog().getLastEntryTermIndex().getIndex();
        cluster.stop(f);

        // while it is down: writes to several streams, a consumer, a stream deleted and a new one created
        RaftNode via = cluster.running().get(0);
        publish(via, "A", 150, "a2");
        publish(via, "B", 150, "b2");
        via.meta().createConsumer("B", ConsumerSpec.of("C", ConsumerConfig.explicitAck(), StartPosition.all())).join()
                .value();
        via.streams().delivered("B", "C", 1, 1, 1).join().value();
        via.meta().deleteStream("GONE").join().value();
        via.meta().createStream(StreamSpec.of("NEW", 3, StreamLimits.unlimited())).join().value();
        publish(via, "NEW", 20, "new");
        RaftNode leader = cluster.awaitLeader(g);
        RaftServer.Division ld = leader.division(g);
        await().atMost(TestCluster.WAIT).until(() -> ld.getRaftLog().getStartIndex() > followerLast + 1);

        RaftNode back = cluster.restart(f);
        for (String s : List.of("A", "B", "NEW")) {
            // NEW is readable there once the restarted node has applied the meta entry creating it
            await().atMost(TestCluster.WAIT).until(() -> back.meta().stream(s).isPresent() && back.streams().hosts(s));
            await().atMost(TestCluster.WAIT).untilAsserted(() -> assertThat(
                    StoreContents.of(cluster.storeOf(back, s)).data()).as(s)
                    .isEqualTo(StoreContents.of(cluster.storeOf(leader, s)).data()));
        }
        assertThat(StoreContents.of(cluster.storeOf(back, "A")).messages()).hasSize(153);
        // the stream deleted meanwhile is gone from the replica too, and the group's log starts after the snapshot
        assertThat(cluster.store(f).streamNames()).doesNotContain(goneStoreName);
        RaftServer.Division bd = back.division(g);
        assertThat(bd.getStateMachine().getLatestSnapshot()).isNotNull();
        assertThat(bd.getRaftLog().getStartIndex()).isGreaterThan(followerLast + 1);
    }

    @Test
    void aFollowerWhoseRaftDirectoryAndStoreWereWipedRebuildsItselfUnderTheSameName() {
        cluster = snapshotting().start();
        RaftNode n = cluster.node(0);
        n.meta().createStream(StreamSpec.of("WIPE", 3, StreamLimits.unlimited())).join().value();
        publish(n, "WIPE", 100, "a");
        // enough meta entries (with 8KB configuration documents, so segments fill) for the meta group to snapshot
        // and purge too
        byte[] doc = new byte[8 * 1024];
        for (int i = 0; i < 12; i++) {
            n.meta().createConsumer("WIPE", new ConsumerSpec("tmp", ConsumerConfig.explicitAck(), StartPosition.all(), doc))
                    .join().value();
            n.meta().deleteConsumer("WIPE", "tmp").join().value();
        }
        n.meta().createConsumer("WIPE", ConsumerSpec.of("KEEP", ConsumerConfig.explicitAck(), StartPosition.newOnly()))
                .join().value();
        int f = followerOf("WIPE");
        cluster.stop(f);
        cluster.wipe(f);

        RaftNode via = cluster.running().get(0);
        publish(via, "WIPE", 100, "b");
        RaftNode metaLeader = cluster.awaitLeader(GroupName.META);
        await().atMost(TestCluster.WAIT).until(() ->
                metaLeader.division(GroupName.META).getRaftLog().getStartIndex() > 0);
        RaftNode leader = cluster.awaitLeader("WIPE");
        await().atMost(TestCluster.WAIT).until(() ->
                leader.division(cluster.groupOf("WIPE")).getRaftLog().getStartIndex() > 0);

        RaftNode back = cluster.restart(f);
        await().atMost(TestCluster.WAIT).until(() -> back.meta().stream("WIPE").isPresent()
                && back.streams().hosts("WIPE"));
        await().atMost(TestCluster.WAIT).untilAsserted(() -> assertThat(
                StoreContents.of(cluster.storeOf(back, "WIPE")).data())
                .isEqualTo(StoreContents.of(cluster.storeOf(leader, "WIPE")).data()));
        assertThat(StoreContents.of(cluster.storeOf(back, "WIPE")).messages()).hasSize(200);
        assertThat(back.meta().stream("WIPE").orElseThrow().consumers()).extracting(ConsumerAssignment::name)
                .containsExactly("KEEP");
        assertThat(back.division(GroupName.META).getStateMachine().getLatestSnapshot()).isNotNull();
    }
}
