package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.cluster.harness.ClusterLogsOnFailure;
import io.jetraft.cluster.harness.JetraftCli;
import io.jetraft.cluster.harness.LocalCluster;
import io.jetraft.cluster.harness.NodeProcess;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lame-duck mode with JetStream: the leaving node leads many R3 streams; within about a second every leadership is
 * on another node, Raft is shut down before any client hears "ldm", JetStream publishes go on through the new
 * leaders, and nothing acknowledged is lost.
 */
@ExtendWith(ClusterLogsOnFailure.class)
class LameDuckJetStreamTest {

    private static final int STREAMS = Integer.getInteger("jetraft.ldm.streams", 100);

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

    private Connection connect(NodeProcess n, ConnectionListener listener) throws Exception {
        Options.Builder b = new Options.Builder().server(n.clientUrl()).maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(200)).connectionTimeout(Duration.ofSeconds(10));
        if (listener != null) {
            b.connectionListener(listener);
        }
        Connection c = Nats.connect(b.build());
        connections.add(c);
        return c;
    }

    @Test
    void everyLeadershipMovesBeforeClientsAreToldAndNoAcknowledgedMessageIsLost() throws Exception {
        cluster = LocalCluster.create(dir, 3, "").start();
        NodeProcess leaving = cluster.node(3);
        Connection admin = connect(cluster.node(1), null);
        JetStreamManagement jsm = admin.jetStreamManagement();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> jsm.getAccountStatistics() != null);

        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> creations = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            int n = i;
            creations.add(pool.submit(() -> {
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> jsm.addStream(
                        StreamConfiguration.builder().name("S" + n).subjects("s." + n).replicas(3).build()) != null);
                return null;
            }));
        }
        for (Future<?> f : creations) {
            f.get();
        }
        // put every stream's leadership on the node that will leave
        List<Future<?>> moves = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            String stream = "S" + i;
            moves.add(pool.submit(() -> {
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                    if (leaving.name().equals(jsm.getStreamInfo(stream).getClusterInfo().getLeader())) {
                        return true;
                    }
                    admin.request("$JS.API.STREAM.LEADER.STEPDOWN." + stream,
                            ("{\"placement\":{\"preferred\":\"" + leaving.name() + "\"}}").getBytes(),
                            Duration.ofSeconds(5));
                    return false;
                });
                return null;
            }));
        }
        for (Future<?> f : moves) {
            f.get();
        }
        pool.shutdown();
        // every replica of every stream current on every node before the node leaves, as a rolling upgrade waits
        for (int i = 1; i <= 3; i++) {
            cluster.node(i).awaitHealthy(Duration.ofSeconds(60));
        }

        // a publisher on the leaving node, with message ids, the whole time
        Connection publisherConnection = connect(leaving, null);
        JetStream js = publisherConnection.jetStream();
        Set<String> acked = ConcurrentHashMap.newKeySet();
        AtomicBoolean publishing = new AtomicBoolean(true);
        AtomicLong failures = new AtomicLong();
        Thread publisher = new Thread(() -> {
            long k = 0;
            while (publishing.get()) {
                String id = "m-" + k;
                try {
                    PublishAck a = js.publish("s." + (k % STREAMS), id.getBytes(),
                            PublishOptions.builder().messageId(id).build());
                    acked.add(a.getStream() + "/" + id);
                    k++;
                } catch (Exception e) {
                    failures.incrementAndGet();
                }
            }
        });
        publisher.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> acked.size() >= 20);

        // what a client of the leaving node sees when it hears "ldm"
        AtomicReference<String> raftPortAtLdm = new AtomicReference<>();
        Connection watcher = connect(leaving, (conn, event) -> {
            if (event == ConnectionListener.Events.LAME_DUCK && raftPortAtLdm.get() == null) {
                raftPortAtLdm.set(accepts(leaving.raftPort()) ? "open" : "closed");
            }
        });
        assertThat(watcher.getStatus()).isEqualTo(Connection.Status.CONNECTED);

        JetraftCli.Result signal = JetraftCli.run("--signal", "ldm=" + leaving.pid());
        assertThat(signal.exitCode()).as(signal.output()).isZero();
        await().atMost(Duration.ofSeconds(20)).until(() -> raftPortAtLdm.get() != null);
        assertThat(raftPortAtLdm.get()).as("the Raft port when clients hear ldm").isEqualTo("closed");
        // every stream is led elsewhere: moved by the transfer, or elected once the leaving node's Raft closed
        for (int i = 0; i < STREAMS; i++) {
            String stream = "S" + i;
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
                String leader = jsm.getStreamInfo(stream).getClusterInfo().getLeader();
                return leader != null && !leader.isEmpty() && !leader.equals(leaving.name());
            });
        }
        assertThat(leaving.awaitExit(Duration.ofSeconds(60))).isZero();

        String log = leaving.logText();
        Matcher m = Pattern.compile("step 2/10 leadership transfer: (\\d+) groups in (\\d+) ms: (\\d+) moved")
                .matcher(log);
        assertThat(m.find()).as("transfer report in the log").isTrue();
        int groups = Integer.parseInt(m.group(1));
        long tookMillis = Long.parseLong(m.group(2));
        int moved = Integer.parseInt(m.group(3));
        System.out.printf("LDM leadership transfer: %d groups, %d moved, in %d ms%n", groups, moved, tookMillis);
        // the streams share the replica set's three stream groups (all led here): the groups, not the streams, move
        assertThat(groups).isBetween(3, 4);
        assertThat(tookMillis).as("all groups in parallel, bounded to about one second").isLessThan(2000);
        long perGroup = log.lines().filter(l -> l.matches(".* -> \\S+: (MOVED|NO_CURRENT_FOLLOWER|TIMED_OUT|FAILED) "
                + "in \\d+ ms .*")).count();
        assertThat(perGroup).as("every group is logged with its target, outcome and time").isEqualTo(groups);
        assertThat(moved).as("moved groups").isBetween(0, groups);
        assertThat(log.indexOf("step 4/10")).isLessThan(log.indexOf("step 7/10"));

        // publishing goes on through the new leaders; every acknowledged message is stored exactly once
        long before = acked.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() > before + 50);
        publishing.set(false);
        publisher.join();
        JetStreamManagement check = connect(cluster.node(2), null).jetStreamManagement();
        long stored = 0;
        for (int i = 0; i < STREAMS; i++) {
            stored += check.getStreamInfo("S" + i).getStreamState().getMsgCount();
        }
        assertThat(stored).as("messages stored (publish retries dedupe on the message id)").isEqualTo(acked.size());
        System.out.printf("LDM: %d messages acknowledged, %d publish attempts failed during the move%n",
                acked.size(), failures.get());
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
