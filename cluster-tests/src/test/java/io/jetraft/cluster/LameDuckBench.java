package io.jetraft.cluster;

import static org.awaitility.Awaitility.await;

import io.jetraft.cluster.harness.ClusterLogsOnFailure;
import io.jetraft.cluster.harness.LocalCluster;
import io.jetraft.cluster.harness.NodeProcess;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A benchmark, run on demand (not part of the suite: {@code mvn -pl cluster-tests verify -Dtest=LameDuckBench
 * -Djetraft.bench.ldm.runs=20 -Djetraft.bench.ldm.streams=1000}): three real nodes with many R3 streams and
 * publishers on several of them; each run puts one node in lame-duck mode (the nodes take turns), reads from its log
 * how long the leadership transfer (step 2) and the stream layer and Raft shutdown (steps 3 and 4) took and whether
 * every group moved, measures when its clients heard {@code "ldm":true}, and restarts it. Prints one row per run and a
 * summary; asserts nothing about time.
 */
@ExtendWith(ClusterLogsOnFailure.class)
class LameDuckBench {

    private static final int RUNS = Integer.getInteger("jetraft.bench.ldm.runs", 3);
    private static final int STREAMS = Integer.getInteger("jetraft.bench.ldm.streams", 1000);
    private static final int PUBLISHED_STREAMS = 10;
    private static final Pattern TRANSFER = Pattern.compile(
            "step 2/10 leadership transfer: (\\d+) groups in (\\d+) ms: (\\d+) moved");
    private static final Pattern STEP = Pattern.compile("step (\\d)/10 [^(]*\\((\\d+) ms\\)");

    @TempDir
    Path dir;
    LocalCluster cluster;
    final List<Connection> connections = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Connection c : connections) {
            c.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private Connection connect(String[] urls, ConnectionListener listener) throws Exception {
        Options.Builder b = new Options.Builder().servers(urls).maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(100)).connectionTimeout(Duration.ofSeconds(10));
        if (listener != null) {
            b.connectionListener(listener);
        }
        Connection c = Nats.connect(b.build());
        connections.add(c);
        return c;
    }

    @Test
    void lameDuckModeAtManyStreams() throws Exception {
        cluster = LocalCluster.create(dir, 3, "").start();
        Connection admin = connect(cluster.clientUrls(), null);
        JetStreamManagement jsm = admin.jetStreamManagement(JetStreamOptions.builder()
                .requestTimeout(Duration.ofSeconds(10)).build());
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> jsm.getAccountStatistics() != null);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        long createStarted = System.nanoTime();
        List<Future<?>> creations = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            int n = i;
            creations.add(pool.submit(() -> {
                await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() -> jsm.addStream(
                        StreamConfiguration.builder().name("S" + n).subjects("s." + n).replicas(3).build()) != null);
                return null;
            }));
        }
        for (Future<?> f : creations) {
            f.get();
        }
        pool.shutdown();
        System.out.printf("BENCH ldm: %d R3 streams created in %d ms%n", STREAMS,
                (System.nanoTime() - createStarted) / 1_000_000);

        // publishers on several streams, through every node, with message ids, the whole time
        Connection publisherConnection = connect(cluster.clientUrls(), null);
        JetStream js = publisherConnection.jetStream();
        Set<String> acked = ConcurrentHashMap.newKeySet();
        AtomicBoolean publishing = new AtomicBoolean(true);
        AtomicLong failures = new AtomicLong();
        Thread publisher = new Thread(() -> {
            long k = 0;
            while (publishing.get()) {
                String id = "m-" + k;
                try {
                    js.publish("s." + (k % PUBLISHED_STREAMS), id.getBytes(),
                            PublishOptions.builder().messageId(id).build());
                    acked.add(id);
                    k++;
                } catch (Exception e) {
                    failures.incrementAndGet();
                }
            }
        }, "bench-publisher");
        publisher.start();

        List<String> rows = new ArrayList<>();
        int allMoved = 0;
        long worstStep4 = 0;
        long worstTold = 0;
        long worstTransfer = 0;
        try {
            for (int run = 0; run < RUNS; run++) {
                NodeProcess leaving = cluster.node(run % 3 + 1);
                awaitBalanced();
                AtomicLong toldAt = new AtomicLong();
                connect(new String[] {leaving.clientUrl()}, (conn, event) -> {
                    if (event == ConnectionListener.Events.LAME_DUCK) {
                        toldAt.compareAndSet(0, System.nanoTime());
                    }
                });
                int logFrom = leaving.logText().length();
                long signalled = System.nanoTime();
                leaving.signal("USR2");
                leaving.awaitExit(Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(10)).until(() -> toldAt.get() != 0);
                String log = leaving.logText().substring(logFrom);
                java.nio.file.Files.writeString(Path.of("target", "ldm-run-" + (run + 1) + "-" + leaving.name()
                        + ".log"), log);
                // a JFR recording of the leaving node, when it ran with one (-Djetraft.node.jvm=
                // "-XX:StartFlightRecording=filename=node.jfr,dumponexit=true,settings=...")
                Path jfr = leaving.dir().resolve("node.jfr");
                if (java.nio.file.Files.exists(jfr)) {
                    java.nio.file.Files.move(jfr, Path.of("target", "ldm-run-" + (run + 1) + "-" + leaving.name()
                            + ".jfr"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
                Matcher t = TRANSFER.matcher(log);
                if (!t.find()) {
                    throw new AssertionError("no transfer report in " + leaving.name() + "'s log:\n" + log);
                }
                int groups = Integer.parseInt(t.group(1));
                long transferMs = Long.parseLong(t.group(2));
                int moved = Integer.parseInt(t.group(3));
                long step3 = stepMillis(log, 3);
                long step4 = stepMillis(log, 4);
                long toldMs = (toldAt.get() - signalled) / 1_000_000;
                if (moved == groups) {
                    allMoved++;
                }
                worstStep4 = Math.max(worstStep4, step3 + step4);
                worstTold = Math.max(worstTold, toldMs);
                worstTransfer = Math.max(worstTransfer, transferMs);
                String perGroup = log.lines().filter(l -> l.matches(".* -> \\S+: \\w+ in \\d+ ms .*"))
                        .map(l -> l.substring(l.indexOf(": ", l.indexOf(leaving.name() + ":")) + 2))
                        .reduce((a, b) -> a + "; " + b).orElse("");
                rows.add(String.format("BENCH ldm run %2d %s: %d/%d groups moved, transfer %d ms, stream layer %d ms,"
                                + " Raft shut down %d ms, clients told %d ms after the signal [%s]", run + 1,
                        leaving.name(), moved, groups, transferMs, step3, step4, toldMs, perGroup));
                System.out.println(rows.get(rows.size() - 1));
                leaving.start().awaitHealthy(Duration.ofSeconds(120));
            }
        } finally {
            publishing.set(false);
            publisher.join();
        }
        long stored = 0;
        for (int i = 0; i < PUBLISHED_STREAMS; i++) {
            stored += jsm.getStreamInfo("S" + i).getStreamState().getMsgCount();
        }
        System.out.printf("BENCH ldm summary: %d runs at %d R3 streams: every group moved in %d of %d; slowest "
                        + "transfer %d ms; slowest steps 3+4 %d ms; clients told at most %d ms after the signal; "
                        + "%d messages acknowledged, %d stored, %d publish attempts failed%n", RUNS, STREAMS,
                allMoved, RUNS, worstTransfer, worstStep4, worstTold, acked.size(), stored, failures.get());
    }

    /**
     * Waits until the streams' three groups are led by three different nodes (the balancer put them back), as every
     * node's /jsz shows its streams' leaders (read from each node itself, not through routes).
     */
    private void awaitBalanced() {
        await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> {
            for (NodeProcess n : cluster.nodes()) {
                Set<String> leaders = new HashSet<>();
                for (var s : n.json("/jsz?streams=true").path("account_details").path(0).path("stream_detail")) {
                    leaders.add(s.path("cluster").path("leader").asText(""));
                }
                if (leaders.size() != 3 || leaders.contains("")) {
                    return false;
                }
            }
            return true;
        });
    }

    private static long stepMillis(String log, int step) {
        Matcher m = STEP.matcher(log);
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) == step) {
                return Long.parseLong(m.group(2));
            }
        }
        return -1;
    }
}
