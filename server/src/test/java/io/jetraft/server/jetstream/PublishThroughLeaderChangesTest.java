package io.jetraft.server.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.support.ThreeJetStreamNodes;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishes in flight while their stream's leadership moves are answered by the new leader, not failed: publishers
 * on every node go on through 50 step-downs of an R3 stream without one error and without a duplicate. Before the
 * work, publishes that met the moment without a leader were answered 503 "no responders" (no one had interest in
 * the subject yet) or 10008 (taken by the old leader but not yet proposed).
 */
class PublishThroughLeaderChangesTest {

    private static final int STEP_DOWNS = 50;
    private static final int WINDOW = 32;

    @TempDir
    Path dir;

    private ThreeJetStreamNodes cluster;

    @BeforeEach
    void start() {
        cluster = ThreeJetStreamNodes.start(dir);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    private Connection connect(int i) throws Exception {
        return cluster.connect(i);
    }

    @Test
    void publishersOnEveryNodeSeeNoErrorThroughFiftyStepDowns() throws Exception {
        publishThroughStepDowns(true);
    }

    /**
     * As a KV put does: no message id, so the stream cannot tell a publish it stored twice. A publish that a node
     * routed to the old leader just after it stopped, and perhaps to the new one too, is stored exactly once.
     */
    @Test
    void publishesWithoutMessageIdsAreStoredExactlyOnceThroughFiftyStepDowns() throws Exception {
        publishThroughStepDowns(false);
    }

    private void publishThroughStepDowns(boolean messageIds) throws Exception {
        JetStreamManagement jsm = connect(0).jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name("MOVING").subjects("moving.>").replicas(3).build());
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        Map<String, Long> acked = new ConcurrentHashMap<>();
        List<Thread> publishers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JetStream js = connect(i).jetStream();
            int node = i;
            Thread t = new Thread(() -> {
                // many publishes in flight, so that some always meet the moment the leadership moves
                java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(WINDOW);
                for (long k = 0; running.get(); k++) {
                    String id = "n" + node + "-" + k;
                    try {
                        window.acquire();
                        PublishOptions options = messageIds ? PublishOptions.builder().messageId(id).build()
                                : PublishOptions.builder().build();
                        js.publishAsync("moving.n" + node, id.getBytes(), options).whenComplete((ack, err) -> {
                                    window.release();
                                    if (err != null) {
                                        errors.add(id + ": " + err);
                                    } else if (ack.isDuplicate()) {
                                        errors.add(id + ": acknowledged as a duplicate");
                                    } else {
                                        acked.put(id, ack.getSeqno());
                                    }
                                });
                    } catch (Exception e) {
                        errors.add(id + ": " + e);
                        window.release();
                    }
                }
                window.acquireUninterruptibly(WINDOW);
            }, "publisher-n" + (i + 1));
            t.start();
            publishers.add(t);
        }
        Connection admin = connect(0);
        try {
            for (int s = 0; s < STEP_DOWNS; s++) {
                long ackedBefore = acked.size();
                // a transfer under load may not finish within its bound (10041): the step-down is asked again
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(new String(admin.request(
                        "$JS.API.STREAM.LEADER.STEPDOWN.MOVING", new byte[0], Duration.ofSeconds(5)).getData()))
                        .contains("\"success\":true"));
                // the step-down answered success once another peer led; an earlier attempt that Ratis completed
                // late may move it once more, even back, so what is awaited is a known leader
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    String now = jsm.getStreamInfo("MOVING").getClusterInfo().getLeader();
                    return now != null && !now.isEmpty();
                });
                // publishes went on under the new leader before the next step-down
                await().atMost(Duration.ofSeconds(10)).until(() -> acked.size() > ackedBefore + 30);
            }
        } finally {
            running.set(false);
            for (Thread t : publishers) {
                t.join(10_000);
            }
        }
        long stored = jsm.getStreamInfo("MOVING").getStreamState().getMsgCount();
        assertThat(List.copyOf(errors)).as("%d stored, %d acknowledged", stored, acked.size()).isEmpty();
        assertThat(acked.size()).isGreaterThan(STEP_DOWNS * 30);
        assertThat(new java.util.HashSet<>(acked.values())).as("one sequence per message").hasSize(acked.size());
        // every stored message is one that was acknowledged, once
        Map<String, Integer> copies = new java.util.HashMap<>();
        io.nats.client.JetStreamSubscription reader = connect(0).jetStream().subscribe("moving.>",
                io.nats.client.PullSubscribeOptions.builder().build());
        for (long read = 0; read < stored; ) {
            List<io.nats.client.Message> batch = reader.fetch(500, Duration.ofSeconds(5));
            assertThat(batch).as("stream read at %d of %d", read, stored).isNotEmpty();
            for (io.nats.client.Message m : batch) {
                copies.merge(new String(m.getData()), 1, Integer::sum);
                m.ack();
                read++;
            }
        }
        assertThat(copies.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList())
                .as("publishes stored more than once").isEmpty();
        for (int i = 0; i < 3; i++) {
            JetStreamManagement through = connect(i).jetStreamManagement();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(through.getStreamInfo("MOVING")
                    .getStreamState().getMsgCount()).isEqualTo(acked.size()));
        }
    }
}
