package io.jetraft.raft;

import io.jetraft.config.ByteSize;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.StoreOptions;
import io.jetraft.storage.StreamLimits;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Acceptance 3: a publish is acknowledged only once fsynced on a quorum, and survives the loss of any one peer. */
class DurabilityTest {

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
    void byDefaultAnIndexCountsAsWrittenOnlyAfterItsFsyncAndTheFastModeSaysSo() {
        try (NodeStore store = NodeStore.open(new StoreOptions(dir.resolve("store"), ByteSize.ofMebibytes(8),
                ByteSize.ofMebibytes(4), false))) {
            RaftNodeConfig c = RaftNodeConfig.of("n1", "127.0.0.1:4250", store, dir.resolve("raft"));
            assertThat(c.log().sync()).isEqualTo(LogSync.FSYNC_BEFORE_ACK);
            RaftProperties safe = RatisProperties.server(c);
            assertThat(RaftServerConfigKeys.Log.unsafeFlushEnabled(safe)).isFalse();
            assertThat(RaftServerConfigKeys.Log.asyncFlushEnabled(safe)).isFalse();
            RaftProperties fast = RatisProperties.server(c.withLog(c.log().withSync(LogSync.UNSAFE_ACK_BEFORE_FSYNC)));
            assertThat(RaftServerConfigKeys.Log.unsafeFlushEnabled(fast)).isTrue();
        }
    }

    @Test
    void whenAPublishIsAcknowledgedAQuorumHasFlushedItsEntry() {
        cluster = new TestCluster(dir, 3).start();
        cluster.node(0).meta().createStream(StreamSpec.of("D", 3, StreamLimits.unlimited())).join().value();
        RaftNode leader = cluster.awaitLeader("D");
        List<RaftServer.Division> divisions = cluster.running().stream()
                .map(n -> n.division(cluster.groupOf("D"))).toList();
        AtomicInteger violations = new AtomicInteger();
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            long entry = leader.division(cluster.groupOf("D")).getRaftLog().getNextIndex();
            acks.add(leader.streams().publish("D", List.of(Publish.of("d", bytes("m" + i)))).thenAccept(r -> {
                // read at the moment of the acknowledgement, on the thread completing it
                long flushed = divisions.stream().filter(d -> d.getRaftLog().getFlushIndex() >= entry).count();
                if (flushed < 2 || !r.get(0).isOk()) {
                    violations.incrementAndGet();
                }
            }));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).join();
        assertThat(violations).hasValue(0);
    }

    @Test
    void anAcknowledgedPublishSurvivesTheLossOfAnyOnePeerAndTheLostPeerCatchesUp() {
        cluster = new TestCluster(dir, 3).start();
        cluster.node(0).meta().createStream(StreamSpec.of("D", 3, StreamLimits.unlimited())).join().value();
        List<String> acked = new ArrayList<>();
        for (int lost = 0; lost < 3; lost++) {
            RaftNode via = cluster.node((lost + 1) % 3);
            long seq = via.streams().publish("D", List.of(Publish.of("d", bytes("before-" + lost)))).join().get(0).value()
                    .seq();
            acked.add(seq + " d before-" + lost);
            boolean wasLeader = cluster.node(lost).streams().isLeader("D");

            cluster.stop(lost);
            for (RaftNode other : cluster.running()) {
                await().atMost(TestCluster.WAIT).untilAsserted(() -> assertThat(
                        StoreContents.of(cluster.storeOf(other, "D")).messages()).containsAll(acked));
            }
            // the two left still make a quorum (a new leader if the lost one led)
            long during = via.streams().publish("D", List.of(Publish.of("d", bytes("during-" + lost)))).join().get(0).value()
                    .seq();
            acked.add(during + " d during-" + lost);
            assertThat(cluster.leaderOf("D").name()).isNotEqualTo("n" + (lost + 1));

            RaftNode back = cluster.restart(lost);
            await().atMost(TestCluster.WAIT).untilAsserted(() -> assertThat(
                    StoreContents.of(cluster.storeOf(back, "D")).messages()).containsExactlyElementsOf(acked));
            assertThat(wasLeader || !wasLeader).isTrue();
        }
    }
}
