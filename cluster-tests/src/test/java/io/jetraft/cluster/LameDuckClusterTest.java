package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.cluster.harness.ClusterLogsOnFailure;
import io.jetraft.cluster.harness.JetraftCli;
import io.jetraft.cluster.harness.LocalCluster;
import io.jetraft.cluster.harness.NodeProcess;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lame-duck mode on a real three-node cluster: SIGUSR2 through {@code jetraft --signal ldm=PID}, the node refuses
 * new clients at once, /healthz fails, the other nodes stop advertising it, its clients hear "ldm" and are closed one
 * by one after the grace period, reconnect elsewhere with their subscriptions, and the process exits 0.
 * The nodes run with lame_duck_duration 10s and lame_duck_grace_period 2s.
 */
@ExtendWith(ClusterLogsOnFailure.class)
class LameDuckClusterTest {

    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final Duration DURATION = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private final List<Connection> connections = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Connection c : connections) {
            c.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Per client: when it heard lame-duck mode and when its connection dropped (nanoTime). */
    private record Watch(AtomicLong ldmAt, AtomicLong disconnectedAt) {
    }

    private Connection connect(NodeProcess node, Map<Connection, Watch> watches) throws Exception {
        AtomicLong ldm = new AtomicLong();
        AtomicLong disconnected = new AtomicLong();
        ConnectionListener listener = (conn, event) -> {
            if (event == ConnectionListener.Events.LAME_DUCK) {
                ldm.compareAndSet(0, System.nanoTime());
            } else if (event == ConnectionListener.Events.DISCONNECTED) {
                disconnected.compareAndSet(0, System.nanoTime());
            }
        };
        Connection c = Nats.connect(new Options.Builder().server(node.clientUrl()).connectionListener(listener)
                .reconnectWait(Duration.ofMillis(200)).maxReconnects(-1).build());
        connections.add(c);
        watches.put(c, new Watch(ldm, disconnected));
        return c;
    }

    @Test
    void ldmDrainsTwentyClientsSlowlyToTheOtherNodesAndExitsZero() throws Exception {
        cluster = LocalCluster.create(dir, 3, "").start();
        NodeProcess leaving = cluster.node(3);
        // a rolling upgrade signals a node of a healthy cluster: the meta group has a leader and every peer
        for (int i = 1; i <= 3; i++) {
            cluster.node(i).awaitHealthy(Duration.ofSeconds(60));
        }
        Map<Connection, Watch> watches = new ConcurrentHashMap<>();
        List<Connection> drained = new ArrayList<>();
        // 19 jnats clients and, below, one plain protocol client: 20 to drain
        for (int i = 0; i < 19; i++) {
            drained.add(connect(leaving, watches));
        }
        Connection listenerOnN1 = connect(cluster.node(1), new ConcurrentHashMap<>());
        Subscription received = listenerOnN1.subscribe("drain.>");
        listenerOnN1.flush(Duration.ofSeconds(5));
        Subscription onDrained = drained.get(0).subscribe("to.drained");
        drained.get(0).flush(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> drained.get(0).getServers().size() == 3);

        AtomicBoolean publishing = new AtomicBoolean(true);
        AtomicLong published = new AtomicLong();
        Thread publisher = new Thread(() -> {
            while (publishing.get()) {
                drained.get(1).publish("drain.tick", Long.toString(published.incrementAndGet()).getBytes());
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        publisher.start();

        // a plain protocol-1 client of the leaving node, to read the INFO that announces lame-duck mode
        Socket raw = new Socket();
        raw.connect(new InetSocketAddress("127.0.0.1", leaving.clientPort()), 2000);
        raw.setSoTimeout(20_000);
        InputStream rawIn = raw.getInputStream();
        readLine(rawIn);
        raw.getOutputStream().write("CONNECT {\"verbose\":false,\"protocol\":1}\r\nPING\r\n".getBytes());
        raw.getOutputStream().flush();

        long t0 = System.nanoTime();
        JetraftCli.Result signal = JetraftCli.run("--signal", "ldm=" + leaving.pid());
        assertThat(signal.exitCode()).as(signal.output()).isZero();

        // step 1: no new clients, /healthz fails with nats-server's answer
        await().atMost(Duration.ofSeconds(2)).until(() -> !accepts(leaving.clientPort()));
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + leaving.httpPort() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(500);
        assertThat(health.body()).isEqualTo(
                "{\"status\":\"error\",\"error\":\"failed to be ready for connections after 1ms: server\"}");

        // step 1 also tells the other nodes at once: they show the leaving node offline in /jsz (the meta
        // leader lists the replicas, as nats-server; it is one of the two others once the leaving node moved it)
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            for (int i = 1; i <= 2; i++) {
                for (com.fasterxml.jackson.databind.JsonNode r : cluster.node(i).json("/jsz").path("meta_cluster")
                        .path("replicas")) {
                    if (r.path("name").asText().equals(leaving.name()) && r.path("offline").asBoolean(false)) {
                        return true;
                    }
                }
            }
            return false;
        });

        // step 7: the INFO with "ldm":true lists only the other nodes
        String ldmInfo;
        do {
            ldmInfo = readLine(rawIn);
        } while (!ldmInfo.contains("\"ldm\":true"));
        assertThat(ldmInfo).startsWith("INFO ").contains("127.0.0.1:" + cluster.node(1).clientPort())
                .contains("127.0.0.1:" + cluster.node(2).clientPort())
                .doesNotContain("127.0.0.1:" + leaving.clientPort() + "\"");
        raw.close();

        // steps 6-7: every drained client hears lame-duck mode; the other nodes stop advertising the leaving one
        await().atMost(Duration.ofSeconds(5)).until(() -> drained.stream().allMatch(c -> watches.get(c).ldmAt()
                .get() != 0));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", cluster.node(2).clientPort()), 2000);
            String info = readLine(s.getInputStream());
            assertThat(info).contains("127.0.0.1:" + cluster.node(1).clientPort())
                    .doesNotContain("127.0.0.1:" + leaving.clientPort());
        }

        // steps 8-10: nobody closed before the grace period; closings spread; exit 0
        assertThat(leaving.awaitExit(Duration.ofSeconds(40))).isZero();
        List<Long> closed = new ArrayList<>();
        for (Connection c : drained) {
            await().atMost(Duration.ofSeconds(5)).until(() -> watches.get(c).disconnectedAt().get() != 0);
            closed.add(watches.get(c).disconnectedAt().get() - t0);
        }
        closed.sort(Long::compare);
        assertThat(closed.get(0)).as("first close after the grace period").isGreaterThanOrEqualTo(GRACE.toNanos());
        Duration interval = DURATION.minus(GRACE).dividedBy(20);
        // 19 watched of the 20 closed: at least 17 pauses of at least interval/2 lie between the first and the last
        assertThat(closed.get(closed.size() - 1) - closed.get(0)).as("closings spread over the rest of the duration")
                .isGreaterThan(interval.multipliedBy(17).dividedBy(2).toNanos())
                .isLessThan(DURATION.toNanos());
        for (Connection c : drained) {
            assertThat(watches.get(c).ldmAt().get()).isLessThan(watches.get(c).disconnectedAt().get());
        }
        String log = leaving.logText();
        assertThat(log).contains("Entering lame duck mode", "Lame duck step 1/10", "Lame duck step 2/10",
                "Lame duck step 6/10", "Lame duck step 7/10 20 clients told", "Lame duck step 8/10",
                "Lame duck step 9/10 20 of 20 clients closed", "Lame duck step 10/10");
        assertThat(log.indexOf("step 7/10")).isGreaterThan(log.indexOf("step 6/10"));

        // clients moved with their subscriptions and keep publishing through the other nodes
        for (Connection c : drained) {
            await().atMost(Duration.ofSeconds(20)).until(() -> c.getStatus() == Connection.Status.CONNECTED);
            assertThat(c.getConnectedUrl()).doesNotEndWith(":" + leaving.clientPort());
        }
        long before = published.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> published.get() > before + 20);
        publishing.set(false);
        publisher.join();
        // a flush right after a move can be lost in jnats's own reconnect bookkeeping: retry it
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> { drained.get(1).flush(Duration.ofSeconds(2)); return true; });
        long last = -1;
        io.nats.client.Message m;
        while ((m = received.nextMessage(Duration.ofSeconds(1))) != null) {
            last = Long.parseLong(new String(m.getData()));
        }
        assertThat(last).as("the last tick published after the move arrived").isEqualTo(published.get());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            listenerOnN1.publish("to.drained", "found you".getBytes());
            assertThat(onDrained.nextMessage(Duration.ofMillis(500))).isNotNull();
        });
    }

    @Test
    void sigtermDuringLameDuckIsIgnoredAndSigintCutsItShort() throws Exception {
        cluster = LocalCluster.create(dir, 2, "").start();
        Map<Connection, Watch> watches = new ConcurrentHashMap<>();
        NodeProcess first = cluster.node(1);
        for (int i = 0; i < 5; i++) {
            connect(first, watches);
        }
        first.signal("USR2");
        await().atMost(Duration.ofSeconds(5)).until(() -> first.logText().contains("Lame duck step 7/10"));
        first.signal("TERM");
        assertThat(first.awaitExit(Duration.ofSeconds(40))).isZero();
        String log = first.logText();
        assertThat(log).contains("ignoring SIGTERM", "Lame duck step 9/10 5 of 5 clients closed");

        NodeProcess second = cluster.node(2);
        for (int i = 0; i < 5; i++) {
            connect(second, watches);
        }
        second.signal("USR2");
        await().atMost(Duration.ofSeconds(5)).until(() -> second.logText().contains("Lame duck step 7/10"));
        long t = System.nanoTime();
        second.signal("INT");
        assertThat(second.awaitExit(Duration.ofSeconds(20))).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(DURATION);
        assertThat(second.logText()).contains("Trapped \"interrupt\" signal").doesNotContain("5 of 5 clients closed");
    }

    @Test
    void signalCommandFindsTheProcessOrRefusesClearly() throws Exception {
        cluster = LocalCluster.create(dir, 3, "").start();
        JetraftCli.Result several = JetraftCli.run("--signal", "reopen");
        assertThat(several.exitCode()).isNotZero();
        assertThat(several.output()).contains("multiple jetraft processes running:")
                .contains(Long.toString(cluster.node(1).pid())).contains(Long.toString(cluster.node(2).pid()))
                .contains(Long.toString(cluster.node(3).pid()));

        JetraftCli.Result unknown = JetraftCli.run("--signal", "explode");
        assertThat(unknown.exitCode()).isNotZero();
        assertThat(unknown.output()).contains("unknown signal \"explode\"");

        JetraftCli.Result notJetraft = JetraftCli.run("--signal", "quit=1");
        assertThat(notJetraft.exitCode()).isNotZero();
        assertThat(notJetraft.output()).contains("process 1 is not a jetraft server");

        JetraftCli.Result badPid = JetraftCli.run("--signal", "quit=12ab");
        assertThat(badPid.exitCode()).isNotZero();
        assertThat(badPid.output()).contains("invalid pid: 12ab");

        JetraftCli.Result badFile = JetraftCli.run("--signal", "quit=" + dir.resolve("missing/pid"));
        assertThat(badFile.exitCode()).isNotZero();
        assertThat(badFile.output()).contains("could not read pid file");

        JetraftCli.Result byPidFile = JetraftCli.run("--signal", "reopen=" + cluster.node(1).pidFile());
        assertThat(byPidFile.exitCode()).as(byPidFile.output()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> cluster.node(1).logText().contains("Reopened log file"));

        String prefix = Long.toString(cluster.node(2).pid());
        JetraftCli.Result byGlob = JetraftCli.run("--signal", "reopen=" + prefix + "*");
        assertThat(byGlob.exitCode()).as(byGlob.output()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> cluster.node(2).logText().contains("Reopened log file"));

        JetraftCli.Result reload = JetraftCli.run("--signal", "reload=" + cluster.node(1).pid());
        assertThat(reload.exitCode()).as(reload.output()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> cluster.node(1).logText()
                .contains("Reloaded server configuration"));

        JetraftCli.Result term = JetraftCli.run("--signal", "term=" + cluster.node(3).pid());
        assertThat(term.exitCode()).as(term.output()).isZero();
        assertThat(cluster.node(3).awaitExit(Duration.ofSeconds(20))).isZero();
        assertThat(cluster.node(3).logText()).contains("Trapped \"terminated\" signal");

        JetraftCli.Result quit = JetraftCli.run("--signal", "quit=" + cluster.node(2).pid());
        assertThat(quit.exitCode()).isZero();
        assertThat(cluster.node(2).awaitExit(Duration.ofSeconds(20))).isZero();
        JetraftCli.Result stop = JetraftCli.run("--signal", "stop");
        assertThat(stop.exitCode()).as(stop.output()).isZero();
        assertThat(cluster.node(1).awaitExit(Duration.ofSeconds(20))).isEqualTo(137);
        JetraftCli.Result none = JetraftCli.run("--signal", "ldm");
        assertThat(none.exitCode()).isNotZero();
        assertThat(none.output()).contains("no jetraft processes running");
    }

    @Test
    void aJfrRecordingOnANodeDoesNotStartLameDuckMode() throws Exception {
        cluster = LocalCluster.create(dir, 1, "").start();
        NodeProcess node = cluster.node(1);
        // JFR samples threads by suspending them with the JVM's suspend signal, SIGUSR2 unless moved
        assertThat(jcmd(node, "JFR.start", "name=probe", "duration=2s", "settings=profile"))
                .contains("Started recording");
        await().atMost(Duration.ofSeconds(20)).until(() -> jcmd(node, "JFR.check").contains("(stopped)"));
        assertThat(node.isAlive()).isTrue();
        assertThat(node.status("/healthz")).isEqualTo(200);
        assertThat(node.logText()).doesNotContain("Trapped \"user defined signal 2\"")
                .doesNotContain("lame duck mode");
    }

    private static String jcmd(NodeProcess node, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(node.pid())));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            sb.append((char) b);
        }
        return sb.toString().trim();
    }


}
