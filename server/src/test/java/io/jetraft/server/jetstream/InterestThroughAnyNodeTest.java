package io.jetraft.server.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.support.ThreeJetStreamNodes;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.Subscription;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interest reaches whichever node a message, a consumer delivery or a {@code $JS.API} request starts from: clients on
 * a node that does not lead the stream see every message of ordered consumers, KV {@code keys}/{@code history}, and
 * the replies to requests on inboxes they have just subscribed, 100 rounds each without a miss.
 */
class InterestThroughAnyNodeTest {

    private static final int ROUNDS = 100;

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

    /** The index of a node that does not lead {@code stream}. */
    private int notLeading(JetStreamManagement jsm, String stream) throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            String l = jsm.getStreamInfo(stream).getClusterInfo().getLeader();
            return l != null && !l.isEmpty();
        });
        String leader = jsm.getStreamInfo(stream).getClusterInfo().getLeader();
        return leader.equals("n1") ? 1 : 0;
    }

    @Test
    void orderedConsumersThroughAnotherNodeSeeEveryMessage() throws Exception {
        JetStreamManagement jsm = connect(0).jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name("ORD").subjects("ord.>").replicas(3)
                .storageType(StorageType.File).build());
        JetStream js0 = connect(0).jetStream();
        for (int i = 0; i < 5; i++) {
            js0.publish("ord." + i, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        Connection c = connect(notLeading(jsm, "ORD"));
        JetStream js = c.jetStream();
        List<String> misses = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            JetStreamSubscription sub = js.subscribe("ord.>", PushSubscribeOptions.builder().ordered(true).build());
            int got = 0;
            for (int i = 0; i < 5; i++) {
                Message m = sub.nextMessage(Duration.ofSeconds(3));
                if (m == null) {
                    break;
                }
                got++;
            }
            sub.unsubscribe();
            if (got != 5) {
                misses.add("round " + round + ": " + got + " of 5");
            }
        }
        assertThat(misses).isEmpty();
    }

    @Test
    void keyValueKeysAndHistoryThroughAnotherNodeNeverComeBackEmpty() throws Exception {
        Connection c0 = connect(0);
        c0.keyValueManagement().create(KeyValueConfiguration.builder().name("B").replicas(3).maxHistoryPerKey(5)
                .storageType(StorageType.File).build());
        KeyValue kv0 = c0.keyValue("B");
        kv0.put("k1", "v1");
        kv0.put("k1", "v2");
        Connection c = connect(notLeading(c0.jetStreamManagement(), "KV_B"));
        KeyValue kv = c.keyValue("B");
        List<String> misses = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            List<String> keys = kv.keys();
            if (!keys.equals(List.of("k1"))) {
                misses.add("round " + round + ": keys " + keys);
            }
            List<KeyValueEntry> history = kv.history("k1");
            if (history.size() != 2) {
                misses.add("round " + round + ": history of " + history.size());
            }
        }
        assertThat(misses).isEmpty();
    }

    @Test
    void pullsThroughAnotherNodeWithExpiresGetEveryMessage() throws Exception {
        JetStreamManagement jsm = connect(0).jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name("PULL").subjects("pull.>").replicas(3)
                .storageType(StorageType.File).build());
        Connection c = connect(notLeading(jsm, "PULL"));
        JetStream js = c.jetStream();
        JetStream js0 = connect(0).jetStream();
        JetStreamSubscription sub = js.subscribe("pull.>", PullSubscribeOptions.builder().durable("d").build());
        List<String> misses = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            js0.publish("pull." + round, new byte[] {1});
            List<Message> got = sub.fetch(1, Duration.ofSeconds(3));
            if (got.size() != 1) {
                misses.add("round " + round + ": " + got.size());
            }
            got.forEach(Message::ack);
        }
        assertThat(misses).isEmpty();
    }

    @Test
    void repliesReachInboxesJustSubscribedOnAnotherNode() throws Exception {
        Connection service = connect(2);
        service.createDispatcher(m -> service.publish(m.getReplyTo(), m.getData())).subscribe("svc");
        service.flush(Duration.ofSeconds(2));
        Connection c = connect(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            try {
                return c.request("svc", new byte[] {1}, Duration.ofMillis(500)) != null;
            } catch (Exception e) {
                return false;
            }
        });
        List<String> misses = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            String inbox = c.createInbox();
            Subscription sub = c.subscribe(inbox);
            c.publish("svc", inbox, new byte[] {(byte) round});
            Message m = sub.nextMessage(Duration.ofSeconds(2));
            if (m == null) {
                misses.add("round " + round);
            }
            sub.unsubscribe();
        }
        assertThat(misses).isEmpty();
    }
}
