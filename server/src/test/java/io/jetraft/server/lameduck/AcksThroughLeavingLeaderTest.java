package io.jetraft.server.lameduck;

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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull consumer acks every message it gets while the stream's leader leaves in lame-duck mode, from another node
 * or from the leaving node itself: none of its acks is lost (ack_wait is far beyond the test, so a lost ack stays
 * pending). In the rolling drill, batches of ten came back 30 s after the leader of their stream left: the new
 * leader had not heard yet of the old one's last deliveries, dropped their acks and handed them out again (the
 * engine test shows that every time). With the consumer on the leaving node itself, 7-9 acks were still lost in
 * half the runs: the old leader's engine had taken them, and their entries, queued behind the writes held for the
 * hand-off, were failed when the node's Raft server closed (its proposing threads stopped) instead of going to the
 * new leader.
 */
class AcksThroughLeavingLeaderTest {

    @TempDir
    Path dir;

    private ThreeJetStreamNodes nodes;
    private final AtomicBoolean running = new AtomicBoolean(true);

    @AfterEach
    void stop() throws InterruptedException {
        running.set(false);
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void acksOfAConsumerElsewhereReachTheNewLeader() throws Exception {
        run(false);
    }

    @Test
    void acksOfAConsumerOnTheLeavingNodeReachTheNewLeader() throws Exception {
        run(true);
    }

    private void run(boolean consumerOnTheLeavingNode) throws Exception {
        nodes = ThreeJetStreamNodes.start(dir, Duration.ofSeconds(2), Duration.ofMillis(300));
        Connection admin = nodes.connect(1);
        JetStreamManagement jsm = admin.jetStreamManagement();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> jsm.addStream(StreamConfiguration
                .builder().name("LEAVE").subjects("leave.>").replicas(3).build()) != null);
        jsm.addOrUpdateConsumer("LEAVE", ConsumerConfiguration.builder().durable("c").ackPolicy(AckPolicy.Explicit)
                .ackWait(Duration.ofMinutes(5)).maxAckPending(100_000).build());
        // the leaving node leads the stream
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            if (!"n1".equals(jsm.getStreamInfo("LEAVE").getClusterInfo().getLeader())) {
                admin.request("$JS.API.STREAM.LEADER.STEPDOWN.LEAVE", new byte[0], Duration.ofSeconds(5));
                return false;
            }
            return true;
        });

        Connection pub = nodes.connect(2);
        JetStream js = pub.jetStream();
        AtomicLong published = new AtomicLong();
        Thread publisher = new Thread(() -> {
            while (running.get()) {
                try {
                    js.publish("leave.x", ("m" + published.get()).getBytes(StandardCharsets.UTF_8));
                    published.incrementAndGet();
                } catch (Exception e) {
                    // retried: the test counts what was acknowledged
                }
            }
        }, "publisher");
        Connection con = consumerOnTheLeavingNode ? nodes.connectWithFailover(0, new io.nats.client.Options.Builder()
                .reconnectWait(Duration.ofMillis(50))) : nodes.connect(1);
        Set<String> received = ConcurrentHashMap.newKeySet();
        Thread consumer = new Thread(() -> {
            JetStreamSubscription sub = null;
            while (running.get()) {
                try {
                    if (sub == null) {
                        sub = con.jetStream().subscribe(null, PullSubscribeOptions.bind("LEAVE", "c"));
                    }
                    for (Message m : sub.fetch(10, Duration.ofMillis(200))) {
                        received.add(new String(m.getData(), StandardCharsets.UTF_8));
                        m.ack();
                    }
                } catch (Exception e) {
                    sub = null;
                }
            }
        }, "consumer");
        publisher.start();
        consumer.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> received.size() > 300);

        assertThat(nodes.node(0).enterLameDuckMode()).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.node(0).awaitStopped(Duration.ofMillis(100)));
        long at = received.size();
        await().atMost(Duration.ofSeconds(20)).until(() -> received.size() > at + 300);
        running.set(false);
        publisher.join(10_000);

        long total = published.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> received.size() >= total);
        consumer.join(10_000);
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
            ConsumerInfo ci = jsm.getConsumerInfo("LEAVE", "c");
            assertThat(ci.getNumAckPending()).as("acks lost (%s)", ci).isZero();
            assertThat(ci.getAckFloor().getStreamSequence())
                    .isEqualTo(jsm.getStreamInfo("LEAVE").getStreamState().getLastSequence());
        });
    }
}
