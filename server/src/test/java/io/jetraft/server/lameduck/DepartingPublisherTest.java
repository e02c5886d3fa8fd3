package io.jetraft.server.lameduck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.support.ThreeJetStreamNodes;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A publisher on the node that leaves in lame-duck mode, publishing synchronously the whole time (so that nearly
 * always one of its publishes is in flight), to an R3 stream that node leads: it never hears an error. The node
 * hands its leadership off, lets what it forwarded to the new leader finish before closing Raft (else: 10008), and
 * closes the connection so that the answer to a publish in flight, or read after the node ended its side, still
 * reaches the client once it has reconnected to another node (else: the publish times out).
 */
class DepartingPublisherTest {

    @TempDir
    Path dir;

    private ThreeJetStreamNodes nodes;
    private final AtomicBoolean publishing = new AtomicBoolean(true);

    @AfterEach
    void stop() throws InterruptedException {
        publishing.set(false);
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void aSynchronousPublisherOnTheLeavingNodeHearsNoError() throws Exception {
        nodes = ThreeJetStreamNodes.start(dir, Duration.ofSeconds(2), Duration.ofMillis(300));
        Connection admin = nodes.connect(1);
        JetStreamManagement jsm = admin.jetStreamManagement();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> jsm.addStream(StreamConfiguration
                .builder().name("LEAVE").subjects("leave.>").replicas(3).build()) != null);
        // the leaving node leads the stream, so its hand-off is in the path of the publishes
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            String leader = jsm.getStreamInfo("LEAVE").getClusterInfo().getLeader();
            if (!"n1".equals(leader)) {
                admin.request("$JS.API.STREAM.LEADER.STEPDOWN.LEAVE", new byte[0], Duration.ofSeconds(5));
                return false;
            }
            return true;
        });

        Connection c = nodes.connectWithFailover(0, new Options.Builder().reconnectWait(Duration.ofMillis(50)));
        JetStream js = c.jetStream();
        Set<String> acked = ConcurrentHashMap.newKeySet();
        List<String> errors = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicLong longestGap = new java.util.concurrent.atomic.AtomicLong();
        Thread publisher = new Thread(() -> {
            long k = 0;
            long last = System.nanoTime();
            while (publishing.get()) {
                String id = "m" + k;
                try {
                    js.publish("leave.x", id.getBytes(StandardCharsets.UTF_8),
                            PublishOptions.builder().messageId(id).build());
                    acked.add(id);
                    k++;
                    long now = System.nanoTime();
                    longestGap.accumulateAndGet(now - last, Math::max);
                    last = now;
                } catch (Exception e) {
                    // retried with the same id: nothing is stored twice
                    errors.add(id + " via " + c.getConnectedUrl() + ": " + e);
                }
            }
        }, "publisher");
        publisher.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() > 100);

        assertThat(nodes.node(0).enterLameDuckMode()).isTrue();
        assertThat(nodes.node(0).awaitExit(Duration.ofSeconds(30))).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> c.getConnectedUrl() != null
                && !c.getConnectedUrl().equals(nodes.url(0)));
        int after = acked.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() > after + 100);
        publishing.set(false);
        publisher.join(10_000);

        System.out.printf("DEPARTURE %d publishes acknowledged, longest gap between two %d ms, errors %s%n",
                acked.size(), longestGap.get() / 1_000_000, errors);
        assertThat(errors).as("publish attempts that failed while n1 left").isEmpty();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                jsm.getStreamInfo("LEAVE").getStreamState().getMsgCount() == acked.size());
    }
}
