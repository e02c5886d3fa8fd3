package io.jetraft.raft;

import io.jetraft.storage.ConsumerConfig;
import io.jetraft.storage.StreamLimits;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A stream group's leader whose replica of the meta group lags behind: a stream (or consumer) that the meta group
 * created a moment ago is already in the stream group, but not yet in this node's meta state. The leader must not
 * take that for a deletion: it detached such streams and deleted such consumers (seen with jetraft bench: a new
 * stream gone again 190 ms after its create had been answered, a new consumer deleted, and the bench's requests
 * timing out).
 */
class LaggingMetaReplicaTest {

    /** Ratis's injection point in a follower's appendEntries handling ({@code RaftServerImpl.APPEND_ENTRIES}). */
    private static final String APPEND_ENTRIES = "RaftServerImpl.appendEntries";

    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void close() {
        CodeInjectionForTesting.remove(APPEND_ENTRIES);
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aStreamAndAConsumerJustCreatedStayWhileTheGroupLeadersMetaReplicaCatchesUp() throws Exception {
        cluster = new TestCluster(dir, 3).start();
        RaftNode metaLeader = cluster.awaitMetaLeader();
        // a stream group that prefers a node other than the meta leader, led by that node (moved there if need be)
        RaftNode lagging = cluster.running().stream().filter(n -> n != metaLeader).findFirst().orElseThrow();
        metaLeader.meta().createStream(StreamSpec.of("FIRST", 3, StreamLimits.unlimited())
                .withPreferredLeader(lagging.name())).join().value();
        GroupName group = cluster.groupOf("FIRST");
        RaftNode groupLeader = cluster.awaitLeader(group);
        if (groupLeader != lagging) {
            assertThat(groupLeader.leadership().stepDown(group, Optional.of(lagging.name())).join()).isTrue();
        }
        await().atMost(TestCluster.WAIT).until(() -> cluster.awaitLeader(group) == lagging);
        StreamSpec spec = StreamSpec.of("NEW", 3, StreamLimits.unlimited()).withPreferredLeader(lagging.name());

        CountDownLatch heal = new CountDownLatch(1);
        AtomicInteger held = new AtomicInteger();
        RaftGroupId meta = RaftNode.META_GROUP;
        // the lagging node's meta replica receives no entries (heartbeats still arrive, so it does not know it lags)
        CodeInjectionForTesting.put(APPEND_ENTRIES, (localId, remoteId, args) -> {
            if (String.valueOf(localId).equals(lagging.name()) && args.length > 1
                    && args[1] instanceof AppendEntriesRequestProto r && r.getEntriesCount() > 0
                    && RaftGroupId.valueOf(r.getServerRequest().getRaftGroupId().getId()).equals(meta)) {
                held.incrementAndGet();
                try {
                    heal.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return false;
        });
        try {
            assertThat(metaLeader.meta().createStream(spec).join().value().groupId()).isEqualTo(group.id());
            ConsumerConfig explicit = ConsumerConfig.explicitAck();
            metaLeader.meta().createConsumer("FIRST", ConsumerSpec.of("C", explicit, StartPosition.all())).join()
                    .value();
            assertThat(held.get()).isPositive();
            assertThat(lagging.meta().stream("NEW")).isEmpty();
            // the stream group leader's duties run while its meta state knows neither
            assertThat(lagging.health().isLeader(group)).isTrue();
            lagging.reconcileLedGroups();
        } finally {
            heal.countDown();
            CodeInjectionForTesting.remove(APPEND_ENTRIES);
        }
        await().atMost(TestCluster.WAIT).until(() -> lagging.meta().stream("NEW").isPresent());

        // both are still there: a publish to the new stream is its first message on every replica, and the
        // consumer's state exists on every replica
        assertThat(lagging.streams().publish("NEW", FaultsTest.one("m")).join().get(0).value().seq()).isEqualTo(1);
        for (RaftNode n : cluster.running()) {
            await().atMost(TestCluster.WAIT).untilAsserted(() -> {
                assertThat(StoreContents.of(cluster.storeOf(n, "NEW")).messages()).containsExactly("1 f m");
                assertThat(cluster.storeOf(n, "FIRST").consumerNames()).containsExactly("C");
            });
        }
    }
}
