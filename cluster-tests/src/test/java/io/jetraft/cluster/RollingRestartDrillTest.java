package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rolling-upgrade drill: three nodes, three R3 streams with a durable pull consumer each, jnats publishers (with
 * message ids) and consumers running the whole time, each on another node than the next; each node in turn is put
 * in lame-duck mode with {@code jetraft --signal ldm}, exits, restarts, and {@code jetraft check jetstream --wait}
 * passes before the next. After every restart the publishers are held for a moment and every replica's stream state
 * must equal the acknowledged messages, and every replica's store, read while the nodes run (a RocksDB secondary
 * instance), must hold the same messages in the same order (SHA-256 compared), each acknowledged one exactly once;
 * at the end every acknowledged message is in its stream exactly once on every
 * replica (the replicas' RocksDB files compared message by message), every consumer received every message and its
 * ack floor reached the end of its stream, and no publish failed.
 *
 * <p>It runs in the default run, one round. A soak runs it several times in a row: {@code mvn verify -pl
 * cluster-tests -Dtest=RollingRestartDrillTest -Djetraft.drill.rounds=10}. Each round prints, per node, the longest
 * publish pause and the longest consumer pause (figures, not assertions: the machines are shared);
 * {@code -Djetraft.drill.nats=true} runs the same workload once against nats-server, side by side.
 *
 * <p>Kept out of the default run until 6 December 2026. Its last failures had three causes, all fixed: a Ratis log
 * appender that died and was never replaced (FollowerHintLogAppender), a publish a peer routed to a stream leader
 * that had just stopped (dropped; now sent on to the new leader), and the answer to a publish in flight as its client
 * left a node in lame-duck mode (dropped; now sent on to the client's new node, or held for its inbox's interest).
 * The soak then passed 10 of 10 rounds, with no publish error.
 */
@ExtendWith(ClusterLogsOnFailure.class)
class RollingRestartDrillTest {

    private static final int STREAMS = 3;
    private static final int ROUNDS = Integer.getInteger("jetraft.drill.rounds", 1);
    /** A publish acknowledged this long after it was sent is shown on the timeline. */
    private static final long SLOW_PUBLISH_MS = 250;

    @TempDir
    Path dir;

    /** The current round's cluster (ClusterLogsOnFailure prints its logs when the test fails). */
    private LocalCluster cluster;
    private Round round;

    @AfterEach
    void stop() throws InterruptedException {
        if (round != null) {
            round.close();
        }
    }

    @Test
    void everyNodeInTurnLeavesInLameDuckModeRestartsAndNothingAcknowledgedIsLostOrDoubled() throws Exception {
        List<String> summaries = new ArrayList<>();
        for (int r = 1; r <= ROUNDS; r++) {
            round = new Round(r, false);
            summaries.add(round.run(Files.createDirectories(dir.resolve("round-" + r))));
            round.close();
            round = null;
        }
        summaries.forEach(s -> System.out.println("DRILL summary " + s));
    }

    /**
     * The same drill against nats-server 2.9 (Debian's package), for the figures side by side: on demand only
     * ({@code -Djetraft.drill.nats=true}). Its publish errors are reported, not asserted; its stores are not read.
     */
    @Test
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "jetraft.drill.nats", matches = "true")
    void natsServerSideBySide() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(NodeProcess.NATS_SERVER),
                "nats-server is not installed (apt-get install nats-server)");
        round = new Round(1, true);
        System.out.println("DRILL summary nats-server " + round.run(Files.createDirectories(dir.resolve("nats"))));
    }

    /** One drill on a fresh cluster. */
    private final class Round {
        final int number;
        final List<Connection> connections = new ArrayList<>();
        final AtomicBoolean publishing = new AtomicBoolean(true);
        final AtomicBoolean consuming = new AtomicBoolean(true);
        /** Publishers publish under the read lock; the drill takes the write lock to hold them all at once. */
        final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
        final List<Thread> threads = new ArrayList<>();
        final List<Publisher> publishers = new ArrayList<>();
        final List<Consumer> consumers = new ArrayList<>();
        final long startedAt = System.nanoTime();
        /** The same moment by the wall clock, to place the nodes' log lines on the timeline. */
        final java.time.Instant startedAtWall = java.time.Instant.now();
        /** What happened when (ms since the round started), printed at its end. */
        final List<String> timeline = new CopyOnWriteArrayList<>();

        /** Whether the nodes are nats-server processes (the comparison) rather than jetraft ones. */
        final boolean natsServer;

        Round(int number, boolean natsServer) {
            this.number = number;
            this.natsServer = natsServer;
        }

        long elapsedMs() {
            return sinceStart(System.nanoTime());
        }

        long sinceStart(long nanoTime) {
            return (nanoTime - startedAt) / 1_000_000;
        }

        Connection connect(NodeProcess first) throws Exception {
            List<String> urls = new ArrayList<>(List.of(first.clientUrl()));
            cluster.nodes().stream().filter(n -> n != first).forEach(n -> urls.add(n.clientUrl()));
            Connection c = Nats.connect(new Options.Builder().servers(urls.toArray(String[]::new)).noRandomize()
                    .maxReconnects(-1).reconnectWait(Duration.ofMillis(100)).connectionTimeout(Duration.ofSeconds(5))
                    .build());
            connections.add(c);
            return c;
        }

        String monitors() {
            return cluster.nodes().stream().map(n -> "http://127.0.0.1:" + n.httpPort())
                    .collect(Collectors.joining(","));
        }

        String run(Path roundDir) throws Exception {
            cluster = LocalCluster.create(roundDir, 3, "", natsServer).start();
            Connection admin = connect(cluster.node(1));
            JetStreamManagement jsm = admin.jetStreamManagement();
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> jsm.getAccountStatistics() != null);
            for (int s = 0; s < STREAMS; s++) {
                String name = "D" + s;
                String subject = "d" + s + ".>";
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> jsm.addStream(
                        StreamConfiguration.builder().name(name).subjects(subject).replicas(3).build()) != null);
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> jsm.addOrUpdateConsumer(name,
                        ConsumerConfiguration.builder().durable("drill").build()) != null);
            }
            for (int s = 0; s < STREAMS; s++) {
                Publisher p = new Publisher(s, connect(cluster.node(1 + s % 3)));
                Consumer c = new Consumer(s, connect(cluster.node(1 + (s + 1) % 3)));
                publishers.add(p);
                consumers.add(c);
                threads.add(new Thread(p, "publisher-" + s));
                threads.add(new Thread(c, "consumer-" + s));
            }
            threads.forEach(Thread::start);
            await().atMost(Duration.ofSeconds(30)).until(() -> publishers.stream().allMatch(p -> p.acked.size() > 20));

            Map<String, String> pauses = new LinkedHashMap<>();
            for (NodeProcess node : cluster.nodes()) {
                resetPauses();
                timeline.add(elapsedMs() + " ms " + node.name() + " signalled ldm");
                if (natsServer) {
                    node.signal("USR2");
                } else {
                    JetraftCli.Result ldm = JetraftCli.run("--signal", "ldm=" + node.pid());
                    assertThat(ldm.exitCode()).as(ldm.output()).isZero();
                }
                assertThat(node.awaitExit(Duration.ofSeconds(90))).as(node.name() + " exits 0").isZero();
                timeline.add(elapsedMs() + " ms " + node.name() + " exited");
                if (!natsServer) {
                    assertThat(node.logText()).contains("Lame duck step 10/10");
                }
                node.start();
                timeline.add(elapsedMs() + " ms " + node.name() + " started");
                if (natsServer) {
                    // the seed article's runbook: wait for /healthz to answer 200, then the next node
                    await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> cluster.nodes().stream()
                            .allMatch(n -> {
                                try {
                                    return n.status("/healthz") == 200;
                                } catch (Exception e) {
                                    return false;
                                }
                            }));
                } else {
                    JetraftCli.Result check = JetraftCli.run("check", "jetstream", "--server", monitors(), "--wait",
                            "90s");
                    assertThat(check.exitCode()).as(check.output()).isZero();
                }
                // publishing and consuming go on after the node is back
                long published = ackedCount();
                long received = receivedCount();
                await().atMost(Duration.ofSeconds(30)).until(() -> ackedCount() > published + 30
                        && receivedCount() > received + 30);
                pauses.put(node.name(), "publish " + longest(publishers.stream().map(p -> p.pause)) + " ms, consumer "
                        + longest(consumers.stream().map(c -> c.pause)) + " ms");
                for (Publisher p : publishers) {
                    timeline.add(sinceStart(p.pause.longestEnded()) + " ms publisher " + p.stream + "'s longest pause with "
                            + node.name() + " restarting ended: " + p.pause.longestMillis() + " ms");
                }
                for (Consumer c : consumers) {
                    timeline.add(sinceStart(c.pause.longestEnded()) + " ms consumer " + c.stream + "'s longest pause with "
                            + node.name() + " restarting ended: " + c.pause.longestMillis() + " ms");
                }
                // every replica holds exactly the acknowledged messages, seen with the publishers held
                gate.writeLock().lock();
                try {
                    awaitReplicasHoldTheAcknowledged();
                    if (!natsServer) {
                        String sums = compareReplicaChecksums(node.name());
                        timeline.add(elapsedMs() + " ms replicas identical after " + node.name() + " restarted: "
                                + sums);
                    }
                } finally {
                    gate.writeLock().unlock();
                }
            }
            publishing.set(false);
            for (Thread t : threads) {
                if (t.getName().startsWith("publisher")) {
                    t.join(30_000);
                }
            }
            long failures = publishers.stream().mapToLong(p -> p.failures.get()).sum();
            System.out.printf("DRILL round %d: %d messages acknowledged, %d publish attempts failed; longest pauses "
                    + "while each node restarted: %s%n", number, ackedCount(), failures, pauses);
            Stream.concat(Stream.concat(timeline.stream(), publishers.stream().flatMap(p -> p.failed.stream())),
                            cluster.nodes().stream().flatMap(n -> leadershipLines(n).stream()))
                    .sorted(Comparator.comparingLong(l -> Long.parseLong(l.substring(0, l.indexOf(' ')))))
                    .forEach(l -> System.out.println("DRILL round " + number + " at " + l));

            // the consumers received every acknowledged message, and acknowledged them all
            for (int s = 0; s < STREAMS; s++) {
                Set<String> want = publishers.get(s).acked;
                Set<String> got = consumers.get(s).received;
                String stream = "D" + s;
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    List<String> missing = want.stream().filter(id -> !got.contains(id)).sorted().toList();
                    assertThat(missing).as("acknowledged messages of %s the consumer has not received (consumer: "
                            + "%s; a no-wait pull now: %s)", stream, consumerState(jsm, stream),
                            probePull(admin, stream)).isEmpty();
                });
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                    ConsumerInfo ci = jsm.getConsumerInfo(stream, "drill");
                    long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
                    assertThat(ci.getAckFloor().getStreamSequence()).as("ack floor of %s", stream).isEqualTo(last);
                    assertThat(ci.getNumAckPending()).isZero();
                });
            }
            consuming.set(false);
            for (Thread t : threads) {
                t.join(10_000);
            }
            String redelivered = consumers.stream().map(c -> "D" + c.stream + ": " + c.redelivered.get())
                    .collect(Collectors.joining(", "));
            System.out.printf("DRILL round %d redeliveries the consumers saw: %s%n", number, redelivered);

            awaitReplicasHoldTheAcknowledged();
            if (natsServer) {
                return "round " + number + ": " + ackedCount() + " acknowledged, " + failures + " failed, pauses "
                        + pauses + ", redeliveries " + redelivered + ", publish errors "
                        + publishers.stream().flatMap(p -> p.failed.stream()).toList();
            }
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
                // a publish whose acknowledgement was lost may be stored without it, if publishing stopped before
                // its retry was acknowledged
                assertThat(ids.size() - publishers.get(s).acked.size()).as("unacknowledged messages stored in D" + s)
                        .isBetween(0, publishers.get(s).retrying != null ? 1 : 0);
            }
            System.out.printf("DRILL round %d replicas identical: %s%n", number, counts);
            assertThat(publishers.stream().flatMap(p -> p.failed.stream()).toList())
                    .as("publish attempts that failed (the publishers retried each until acknowledged)").isEmpty();
            return "round " + number + ": " + ackedCount() + " acknowledged, " + failures + " failed, pauses "
                    + pauses + ", redeliveries " + redelivered;
        }

        /**
         * The lines of a node's log that explain a pause, placed on the timeline: the lame-duck steps, the groups'
         * hand-backs to their preferred leaders, and each stream leader's start.
         */
        List<String> leadershipLines(NodeProcess n) {
            java.time.format.DateTimeFormatter format = java.time.format.DateTimeFormatter
                    .ofPattern("yyyy/MM/dd HH:mm:ss.SSSSSS");
            java.util.regex.Pattern line = java.util.regex.Pattern
                    .compile("^\\[\\d+] (\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}) \\[\\w+] (.*)$");
            List<String> out = new ArrayList<>();
            for (String l : n.logText().split("\n")) {
                java.util.regex.Matcher m = line.matcher(l);
                if (!m.matches() || !(m.group(2).contains("Lame duck step") || m.group(2).contains("handed back")
                        || m.group(2).contains("is led by this node") || m.group(2).contains("from term")
                        || m.group(2).startsWith("Trapped") || l.contains("[DBG]"))) {
                    continue;
                }
                long at = java.time.Duration.between(startedAtWall, java.time.LocalDateTime.parse(m.group(1), format)
                        .atZone(java.time.ZoneId.systemDefault()).toInstant()).toMillis();
                if (at >= 0) {
                    out.add(at + " ms [" + n.name() + " log] " + m.group(2));
                }
            }
            return out;
        }

        long ackedCount() {
            return publishers.stream().mapToLong(p -> p.acked.size()).sum();
        }

        long receivedCount() {
            return consumers.stream().mapToLong(c -> c.received.size()).sum();
        }

        void resetPauses() {
            long now = System.nanoTime();
            publishers.forEach(p -> p.pause.reset(now));
            consumers.forEach(c -> c.pause.reset(now));
        }

        long longest(Stream<Pause> pauses) {
            return pauses.mapToLong(Pause::longestMillis).max().orElse(0);
        }

        /**
         * With no publish in flight: every node's store holds, per stream, exactly the acknowledged messages (a
         * follower applies the last entries with the leader's next heartbeat; each node's /jsz shows its own store).
         */
        void awaitReplicasHoldTheAcknowledged() {
            Map<String, Long> want = new TreeMap<>();
            Map<String, Long> unresolved = new TreeMap<>();
            publishers.forEach(p -> {
                want.put("D" + p.stream, (long) p.acked.size());
                // a failed attempt not yet retried may be stored all the same
                unresolved.put("D" + p.stream, p.retrying != null ? 1L : 0L);
            });
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                for (NodeProcess n : cluster.nodes()) {
                    Map<String, Long> state = new TreeMap<>();
                    for (JsonNode acc : n.json("/jsz?accounts=true&streams=true").path("account_details")) {
                        for (JsonNode st : acc.path("stream_detail")) {
                            JsonNode s = st.path("state");
                            assertThat(s.path("last_seq").asLong()).as("%s on %s: no gap, nothing doubled",
                                    st.path("name").asText(), n.name()).isEqualTo(s.path("messages").asLong());
                            state.put(st.path("name").asText(), s.path("messages").asLong());
                        }
                    }
                    assertThat(state.keySet()).as("streams on %s", n.name()).isEqualTo(want.keySet());
                    for (Map.Entry<String, Long> e : want.entrySet()) {
                        assertThat(state.get(e.getKey())).as("messages of %s on %s", e.getKey(), n.name())
                                .isBetween(e.getValue(), e.getValue() + unresolved.get(e.getKey()));
                    }
                }
            });
        }

        /**
         * With no publish in flight and the stores caught up: reads every node's store as it is now (RocksDB's
         * secondary instance, while the node runs), and requires the same messages in the same order on every replica
         * (SHA-256 of sequence, subject and payload), each acknowledged message exactly once. Returns the checksums.
         */
        String compareReplicaChecksums(String restarted) {
            Map<String, Map<String, StoredStream>> stored = new TreeMap<>();
            for (NodeProcess n : cluster.nodes()) {
                stored.put(n.name(), readStore(n.storeDir().resolve("rocksdb"),
                        dir.resolve("secondary-" + number + "-" + restarted + "-" + n.name())));
            }
            Map<String, StoredStream> first = stored.values().iterator().next();
            for (Map.Entry<String, Map<String, StoredStream>> e : stored.entrySet()) {
                assertThat(e.getValue()).as("streams on %s after %s restarted", e.getKey(), restarted)
                        .isEqualTo(first);
            }
            for (Publisher p : publishers) {
                StoredStream s = first.get("D" + p.stream);
                assertThat(s).as("D%d after %s restarted", p.stream, restarted).isNotNull();
                assertThat(Set.copyOf(s.ids())).as("D%d: no message stored twice", p.stream).hasSize(s.ids().size());
                assertThat(s.ids()).as("D%d: every acknowledged message", p.stream).containsAll(p.acked);
                assertThat(s.ids().size() - p.acked.size()).as("D%d: unacknowledged messages stored", p.stream)
                        .isBetween(0, p.retrying != null ? 1 : 0);
            }
            return first.entrySet().stream().map(e -> e.getKey() + " " + e.getValue().ids().size() + " messages "
                    + e.getValue().sha256().substring(0, 16)).collect(Collectors.joining(", "));
        }

        void close() throws InterruptedException {
            publishing.set(false);
            consuming.set(false);
            if (gate.isWriteLockedByCurrentThread()) {
                gate.writeLock().unlock();
            }
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

        /** One publisher per stream: ids p<stream>-<k>, each retried until acknowledged. */
        final class Publisher implements Runnable {
            final int stream;
            final Connection connection;
            final JetStream js;
            final Set<String> acked = ConcurrentHashMap.newKeySet();
            final AtomicLong failures = new AtomicLong();
            final Pause pause = new Pause();
            /** Each failed attempt: when (ms since the round started), through which server, what. */
            final List<String> failed = new CopyOnWriteArrayList<>();
            /** The id of a failed attempt not acknowledged yet (it may be stored all the same). */
            volatile String retrying;

            Publisher(int stream, Connection connection) throws java.io.IOException {
                this.stream = stream;
                this.connection = connection;
                this.js = connection.jetStream();
            }

            @Override
            public void run() {
                long k = 0;
                while (publishing.get()) {
                    String id = "p" + stream + "-" + k;
                    gate.readLock().lock();
                    try {
                        long sent = System.nanoTime();
                        js.publish("d" + stream + ".x", id.getBytes(StandardCharsets.UTF_8),
                                PublishOptions.builder().messageId(id).build());
                        long took = (System.nanoTime() - sent) / 1_000_000;
                        if (took >= SLOW_PUBLISH_MS) {
                            timeline.add(sinceStart(sent) + " ms publisher " + stream + "'s " + id + " sent via "
                                    + connection.getServerInfo().getServerName() + ", acknowledged " + took
                                    + " ms later");
                        }
                        acked.add(id);
                        retrying = null;
                        pause.progress(System.nanoTime());
                        k++;
                    } catch (Exception e) {
                        failures.incrementAndGet();
                        retrying = id;
                        failed.add(elapsedMs() + " ms " + id + " via " + connection.getConnectedUrl() + ": " + e);
                    } finally {
                        gate.readLock().unlock();
                    }
                }
            }
        }

        /** Pulls and acks until told to stop, keeping every message id it saw. */
        final class Consumer implements Runnable {
            final int stream;
            final Connection connection;
            final Set<String> received = ConcurrentHashMap.newKeySet();
            final AtomicLong redelivered = new AtomicLong();
            final Pause pause = new Pause();

            Consumer(int stream, Connection connection) {
                this.stream = stream;
                this.connection = connection;
            }

            @Override
            public void run() {
                JetStreamSubscription sub = null;
                while (consuming.get()) {
                    try {
                        if (sub == null) {
                            sub = connection.jetStream().subscribe(null, PullSubscribeOptions.bind("D" + stream,
                                    "drill"));
                        }
                        // iterate, not fetch: fetch hands its messages over only when its 500 ms wait ends, so every
                        // pause measured through it was rounded up to a multiple of 500 ms; iterate yields each
                        // message as it arrives
                        for (Iterator<Message> it = sub.iterate(100, Duration.ofMillis(500)); it.hasNext(); ) {
                            Message m = it.next();
                            if (received.add(new String(m.getData(), StandardCharsets.UTF_8))) {
                                pause.progress(System.nanoTime());
                            }
                            if (m.metaData().deliveredCount() > 1 && redelivered.incrementAndGet() <= 20) {
                                // when, and on which connection, to match against the restarts in the timeline
                                timeline.add(elapsedMs() + " ms consumer " + stream + " got stream seq "
                                        + m.metaData().streamSequence() + " again (delivery "
                                        + m.metaData().deliveredCount() + ", via " + connection.getServerInfo()
                                        .getServerName() + ")");
                            }
                            m.ack();
                        }
                    } catch (Exception e) {
                        // the node went away mid-pull: bind again (through whichever node the connection is on now)
                        sub = null;
                    }
                }
            }
        }
    }

    /**
     * The longest gap between two steps of progress (an acknowledged publish, a new message received) since the last
     * reset; a hold of the publishers by the drill is not counted (it resets after).
     */
    private static final class Pause {
        private long last;
        private long longest;
        private long longestEnded;

        synchronized void reset(long now) {
            last = now;
            longest = 0;
        }

        synchronized void progress(long now) {
            if (last != 0 && now - last > longest) {
                longest = now - last;
                longestEnded = now;
            }
            last = now;
        }

        /** When the longest gap ended (System.nanoTime). */
        synchronized long longestEnded() {
            return longestEnded;
        }

        synchronized long longestMillis() {
            return longest / 1_000_000;
        }
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
            return e + " via " + c.getConnectedUrl();
        }
    }

    private static String consumerState(JetStreamManagement jsm, String stream) {
        try {
            ConsumerInfo ci = jsm.getConsumerInfo(stream, "drill");
            return "delivered " + ci.getDelivered().getStreamSequence() + ", ack floor "
                    + ci.getAckFloor().getStreamSequence() + ", pending " + ci.getNumPending() + ", ack pending "
                    + ci.getNumAckPending() + ", redelivered " + ci.getRedelivered() + ", waiting " + ci.getNumWaiting();
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** The message ids (payloads) of every stream in sequence order, read from a stopped node's store. */
    /** One stream as one replica stores it: its payloads (message ids) in order, and a digest of every message. */
    private record StoredStream(List<String> ids, String sha256) {
    }

    /** A running node's streams, read through a RocksDB secondary instance in {@code work}. */
    private static Map<String, StoredStream> readStore(Path rocksdb, Path work) {
        Map<String, StoredStream> out = new TreeMap<>();
        try (NodeStore store = NodeStore.openSecondary(StoreOptions.defaults(rocksdb), work)) {
            for (String name : store.streamNames()) {
                StreamStore s = store.stream(name).orElseThrow();
                java.security.MessageDigest sha = sha256();
                List<String> ids = new ArrayList<>();
                for (long seq = s.state().firstSeq(); seq <= s.state().lastSeq(); seq++) {
                    long at = seq;
                    s.message(seq).ifPresent(m -> {
                        sha.update(java.nio.ByteBuffer.allocate(8).putLong(at).array());
                        sha.update(m.subject().getBytes(StandardCharsets.UTF_8));
                        sha.update((byte) 0);
                        sha.update(m.payload());
                        ids.add(new String(m.payload(), StandardCharsets.UTF_8));
                    });
                }
                out.put(name.replaceAll("#.*", ""), new StoredStream(ids, java.util.HexFormat.of()
                        .formatHex(sha.digest())));
            }
        }
        return out;
    }

    private static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

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
