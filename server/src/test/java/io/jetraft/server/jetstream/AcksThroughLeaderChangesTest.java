package io.jetraft.server.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.support.ThreeJetStreamNodes;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acks and pulls a consumer sends while its stream's leadership moves reach the new leader. An ack that meets the
 * moment no node takes {@code $JS.ACK...} is held on the consumer's node until the new leader's interest arrives, as
 * a publish to a stream subject is; before, it was lost, and its message came back after ack_wait. A pull that no
 * leader took waits for one on the node it reached; before, it was lost, and its client waited its whole expiry.
 */
class AcksThroughLeaderChangesTest {

    private static final int MESSAGES = 3000;
    private static final int STEP_DOWNS = 6;

    @TempDir
    Path dir;

    private ThreeJetStreamNodes cluster;

    @AfterEach
    void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void acksSentWhileTheLeadershipMovesAreNotLost() throws Exception {
        cluster = ThreeJetStreamNodes.start(dir);
        Connection admin = cluster.connect(0);
        JetStreamManagement jsm = admin.jetStreamManagement();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> jsm.addStream(StreamConfiguration
                .builder().name("ACKS").subjects("acks.>").replicas(3).build()) != null);
        // ack_wait far beyond the test: nothing is redelivered, an ack lost stays pending
        jsm.addOrUpdateConsumer("ACKS", ConsumerConfiguration.builder().durable("c").ackPolicy(AckPolicy.Explicit)
                .ackWait(Duration.ofMinutes(5)).maxAckPending(100_000).build());
        JetStream js = admin.jetStream();
        List<java.util.concurrent.CompletableFuture<?>> acks = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            acks.add(js.publishAsync("acks.x", ("m" + i).getBytes()));
        }
        java.util.concurrent.CompletableFuture.allOf(acks.toArray(java.util.concurrent.CompletableFuture[]::new))
                .get(60, java.util.concurrent.TimeUnit.SECONDS);

        Connection consumer = cluster.connect(1);
        JetStreamSubscription sub = consumer.jetStream().subscribe(null, PullSubscribeOptions.bind("ACKS", "c"));
        List<Message> received = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            received.addAll(sub.fetch(500, Duration.ofSeconds(2)));
            return received.size() >= MESSAGES;
        });

        // the leadership moves again and again; during each move, messages are acked one by one, paced by a
        // flush (a round trip to the node) every few acks, so that some meet the moment without a leader
        List<String> stepDowns = new ArrayList<>();
        int next = 0;
        for (int s = 0; s < STEP_DOWNS && next < received.size(); s++) {
            java.util.concurrent.CompletableFuture<Message> moved = admin.requestWithTimeout(
                    "$JS.API.STREAM.LEADER.STEPDOWN.ACKS", new byte[0], Duration.ofSeconds(5));
            while (!moved.isDone() && next < received.size()) {
                received.get(next++).ack();
                if (next % 5 == 0) {
                    consumer.flush(Duration.ofSeconds(5));
                }
            }
            try {
                stepDowns.add(new String(moved.get(10, java.util.concurrent.TimeUnit.SECONDS).getData()));
            } catch (Exception e) {
                stepDowns.add(e.toString());
            }
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                String leader = jsm.getStreamInfo("ACKS").getClusterInfo().getLeader();
                return leader != null && !leader.isEmpty();
            });
        }
        int acked = next;
        for (; next < received.size(); next++) {
            received.get(next).ack();
        }

        assertThat(stepDowns.stream().filter(s -> s.contains("\"success\":true")).count())
                .as("step-downs that moved the leadership: %s", stepDowns).isGreaterThan(0);
        assertThat(acked).as("acks sent while the leadership moved").isGreaterThan(STEP_DOWNS * 10);
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
            ConsumerInfo ci = jsm.getConsumerInfo("ACKS", "c");
            assertThat(ci.getNumAckPending()).as("acks lost (ack floor %d)", ci.getAckFloor().getStreamSequence())
                    .isZero();
        });
    }

    @Test
    void aPullSentAgainRightAfterTheLeadershipMovedReachesTheNewLeader() throws Exception {
        cluster = ThreeJetStreamNodes.start(dir);
        Connection admin = cluster.connect(0);
        JetStreamManagement jsm = admin.jetStreamManagement();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> jsm.addStream(StreamConfiguration
                .builder().name("PULLS").subjects("pulls.>").replicas(3).build()) != null);
        jsm.addOrUpdateConsumer("PULLS", ConsumerConfiguration.builder().durable("p").ackPolicy(AckPolicy.Explicit)
                .build());
        JetStream js = admin.jetStream();
        Connection consumer = cluster.connect(1);
        JetStreamSubscription sub = consumer.jetStream().subscribe(null, PullSubscribeOptions.bind("PULLS", "p"));
        List<String> slow = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            // a pull waits at the leader; the leadership moves; the old leader ends it ("409 Leadership Change")
            java.util.concurrent.CompletableFuture<List<Message>> waiting = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> sub.fetch(1, Duration.ofSeconds(8)));
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
                    jsm.getConsumerInfo("PULLS", "p").getNumWaiting() == 1);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(new String(admin.request(
                    "$JS.API.STREAM.LEADER.STEPDOWN.PULLS", new byte[0], Duration.ofSeconds(5)).getData()))
                    .contains("\"success\":true"));
            List<Message> first = waiting.get(10, java.util.concurrent.TimeUnit.SECONDS);
            // jnats pulls again at once, as a fetch loop does; meanwhile a message arrives
            js.publishAsync("pulls.x", ("r" + round).getBytes());
            List<Message> got = new ArrayList<>(first);
            if (got.isEmpty()) {
                got.addAll(sub.fetch(1, Duration.ofSeconds(8)));
            }
            if (got.isEmpty()) {
                // the pull sent right after the move was lost: it waited its whole expiry
                slow.add("round " + round);
                await().atMost(Duration.ofSeconds(10)).until(() -> got.addAll(sub.fetch(1, Duration.ofSeconds(1))));
            }
            got.forEach(Message::ack);
        }
        assertThat(slow).as("pulls lost while the leadership moved").isEmpty();
    }

    @Test
    void streamInfoRightAfterTheLeadershipMovedIsAnsweredThroughEveryNode() throws Exception {
        cluster = ThreeJetStreamNodes.start(dir);
        Connection admin = cluster.connect(0);
        JetStreamManagement jsm = admin.jetStreamManagement();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> jsm.addStream(StreamConfiguration
                .builder().name("INFO").subjects("info.>").replicas(3).build()) != null);
        List<Connection> clients = List.of(admin, cluster.connect(1), cluster.connect(2));
        List<String> unanswered = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(new String(admin.request(
                    "$JS.API.STREAM.LEADER.STEPDOWN.INFO", new byte[0], Duration.ofSeconds(5)).getData()))
                    .contains("\"success\":true"));
            // at once, through every node: a node that does not lead it asks the new leader, whose subscription
            // may not be there yet, or not yet known on that node
            for (int i = 0; i < clients.size(); i++) {
                Message answer = clients.get(i).request("$JS.API.STREAM.INFO.INFO", new byte[0],
                        Duration.ofSeconds(4));
                String body = answer == null ? "no answer" : new String(answer.getData());
                if (!body.contains("\"config\"")) {
                    unanswered.add("round " + round + " through node " + i + ": " + body);
                }
            }
        }
        assertThat(unanswered).as("stream info right after a step-down").isEmpty();
    }
}
