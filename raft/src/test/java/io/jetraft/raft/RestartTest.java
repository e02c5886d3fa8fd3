package io.jetraft.raft;

import io.jetraft.raft.group.GroupStateMachine;
import io.jetraft.storage.StreamLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Acceptance 7: a node restarts on its directories, rejoins its groups and catches up; removing a stream removes its
 * group and its data on every peer.
 */
class RestartTest {

    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static List<Publish> one(String payload) {
        return List.of(Publish.of("r", payload.getBytes()));
    }

    @Test
    void aRestartedNodeRecoversItsGroupsFromItsDirectoriesAndCatchesUp() {
        cluster = new TestCluster(dir, 3).start();
        RaftNode n1 = cluster.node(0);
        n1.meta().createStream(StreamSpec.of("A", 3, StreamLimits.unlimited())).join().value();
        for (int i = 0; i < 3; i++) {
            n1.streams().publish("A", one("before" + i)).join().get(0).value();
        }
        cluster.stop(1);
        for (int i = 0; i < 4; i++) {
            n1.streams().publish("A", one("while-down" + i)).join().get(0).value();
        }

        // started on the same directories: Ratis recovers the meta and stream groups before anyone calls it
        RaftNode back = cluster.open(1);
        assertThat(back.health().hosts(GroupName.META)).isTrue();
        assertThat(back.streams().hosts("A")).isTrue();
        back.meta().bootstrap(cluster.peers()).join(); // the same peers again: it rejoins as itself

        await().atMost(TestCluster.WAIT).untilAsserted(() -> assertThat(
                StoreContents.of(cluster.storeOf(back, "A")).messages()).hasSize(7)
                .isEqualTo(StoreContents.of(cluster.storeOf(n1, "A")).messages()));
        assertThat(back.streams().publish("A", one("after")).join().get(0).value().seq()).isEqualTo(8);
    }

    @Test
    void deletingAStreamRemovesItsDataOnEveryPeerAndItsGroupCarriesOn() {
        cluster = new TestCluster(dir, 3).start();
        StreamAssignment d = cluster.node(0).meta().createStream(StreamSpec.of("D", 3, StreamLimits.unlimited())).join()
                .value();
        cluster.node(1).streams().publish("D", one("x")).join().get(0).value();
        String storeName = cluster.storeName("D");
        for (int i = 0; i < 3; i++) {
            int n = i;
            await().atMost(TestCluster.WAIT).until(() -> Files.isDirectory(cluster.raftDir(n).resolve(d.groupId()))
                    && cluster.store(n).streamNames().contains(storeName));
        }

        assertThat(cluster.node(2).meta().deleteStream("D").join().isOk()).isTrue();

        for (int i = 0; i < 3; i++) {
            int n = i;
            await().atMost(TestCluster.WAIT).until(() -> !cluster.node(n).streams().hosts("D")
                    && !cluster.store(n).streamNames().contains(storeName));
            // the stream group stays: it carries the replica set's other streams, now and later
            assertThat(cluster.raftDir(n).resolve(d.groupId())).isDirectory();
        }
        // a stream of the same name is a new stream with new data
        cluster.node(0).meta().createStream(StreamSpec.of("D", 3, StreamLimits.unlimited())).join().value();
        assertThat(cluster.storeName("D")).isNotEqualTo(storeName);
        assertThat(cluster.node(0).streams().publish("D", one("y")).join().get(0).value().seq()).isEqualTo(1);
    }

    @Test
    void aStreamDeletedWhileANodeWasDownIsRemovedThereWhenItReturns() {
        cluster = new TestCluster(dir, 3).start();
        cluster.node(0).meta().createStream(StreamSpec.of("E", 3, StreamLimits.unlimited())).join().value();
        cluster.node(0).streams().publish("E", one("x")).join().get(0).value();
        String storeName = cluster.storeName("E");
        await().atMost(TestCluster.WAIT).until(() -> cluster.store(2).streamNames().contains(storeName));
        cluster.stop(2);
        cluster.node(0).meta().deleteStream("E").join().value();

        RaftNode back = cluster.restart(2);
        await().atMost(TestCluster.WAIT).until(() -> back.meta().stream("E").isEmpty()
                && !back.streams().hosts("E")
                && !cluster.store(2).streamNames().contains(storeName));
    }

    @Test
    void closeGivesUpAfterItsWatchdogWhenAnApplyHangs() throws Exception {
        cluster = new TestCluster(dir, 3).start();
        cluster.node(0).meta().createStream(StreamSpec.of("W", 3, StreamLimits.unlimited())).join().value();
        cluster.node(0).streams().publish("W", one("x")).join().get(0).value();
        RaftNode leader = cluster.awaitLeader("W");
        // a follower hangs (a hung leader would not answer the publish either)
        RaftNode stuck = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        ((GroupStateMachine) stuck.division(cluster.groupOf("W")).getStateMachine()).beforeApply = () -> {
            holding.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try {
            leader.streams().publish("W", one("y")).join().get(0).value(); // committed by the other two
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();

            long started = System.nanoTime();
            boolean clean = stuck.shutdown(Duration.ofSeconds(1));
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(clean).isFalse();
            assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
            assertThat(leader.shutdown(Duration.ofSeconds(10))).isTrue();
        } finally {
            release.countDown();
        }
    }
}
