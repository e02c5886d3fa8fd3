package io.jetraft.raft;

import io.jetraft.storage.StreamLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Writes a node sends to another node's replica, the group's leader or a peer that turns out not to be it. */
class ForwardedWritesTest {

    @TempDir
    Path dir;

    private TestCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * A peer that answered "not the leader" is asked again on a fresh stream. Ratis ends its client stream to a peer
     * on the first NotLeader (or LeaderNotReady) reply: every call on it fails, and the next call at that peer "is
     * closed" before it is sent. In the rolling drill a node forwarding a publish met this at each hand-back to a
     * peer it had heard "not the leader" from, and at every other attempt while a new leader got ready: one wasted
     * attempt and retry delay each time. Here a node outside the group asks the group's first peer, a follower,
     * first for each write.
     */
    @Test
    void aPeerThatAnsweredNotTheLeaderIsAskedAgainOnAFreshStream() {
        cluster = new TestCluster(dir, 4).start();
        cluster.node(0).meta().createStream(StreamSpec.of("S", 3, StreamLimits.unlimited())).join().value();
        GroupName g = cluster.groupOf("S");
        RaftNode outsider = cluster.running().stream().filter(n -> !n.health().hosts(g)).findFirst().orElseThrow();
        await().atMost(TestCluster.WAIT).until(() -> outsider.locator().locate("S").isPresent());
        List<String> askedInTurn = outsider.locator().locate("S").orElseThrow().raftGroup().getPeers().stream()
                .map(p -> p.getId().toString()).toList();
        RaftNode leader = cluster.awaitLeader(g);
        if (leader.name().equals(askedInTurn.get(0))) {
            assertThat(leader.leadership().stepDown(g, Optional.of(askedInTurn.get(1))).join()).isTrue();
            await().atMost(TestCluster.WAIT).until(() -> !cluster.awaitLeader(g).name().equals(askedInTurn.get(0)));
        }

        for (int i = 1; i <= 5; i++) {
            assertThat(outsider.streams().publish("S", FaultsTest.one("m" + i)).join().get(0).value().seq())
                    .isEqualTo(i);
        }
        assertThat(outsider.closedStreamAttempts()).as("attempts that met a stream Ratis had closed").isZero();
    }
}
