package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.cluster.harness.ClusterLogsOnFailure;
import io.jetraft.cluster.harness.JetraftCli;
import io.jetraft.cluster.harness.LocalCluster;
import io.jetraft.cluster.harness.NodeProcess;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.StoreOptions;
import io.jetraft.storage.StreamStore;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rolling-upgrade drill: three nodes, three R3 streams with a pull consumer each, jnats publishers (with message
 * ids) and consumers running the whole time; each node in turn is put in lame-duck mode with
 * {@code jetraft --signal ldm}, exits, restarts, and {@code jetraft check jetstream --wait} passes before the next.
 * Afterwards every acknowledged message is in its stream exactly once on every replica (the replicas' RocksDB
 * files compared, stream by stream) and the consumers received every one.
 *
 * <p>Not in the default run yet (tag "drill"; run it with {@code mvn verify -pl cluster-tests -Ddrills}): it passes
 * most runs here, but now and then a pull consumer stops receiving after a restart (its pulls reach no engine:
 * "waiting 0") or one publisher waits 25-30 s. Both are open findings, not accepted behaviour.
 */
@ExtendWith(ClusterLogsOnFailure.class)
@org.junit.jupiter.api.Tag("drill")
class RollingRestartDrillTest {

    private static final int STREAMS = 3;

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private final List<Connection> connections = new ArrayList<>();
    private final AtomicBoolean publishing = new AtomicBoolean(true);
    private final AtomicBoolean consuming = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        publishing.set(false);
        consuming.set(false);
        for (Thread t : threads) {
            t.join(10_000);
        }
        for (Connection c : connections) {
            c.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private Connection connect(NodeProcess first) throws Exception {
        List<String> urls = new ArrayList<>(List.of(first.clientUrl()));
        cluster.nodes().stream().filter(n -> n != first).forEach(n -> urls.add(n.clientUrl()));
        Connection c = Nats.connect(new Options.Builder().servers(urls.toArray(String[]::new)).noRandomize()
                .maxReconnects(-1).reconnectWait(Duration.ofMillis(100)).connectionTimeout(Duration.ofSeconds(5))
                .build());
        connections.add(c);
        return c;
    }

    private String monitors() {
        return cluster.nodes().stream().map(n -> "http://127.0.0.1:" + n.httpPort()).collect(Collectors.joining(","));
    }

    /** One publisher per stream: ids p<stream>-<k>, each retried until acknowledged; the longest wait per node. */
    private final class Publisher implements Runnable {
        final int stream;
        final JetStream js;
        final Set<String> acked = ConcurrentHashMap.newKeySet();
        final AtomicLong lastAck = new AtomicLong(System.nanoTime());
        final AtomicLong failures = new AtomicLong();
        final Map<String, Long> errors = new ConcurrentHashMap<>();

        Publisher(int stream, JetStream js) {
            this.stream = stream;
            this.js = js;
        }

        @Override
        public void run() {
            long k = 0;
            while (publishing.get()) {
                String id = "p" + stream + "-" + k;
                try {
                    js.publish("d" + stream + ".x", id.getBytes(StandardCharsets.UTF_8),
                            PublishOptions.builder().messageId(id).build());
                    acked.add(id);
                    long now = System.nanoTime();
                    pause.accumulateAndGet(now - lastAck.getAndSet(now), Math::max);
                    k++;
                } catch (Exception e) {
                    failures.incrementAndGet();
                    errors.merge(String.valueOf(e.getMessage()).replaceAll("[0-9]+", "N"), 1L, Long::sum);
                }
            }
        }
    }

    /** The longest gap between two acknowledgements of any publisher since the last reset. */
    private final AtomicLong pause = new AtomicLong();

    @Test
    void everyNodeInTurnLeavesInLameDuckModeRestartsAndNothingAcknowledgedIsLostOrDoubled() throws Exception {
        cluster = LocalCluster.create(dir, 3, "").start();
        Connection admin = connect(cluster.node(1));
        JetStreamManagement jsm = admin.jetStreamManagement();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> jsm.getAccountStatistics() != null);
        for (int s = 0; s < STREAMS; s++) {
            String name = "D" + s;
            String subject = "d" + s + ".>";
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> jsm.addStream(StreamConfiguration
                    .builder().name(name).subjects(subject).replicas(3).build()) != null);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> jsm.addOrUpdateConsumer(name,
                    ConsumerConfiguration.builder().durable("drill").build()) != null);
        }

        List<Publisher> publishers = new ArrayList<>();
        List<Set<String>> received = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            Publisher p = new Publisher(s, connect(cluster.node(1 + s % 3)).jetStream());
            publishers.add(p);
            Set<String> got = ConcurrentHashMap.newKeySet();
            received.add(got);
            int stream = s;
            Connection c = connect(cluster.node(1 + (s + 1) % 3));
            threads.add(new Thread(p, "publisher-" + s));
            threads.add(new Thread(() -> consume(c, stream, got), "consumer-" + s));
        }
        threads.forEach(Thread::start);
        await().atMost(Duration.ofSeconds(30)).until(() -> publishers.stream().allMatch(p -> p.acked.size() > 20));

        Map<String, Long> longestPause = new LinkedHashMap<>();
        for (NodeProcess node : cluster.nodes()) {
            pause.set(0);
            JetraftCli.Result ldm = JetraftCli.run("--signal", "ldm=" + node.pid());
            assertThat(ldm.exitCode()).as(ldm.output()).isZero();
            assertThat(node.awaitExit(Duration.ofSeconds(60))).as(node.name() + " exits 0").isZero();
            assertThat(node.logText()).contains("Lame duck step 10/10");
            node.start();
            JetraftCli.Result check = JetraftCli.run("check", "jetstream", "--server", monitors(), "--wait", "90s");
            assertThat(check.exitCode()).as(check.output()).isZero();
            // publishing goes on after the node is back
            long before = publishers.stream().mapToLong(p -> p.acked.size()).sum();
            await().atMost(Duration.ofSeconds(30)).until(() -> publishers.stream().mapToLong(p -> p.acked.size())
                    .sum() > before + 30);
            longestPause.put(node.name(), pause.get() / 1_000_000);
        }
        publishing.set(false);
        for (Thread t : threads) {
            if (t.getName().startsWith("publisher")) {
                t.join(30_000);
            }
        }
        long acked = publishers.stream().mapToLong(p -> p.acked.size()).sum();
        System.out.printf("DRILL rolling restart: %d messages acknowledged, %d publish attempts failed; longest "
                        + "publish pause per node (ms): %s%n", acked,
                publishers.stream().mapToLong(p -> p.failures.get()).sum(), longestPause);
        publishers.forEach(p -> System.out.printf("DRILL publisher %d errors: %s%n", p.stream, p.errors));

        // the consumers received every acknowledged message
        for (int s = 0; s < STREAMS; s++) {
            Set<String> want = publishers.get(s).acked;
            Set<String> got = received.get(s);
            String stream = "D" + s;
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                List<String> missing = want.stream().filter(id -> !got.contains(id)).sorted().toList();
                assertThat(missing).as("acknowledged messages of %s the consumer has not received (consumer: %s; a "
                        + "no-wait pull now: %s)", stream, consumerState(jsm, stream), probePull(admin, stream))
                        .isEmpty();
            });
        }
        consuming.set(false);
        for (Thread t : threads) {
            t.join(10_000);
        }

        // every replica holds the same messages: once every replica has applied the last entry (a follower learns
        // the final commit index with the leader's next heartbeat; each node's /jsz shows its own store's state),
        // stop the nodes and read their stores
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            java.util.Set<Map<String, String>> states = new java.util.HashSet<>();
            for (NodeProcess n : cluster.nodes()) {
                Map<String, String> state = new TreeMap<>();
                for (com.fasterxml.jackson.databind.JsonNode acc : n.json("/jsz?streams=true").path("account_details")) {
                    for (com.fasterxml.jackson.databind.JsonNode st : acc.path("stream_detail")) {
                        state.put(st.path("name").asText(), st.path("state").path("last_seq") + "/"
                                + st.path("state").path("messages"));
                    }
                }
                assertThat(state).hasSize(STREAMS);
                states.add(state);
            }
            return states.size() == 1;
        });
        for (NodeProcess n : cluster.nodes()) {
            n.signal("TERM");
            assertThat(n.awaitExit(Duration.ofSeconds(60))).isZero();
        }
        Map<String, Map<String, List<String>>> stored = new TreeMap<>();
        for (NodeProcess n : cluster.nodes()) {
            stored.put(n.name(), storedIds(n.storeDir().resolve("rocksdb")));
        }
        Map<String, List<String>> first = stored.values().iterator().next();
        assertThat(first).hasSize(STREAMS);
        String counts = stored.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().entrySet().stream()
                .map(x -> x.getKey() + ":" + x.getValue().size()).toList()).toList().toString();
        for (Map.Entry<String, Map<String, List<String>>> e : stored.entrySet()) {
            // the same messages in the same order on every replica
            assertThat(e.getValue()).as("streams on " + e.getKey() + " (message counts " + counts + ")")
                    .isEqualTo(first);
        }
        for (int s = 0; s < STREAMS; s++) {
            List<String> ids = first.get("D" + s);
            Set<String> unique = Set.copyOf(ids);
            assertThat(unique).as("no message stored twice in D" + s).hasSize(ids.size());
            assertThat(unique).as("every acknowledged message stored in D" + s)
                    .containsAll(publishers.get(s).acked);
            // at most the one publish that was in flight when publishing stopped is stored unacknowledged
            assertThat(ids.size() - publishers.get(s).acked.size()).isBetween(0, 1);
        }
        System.out.printf("DRILL replicas identical: %s%n", counts);
    }

    /** What one no-wait pull of the consumer gets right now, through the admin connection. */
    private static String probePull(Connection c, String stream) {
        try {
            Message m = c.request("$JS.API.CONSUMER.MSG.NEXT." + stream + ".drill",
                    "{\"batch\":1,\"no_wait\":true}".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(3));
            if (m == null) {
                return "no answer in 3 s";
            }
            return (m.isStatusMessage() ? "status " + m.getStatus().getCode() + " " + m.getStatus().getMessage()
                    : "message " + m.getSubject() + " reply " + m.getReplyTo()) + " via " + c.getConnectedUrl();
        } catch (Exception e) {
            return e.toString() + " via " + c.getConnectedUrl();
        }
    }

    private static String consumerState(JetStreamManagement jsm, String stream) {
        try {
            io.nats.client.api.ConsumerInfo ci = jsm.getConsumerInfo(stream, "drill");
            return "delivered " + ci.getDelivered().getStreamSequence() + ", ack floor "
                    + ci.getAckFloor().getStreamSequence() + ", pending " + ci.getNumPending() + ", ack pending "
                    + ci.getNumAckPending() + ", redelivered " + ci.getRedelivered() + ", waiting " + ci.getNumWaiting();
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** Pulls and acks until told to stop, keeping every message id it saw. */
    private void consume(Connection c, int stream, Set<String> got) {
        JetStreamSubscription sub = null;
        while (consuming.get()) {
            try {
                if (sub == null) {
                    sub = c.jetStream().subscribe(null, PullSubscribeOptions.bind("D" + stream, "drill"));
                }
                for (Message m : sub.fetch(100, Duration.ofMillis(500))) {
                    got.add(new String(m.getData(), StandardCharsets.UTF_8));
                    m.ack();
                }
            } catch (Exception e) {
                // the node went away mid-pull: bind again (through whichever node the connection is on now)
                sub = null;
            }
        }
    }

    /** The message ids (payloads) of every stream in sequence order, read from a stopped node's store. */
    private static Map<String, List<String>> storedIds(Path rocksdb) {
        Map<String, List<String>> out = new TreeMap<>();
        try (NodeStore store = NodeStore.open(StoreOptions.defaults(rocksdb))) {
            for (String name : store.streamNames()) {
                StreamStore s = store.stream(name).orElseThrow();
                List<String> ids = new ArrayList<>();
                for (long seq = s.state().firstSeq(); seq <= s.state().lastSeq(); seq++) {
                    s.message(seq).ifPresent(m -> ids.add(new String(m.payload(), StandardCharsets.UTF_8)));
                }
                out.put(name.replaceAll("#.*", ""), ids);
            }
        }
        return out;
    }
}
