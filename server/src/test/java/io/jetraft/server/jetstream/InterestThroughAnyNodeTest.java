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
import io.nats.client.PullRequestOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.NatsKeyValueWatchSubscription;
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
 * a node that does not lead the stream see every message of ordered consumers, KV {@code keys}/{@code history} and
 * {@code watch}/{@code watchAll}, push consumers with flow control and heartbeats, pulls with expires (and idle
 * heartbeats), and the replies to requests on inboxes they have just subscribed, 100 rounds each without a miss
 * (through either follower, by turns, where the test says so).
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
        return followers(jsm, stream).get(0);
    }

    /** The indexes of the two nodes that do not lead {@code stream}. */
    private List<Integer> followers(JetStreamManagement jsm, String stream) {
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            String l = jsm.getStreamInfo(stream).getClusterInfo().getLeader();
            return l != null && !l.isEmpty();
        });
        String leader;
        try {
            leader = jsm.getStreamInfo(stream).getClusterInfo().getLeader();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            if (!leader.equals("n" + (i + 1))) {
                out.add(i);
            }
        }
        return out;
    }

    /** One connection to each node that does not lead {@code stream}; round r goes through the (r % 2)th. */
    private List<Connection> throughFollowers(JetStreamManagement jsm, String stream) throws Exception {
        List<Connection> out = new ArrayList<>();
        for (int i : followers(jsm, stream)) {
            out.add(connect(i));
        }
        return out;
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

    /**
     * jnats's {@code KeyValue.keys()} asks a new last-per-subject consumer's info and reads as many messages as it says
     * are pending: counted as every message (from a follower's create, answered before the leader ran the consumer),
     * each keys() through a follower waited 2 s for messages that never came. Asked right after the create through
     * every node, and shown in every node's /jsz (a follower counts from its own replica), it is one per subject.
     */
    @Test
    void aNewLastPerSubjectConsumerCountsOneMessagePerSubjectPendingOnEveryNode() throws Exception {
        Connection c0 = connect(0);
        c0.keyValueManagement().create(KeyValueConfiguration.builder().name("P").replicas(3).maxHistoryPerKey(5)
                .storageType(StorageType.File).build());
        KeyValue kv0 = c0.keyValue("P");
        kv0.put("k1", "v1");
        kv0.put("k1", "v2");
        kv0.put("k2", "v1");
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < 3; i++) {
                JetStreamManagement jsm = connect(i).jetStreamManagement();
                io.nats.client.api.ConsumerInfo ci = jsm.addOrUpdateConsumer("KV_P", ConsumerConfiguration.builder()
                        .durable("d" + round + "n" + i).ackPolicy(AckPolicy.None)
                        .deliverPolicy(DeliverPolicy.LastPerSubject).headersOnly(true).build());
                io.nats.client.api.ConsumerInfo info = jsm.getConsumerInfo("KV_P", ci.getName());
                if (ci.getNumPending() != 2 || info.getNumPending() != 2) {
                    wrong.add("round " + round + " through n" + (i + 1) + ": created with " + ci.getNumPending()
                            + " pending, then " + info.getNumPending());
                }
            }
        }
        for (int i = 0; i < 3; i++) {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                            + cluster.node(i).httpPort() + "/jsz?consumers=true")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            com.fasterxml.jackson.databind.JsonNode stream = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(r.body()).path("account_details").path(0).path("stream_detail").path(0);
            for (com.fasterxml.jackson.databind.JsonNode c : stream.path("consumer_detail")) {
                if (c.path("num_pending").asLong() != 2) {
                    wrong.add("/jsz of n" + (i + 1) + ": " + c.path("name").asText() + " with "
                            + c.path("num_pending").asLong() + " pending");
                }
            }
        }
        assertThat(wrong).isEmpty();
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
    void keyValueWatchAndWatchAllThroughEitherFollowerSeeTheCurrentValues() throws Exception {
        Connection c0 = connect(0);
        c0.keyValueManagement().create(KeyValueConfiguration.builder().name("W").replicas(3).maxHistoryPerKey(5)
                .storageType(StorageType.File).build());
        KeyValue kv0 = c0.keyValue("W");
        kv0.put("w0", "v0");
        List<KeyValue> kvs = new ArrayList<>();
        for (Connection c : throughFollowers(c0.jetStreamManagement(), "KV_W")) {
            kvs.add(c.keyValue("W"));
        }
        List<String> misses = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            KeyValue kv = kvs.get(round % 2);
            kv0.put("w" + round, "v" + round);
            Watched one = new Watched();
            NatsKeyValueWatchSubscription w1 = kv.watch("w" + round, one);
            if (!one.await() || !one.values.equals(List.of("v" + round))) {
                misses.add("round " + round + ": watch saw " + one.values + (one.ended ? "" : " (no end of data)"));
            }
            w1.unsubscribe();
            Watched all = new Watched();
            NatsKeyValueWatchSubscription w2 = kv.watchAll(all);
            if (!all.await() || all.values.size() != Math.max(1, round + 1)) {
                misses.add("round " + round + ": watchAll saw " + all.values.size() + " value(s)"
                        + (all.ended ? "" : " (no end of data)"));
            }
            w2.unsubscribe();
        }
        assertThat(misses).isEmpty();
    }

    /** A KV watcher that keeps the values it saw until the end of the initial data. */
    private static final class Watched implements KeyValueWatcher {
        final List<String> values = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
        volatile boolean ended;

        @Override
        public void watch(KeyValueEntry entry) {
            values.add(entry.getValueAsString());
        }

        @Override
        public void endOfData() {
            ended = true;
            end.countDown();
        }

        boolean await() throws InterruptedException {
            return end.await(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void pushConsumersWithFlowControlAndHeartbeatsThroughEitherFollowerGetTheirMessage() throws Exception {
        JetStreamManagement jsm = connect(0).jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name("PUSH").subjects("push.>").replicas(3)
                .storageType(StorageType.File).build());
        JetStream js0 = connect(0).jetStream();
        List<Connection> cs = throughFollowers(jsm, "PUSH");
        List<String> misses = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            JetStream js = cs.get(round % 2).jetStream();
            JetStreamSubscription sub = js.subscribe("push." + round, PushSubscribeOptions.builder()
                    .configuration(ConsumerConfiguration.builder().flowControl(Duration.ofSeconds(1)).build())
                    .build());
            js0.publish("push." + round, ("m" + round).getBytes(StandardCharsets.UTF_8));
            Message m = sub.nextMessage(Duration.ofSeconds(3));
            if (m == null || !new String(m.getData(), StandardCharsets.UTF_8).equals("m" + round)) {
                misses.add("round " + round + ": " + (m == null ? "nothing" : m.getSubject()));
            } else {
                m.ack();
            }
            sub.unsubscribe();
        }
        assertThat(misses).isEmpty();
    }

    @Test
    void pullsWithExpiresAndHeartbeatsThroughEitherFollowerGetEveryMessage() throws Exception {
        JetStreamManagement jsm = connect(0).jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name("PHB").subjects("phb.>").replicas(3)
                .storageType(StorageType.File).build());
        JetStream js0 = connect(0).jetStream();
        List<JetStreamSubscription> subs = new ArrayList<>();
        for (Connection c : throughFollowers(jsm, "PHB")) {
            subs.add(c.jetStream().subscribe("phb.>", PullSubscribeOptions.builder().durable("hb").build()));
        }
        List<String> misses = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            JetStreamSubscription sub = subs.get(round % 2);
            sub.pull(PullRequestOptions.builder(1).expiresIn(Duration.ofSeconds(3))
                    .idleHeartbeat(Duration.ofMillis(500)).build());
            js0.publish("phb." + round, new byte[] {(byte) round});
            Message m = sub.nextMessage(Duration.ofSeconds(3));
            while (m != null && m.isStatusMessage()) {
                // an idle heartbeat (100) before the message
                m = sub.nextMessage(Duration.ofSeconds(3));
            }
            if (m == null) {
                misses.add("round " + round);
            } else {
                m.ack();
            }
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

    @Test
    void anApiRequestIsAnsweredOnceWhenAClientOfAnotherNodeListensToTheApi() throws Exception {
        // a client of node 0 watches the API, as `nats sub '$JS.API.>'` does: node 1 routes its requests there too,
        // where they must reach that client only, not node 0's own API answerer as well
        Connection watcher = connect(0);
        List<String> watched = new java.util.concurrent.CopyOnWriteArrayList<>();
        watcher.createDispatcher(m -> watched.add(m.getSubject())).subscribe("$JS.API.>");
        watcher.flush(Duration.ofSeconds(2));
        Connection c = connect(1);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> c.jetStreamManagement()
                .getAccountStatistics() != null && watched.contains("$JS.API.INFO"));
        for (int round = 0; round < 5; round++) {
            String inbox = c.createInbox();
            Subscription sub = c.subscribe(inbox);
            c.flush(Duration.ofSeconds(2));
            c.publish("$JS.API.STREAM.NAMES", inbox, "{}".getBytes(StandardCharsets.UTF_8));
            List<Message> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
            Message first = sub.nextMessage(Duration.ofSeconds(5));
            assertThat(first).as("round %d: an answer", round).isNotNull();
            answers.add(first);
            Message second = sub.nextMessage(Duration.ofMillis(500));
            if (second != null) {
                answers.add(second);
            }
            assertThat(answers).as("round %d: answers", round).hasSize(1);
            sub.unsubscribe();
        }
    }
}
