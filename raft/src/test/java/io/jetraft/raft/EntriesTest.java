package io.jetraft.raft;

import io.jetraft.raft.stream.StreamGroupStateMachine;
import io.jetraft.storage.Ack;
import io.jetraft.storage.Appended;
import io.jetraft.storage.ConsumerConfig;
import io.jetraft.storage.Delivery;
import io.jetraft.storage.PurgeRequest;
import io.jetraft.storage.StreamLimits;
import io.jetraft.storage.StreamStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Acceptance 2: every kind of entry is a protobuf message applied to storage with the group's applied index, the
 * same on every replica, with leader-stamped times; replaying entries changes nothing.
 */
class EntriesTest {

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
    void everyEntryKindAppliesIdenticallyOnEveryReplicaWithLeaderStampedTimes() {
        cluster = new TestCluster(dir, 3);
        for (int i = 0; i < 3; i++) {
            // each node's clock is hours apart: replicas must store the leader's time, not their own
            cluster.slot(i).clock = Clock.offset(Clock.systemUTC(), Duration.ofHours(i * 3L));
        }
        cluster.start();
        RaftNode n = cluster.node(0);
        StreamLimits limits = StreamLimits.unlimited().withDuplicateWindow(Duration.ofMinutes(1));
        assertThat(n.meta().createStream(StreamSpec.of("S", 3, limits)).join().value().replicas()).isEqualTo(3);
        RaftNode leader = cluster.awaitLeader("S");

        // a publish batch: one entry, one result per message
        List<Result<Appended>> batch = n.streams().publish("S", List.of(
                Publish.of("orders.a", bytes("1")).withMsgId("m1"),
                Publish.of("orders.b", bytes("2")).withExpectedLastSequence(7),
                Publish.of("orders.c", bytes("3")).withMsgId("m1"),
                Publish.of("orders.d", bytes("4")),
                Publish.of("other.e", bytes("5")))).join();
        assertThat(batch.get(0).value()).isEqualTo(new Appended(1, false));
        assertThat(batch.get(1).error().errCode()).isEqualTo(10071);
        assertThat(batch.get(2).value()).isEqualTo(new Appended(1, true));
        assertThat(batch.get(3).value()).isEqualTo(new Appended(2, false));
        assertThat(batch.get(4).value()).isEqualTo(new Appended(3, false));
        for (int i = 0; i < 4; i++) {
            cluster.node(i % 3).streams().publish("S", List.of(Publish.of("orders.x", bytes("x" + i)))).join();
        }

        assertThat(n.streams().deleteMessage("S", 2).join().value()).isTrue();
        assertThat(n.streams().deleteMessage("S", 2).join().error().errCode()).isEqualTo(10043);
        assertThat(n.streams().purge("S", PurgeRequest.subject("other.>")).join().value()).isEqualTo(1);

        ConsumerConfig explicit = ConsumerConfig.explicitAck();
        assertThat(n.meta().createConsumer("S", ConsumerSpec.of("C1", explicit, StartPosition.all())).join().value()
                .name()).isEqualTo("C1");
        assertThat(n.meta().createConsumer("S", ConsumerSpec.of("C2", explicit, StartPosition.newOnly())).join().isOk())
                .isTrue();
        assertThat(n.streams().delivered("S", "C1", 1, 1, 1).join().isOk()).isTrue();
        assertThat(n.streams().delivered("S", "C1", 2, 4, 1).join().isOk()).isTrue();
        assertThat(n.streams().acked("S", "C1", 1, 1).join().value()).isTrue();
        assertThat(n.streams().delivered("S", "nobody", 1, 1, 1).join().error().errCode()).isEqualTo(10014);
        // a burst of deliveries (one pull request's worth) travels as one entry and is applied in order everywhere
        assertThat(n.streams().delivered("S", "C1", List.of(new Delivery(3, 5, 1, 0), new Delivery(4, 6, 1, 0),
                new Delivery(5, 4, 2, 0))).join().isOk()).isTrue();
        assertThat(n.streams().delivered("S", "nobody", List.of(new Delivery(1, 1, 1, 0), new Delivery(2, 2, 1, 0))).join()
                .error().errCode()).isEqualTo(10014);
        assertThatThrownBy(() -> n.streams().delivered("S", "C1", List.of()).join()).hasCauseInstanceOf(
                IllegalArgumentException.class);
        // acknowledgements that queued up behind each other travel as one entry too
        assertThat(n.streams().acked("S", "C1", List.of(new Ack(3, 5), new Ack(9, 9))).join().value()).isTrue();
        assertThat(n.streams().acked("S", "C1", List.of(new Ack(3, 5), new Ack(9, 9))).join().value()).isFalse();
        assertThat(n.streams().acked("S", "nobody", List.of(new Ack(1, 1), new Ack(2, 2))).join().error().errCode())
                .isEqualTo(10014);
        assertThatThrownBy(() -> n.streams().acked("S", "C1", List.of()).join()).hasCauseInstanceOf(
                IllegalArgumentException.class);
        // a consumer update keeps its state
        assertThat(n.meta().createConsumer("S", ConsumerSpec.of("C1",
                new ConsumerConfig(ConsumerConfig.AckPolicy.EXPLICIT, 5, List.of()), StartPosition.all())).join()
                .isOk()).isTrue();
        assertThat(n.meta().deleteConsumer("S", "C2").join().isOk()).isTrue();
        assertThat(n.meta().deleteConsumer("S", "C2").join().error().errCode()).isEqualTo(10014);

        // a stream update: limits go through the stream's log and trim every replica the same way
        assertThat(n.meta().updateStream(StreamSpec.of("S", 3, limits.withMaxMsgs(3))).join().value().limits().maxMsgs())
                .isEqualTo(3);
        assertThat(n.meta().updateStream(StreamSpec.of("S", 1, limits)).join().error().errCode()).isEqualTo(10052);
        assertThat(n.streams().removeExpired("S").join().value()).isZero();

        Instant before = Instant.now();
        List<StoreContents> replicas = new ArrayList<>();
        for (RaftNode r : cluster.replicasOf("S")) {
            StreamStore s = cluster.storeOf(r, "S");
            replicas.add(StoreContents.of(s));
            assertThat(s.limits().maxMsgs()).isEqualTo(3);
        }
        assertThat(replicas).hasSize(3);
        assertThat(replicas.get(1)).isEqualTo(replicas.get(0));
        assertThat(replicas.get(2)).isEqualTo(replicas.get(0));
        assertThat(replicas.get(0).messages()).containsExactly("5 orders.x x1", "6 orders.x x2", "7 orders.x x3");
        assertThat(replicas.get(0).consumers()).hasSize(1);
        assertThat(replicas.get(0).consumers().get(0)).contains("delivered=SequencePair[consumerSeq=5, streamSeq=9]").contains("pending=[4, 6]");
        // times come from the leader's clock (3 h apart per node), whichever node applied them
        long leaderOffsetHours = cluster.indexOf(leader.name()) * 3L;
        for (long ts : replicas.get(0).timestamps()) {
            Instant t = Instant.ofEpochSecond(0, ts).minus(Duration.ofHours(leaderOffsetHours));
            assertThat(t).isBetween(before.minus(Duration.ofMinutes(2)), before.plus(Duration.ofMinutes(1)));
        }

        // the meta state is the same everywhere too
        for (RaftNode r : cluster.running()) {
            await().atMost(TestCluster.WAIT).until(() -> r.meta().stream("S").map(a -> a.consumers().size() == 1
                    && a.limits().maxMsgs() == 3).orElse(false));
        }
        assertThat(n.meta().deleteStream("S").join().isOk()).isTrue();
        for (RaftNode r : cluster.running()) {
            await().atMost(TestCluster.WAIT).until(() -> r.meta().stream("S").isEmpty());
        }
    }

    @Test
    void entriesReplayedAfterARestartAreSkippedByTheStore() {
        cluster = new TestCluster(dir, 3).start();
        RaftNode n = cluster.node(0);
        n.meta().createStream(StreamSpec.of("R", 3, StreamLimits.unlimited())).join().value();
        for (int i = 0; i < 10; i++) {
            n.streams().publish("R", List.of(Publish.of("r", bytes("m" + i)))).join();
        }
        n.meta().createConsumer("R", ConsumerSpec.of("C", ConsumerConfig.explicitAck(), StartPosition.all())).join().value();
        n.streams().delivered("R", "C", 1, 1, 1).join().value();
        n.streams().acked("R", "C", 1, 1).join().value();
        RaftNode leader = cluster.awaitLeader("R");
        int follower = cluster.indexOf(cluster.replicasOf("R").stream().filter(r -> r != leader).findFirst()
                .orElseThrow().name());
        StoreContents before = StoreContents.of(cluster.storeOf(cluster.node(follower), "R"));

        cluster.stop(follower);
        RaftNode back = cluster.restart(follower);
        // no snapshot was taken: Ratis replays the whole log, and the store has every entry already
        await().atMost(TestCluster.WAIT).until(() -> back.streams().hosts("R")
                && ((StreamGroupStateMachine) back.division(cluster.groupOf("R")).getStateMachine()).replayedEntries()
                >= 13);
        assertThat(StoreContents.of(cluster.storeOf(back, "R"))).isEqualTo(before);
        assertThat(before.messages()).hasSize(10);
    }

    @Test
    void entriesOfManyStreamsProposedTogetherShareRaftEntriesAndApplyTheSameOnEveryReplicaAndAfterARestart() {
        cluster = new TestCluster(dir, 3).withGroupsPerSet(1).start();
        RaftNode n = cluster.node(0);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            names.add("G" + i);
            n.meta().createStream(StreamSpec.of("G" + i, 3, StreamLimits.unlimited())).join().value();
        }
        GroupName g = cluster.groupOf("G0");
        RaftNode leader = cluster.awaitLeader(g);
        long before = leader.health().health(g).orElseThrow().commitIndex();
        // 20 streams x 10 publishes, all at once, through the leader
        List<java.util.concurrent.CompletableFuture<List<Result<Appended>>>> acks = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
            for (String s : names) {
                acks.add(leader.streams().publish(s, List.of(Publish.of(s.toLowerCase(), bytes(s + "-" + k)))));
            }
        }
        for (int i = 0; i < acks.size(); i++) {
            assertThat(acks.get(i).join().get(0).value().seq()).as("ack " + i).isEqualTo(i / names.size() + 1);
        }
        long entries = leader.health().health(g).orElseThrow().commitIndex() - before;
        System.out.printf("MEASURED: 200 publishes to 20 streams of one group took %d Raft entries%n", entries);
        assertThat(entries).as("Raft entries for 200 publishes to 20 streams").isLessThan(200);
        for (String s : names) {
            List<StoreContents> replicas = new ArrayList<>();
            for (RaftNode r : cluster.replicasOf(s)) {
                replicas.add(StoreContents.of(cluster.storeOf(r, s)));
            }
            assertThat(replicas.get(0).messages()).hasSize(10);
            assertThat(replicas).allMatch(c -> c.equals(replicas.get(0)));
        }
        // a replica replays the shared entries after a restart: every stream entry in them is skipped
        int follower = cluster.indexOf(cluster.running().stream().filter(r -> r != leader).findFirst().orElseThrow()
                .name());
        StoreContents was = StoreContents.of(cluster.storeOf(cluster.node(follower), "G7"));
        cluster.stop(follower);
        RaftNode back = cluster.restart(follower);
        await().atMost(TestCluster.WAIT).until(() -> back.streams().hosts("G7")
                && ((StreamGroupStateMachine) back.division(g).getStateMachine()).replayedEntries() > 0);
        assertThat(StoreContents.of(cluster.storeOf(back, "G7"))).isEqualTo(was);
    }

    @Test
    void theLeaderProposesExpiryAndEveryReplicaRemovesTheSameMessages() {
        cluster = new TestCluster(dir, 3).start();
        RaftNode n = cluster.node(0);
        n.meta().createStream(StreamSpec.of("AGE", 3, StreamLimits.unlimited().withMaxAge(Duration.ofMillis(300))))
                .join().value();
        for (int i = 0; i < 3; i++) {
            n.streams().publish("AGE", List.of(Publish.of("a", bytes("m" + i)))).join().get(0).value();
        }
        for (RaftNode r : cluster.replicasOf("AGE")) {
            await().atMost(TestCluster.WAIT).until(() -> cluster.storeOf(r, "AGE").state().messages() == 0);
            assertThat(cluster.storeOf(r, "AGE").state().lastSeq()).isEqualTo(3);
        }
    }

    @Test
    void aWriteIsOneLogEntryWithNoCommitIndexEntryAfterIt() {
        cluster = new TestCluster(dir, 3).start();
        RaftNode n = cluster.node(0);
        n.meta().createStream(StreamSpec.of("S", 3, StreamLimits.unlimited())).join().value();
        GroupName g = cluster.groupOf("S");
        RaftNode leader = cluster.awaitLeader(g);
        leader.streams().publish("S", List.of(Publish.of("s", bytes("first")))).join().get(0).value();
        long before = leader.health().health(g).orElseThrow().commitIndex();
        for (int i = 0; i < 10; i++) {
            leader.streams().publish("S", List.of(Publish.of("s", bytes("m" + i)))).join().get(0).value();
        }
        // Ratis's log metadata would add a commit-index entry after each commit (a second fsync and append round per
        // write on every replica): ten writes one at a time would then be about twenty entries
        assertThat(leader.health().health(g).orElseThrow().commitIndex() - before).isEqualTo(10);
    }
}
