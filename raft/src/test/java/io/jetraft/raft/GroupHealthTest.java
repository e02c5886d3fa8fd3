package io.jetraft.raft;

import io.jetraft.raft.health.GroupHealth;
import io.jetraft.raft.health.ReplicaHealth;
import io.jetraft.storage.StreamLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Acceptance 6: per-group health on every node: leader, term, commit and applied index, each replica's match index,
 * lag, last contact and whether it is current (nats semantics: on the leader lag = commit − match, current = lag 0
 * and heard from within 2 s; on a follower only its own row and the leader's are known).
 */
class GroupHealthTest {

    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyNodeReportsTheHealthOfEachOfItsGroups() {
        cluster = new TestCluster(dir, 3).start();
        cluster.node(0).meta().createStream(StreamSpec.of("H", 3, StreamLimits.unlimited())).join().value();
        for (int i = 0; i < 5; i++) {
            cluster.node(0).streams().publish("H", List.of(Publish.of("h", new byte[10]))).join();
        }
        RaftNode leader = cluster.awaitLeader("H");
        GroupName h = cluster.groupOf("H");

        await().atMost(TestCluster.WAIT).untilAsserted(() -> {
            GroupHealth lh = leader.health().health(h).orElseThrow();
            assertThat(lh.role()).isEqualTo(GroupHealth.Role.LEADER);
            assertThat(lh.leader()).contains(leader.name());
            assertThat(lh.term()).isPositive();
            assertThat(lh.commitIndex()).isGreaterThanOrEqualTo(5);
            assertThat(lh.appliedIndex()).isEqualTo(lh.commitIndex());
            assertThat(lh.replicas()).hasSize(3).allMatch(ReplicaHealth::known).allMatch(ReplicaHealth::current);
            for (ReplicaHealth r : lh.replicas()) {
                assertThat(r.lag()).isZero();
                assertThat(r.matchIndex()).hasValue(lh.commitIndex());
                assertThat(r.lastContact()).get().matches(d -> d.compareTo(Duration.ofSeconds(2)) <= 0);
            }
        });
        for (RaftNode f : cluster.running()) {
            if (f == leader) {
                continue;
            }
            await().atMost(TestCluster.WAIT).untilAsserted(() -> {
                GroupHealth fh = f.health().health(h).orElseThrow();
                assertThat(fh.role()).isEqualTo(GroupHealth.Role.FOLLOWER);
                assertThat(fh.leader()).contains(leader.name());
                assertThat(fh.term()).isEqualTo(leader.health().health(h).orElseThrow().term());
                assertThat(fh.current()).isTrue();
                ReplicaHealth leaderRow = fh.replica(leader.name()).orElseThrow();
                assertThat(leaderRow.leader()).isTrue();
                assertThat(leaderRow.current()).isTrue();
                // the other follower: not known from here (as nats shows it)
                assertThat(fh.replicas()).filteredOn(r -> !r.self() && !r.leader())
                        .singleElement().matches(r -> !r.known() && !r.current() && r.lag() == 0);
            });
            // every node reports the meta group and the stream
            assertThat(f.health().all()).extracting(GroupHealth::group).contains(GroupName.META, h);
            assertThat(f.health().health(GroupName.META).orElseThrow().leader()).isPresent();
        }
    }

    @Test
    void aFollowerThatStopsFallsBehindAndIsNoLongerCurrent() {
        cluster = new TestCluster(dir, 3).start();
        cluster.node(0).meta().createStream(StreamSpec.of("H", 3, StreamLimits.unlimited())).join().value();
        GroupName h = cluster.groupOf("H");
        RaftNode leader = cluster.awaitLeader(h);
        RaftNode follower = cluster.replicasOf("H").stream().filter(n -> n != leader).findFirst().orElseThrow();
        String gone = follower.name();
        await().atMost(TestCluster.WAIT).until(() -> leader.health().health(h).orElseThrow().replica(gone).orElseThrow()
                .current());

        cluster.stop(cluster.indexOf(gone));
        for (int i = 0; i < 7; i++) {
            leader.streams().publish("H", List.of(Publish.of("h", new byte[10]))).join();
        }

        await().atMost(TestCluster.WAIT).untilAsserted(() -> {
            GroupHealth lh = leader.health().health(h).orElseThrow();
            ReplicaHealth r = lh.replica(gone).orElseThrow();
            assertThat(r.lag()).isGreaterThanOrEqualTo(7);
            assertThat(r.lag()).isEqualTo(lh.commitIndex() - r.matchIndex().orElseThrow());
            assertThat(r.current()).isFalse();
            assertThat(r.lastContact()).get().matches(d -> d.compareTo(Duration.ofSeconds(2)) > 0);
        });
        // the replica still up stays current
        assertThat(leader.health().health(h).orElseThrow().replicas()).filteredOn(r -> !r.self() && !r.peer().equals(gone))
                .singleElement().matches(ReplicaHealth::current);

        RaftNode back = cluster.restart(cluster.indexOf(gone));
        await().atMost(TestCluster.WAIT).until(() -> leader.health().health(h).orElseThrow().replica(gone).orElseThrow()
                .current() && back.health().health(h).map(GroupHealth::current).orElse(false));
    }
}
