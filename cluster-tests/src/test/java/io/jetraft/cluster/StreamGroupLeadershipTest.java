package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jetraft.cluster.harness.ClusterLogsOnFailure;
import io.jetraft.cluster.harness.LocalCluster;
import io.jetraft.cluster.harness.NodeProcess;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.ClusterInfo;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream's leader is its stream group's leader, on real processes: a step-down moves every stream of the group
 * (and the group stays with its new leader), placement.preferred puts a stream on the group that peer prefers, and a
 * kill -9 of a group's leader has every stream of the group led elsewhere without losing an acknowledged message.
 */
@ExtendWith(ClusterLogsOnFailure.class)
class StreamGroupLeadershipTest {

    private static final int STREAMS = 12;
    private static final ObjectMapper JSON = new ObjectMapper();

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

    private Connection connect(String... urls) throws Exception {
        Connection c = Nats.connect(new Options.Builder().servers(urls).maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(100)).connectionTimeout(Duration.ofSeconds(10)).build());
        connections.add(c);
        return c;
    }

    private JetStreamManagement startWithStreams() throws Exception {
        cluster = LocalCluster.create(dir, 3, "").start();
        JetStreamManagement jsm = connect(cluster.clientUrls()).jetStreamManagement(
                JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(10)).build());
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> jsm.getAccountStatistics() != null);
        for (int i = 0; i < STREAMS; i++) {
            int n = i;
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> jsm.addStream(
                    StreamConfiguration.builder().name("S" + n).subjects("s." + n).replicas(3).build()) != null);
        }
        return jsm;
    }

    /**
     * Each stream's leader, once the three groups are led by three nodes (one group each: the balancer's work) and
     * the map held for 1.5 s: a map read while the balancer moves groups can look balanced with a group half moved.
     */
    private static Map<String, String> balancedLeaders(JetStreamManagement jsm) {
        Map<String, String> leaders = new HashMap<>();
        Map<String, String> previous = new HashMap<>();
        long[] sameSince = {0};
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
            leaders.clear();
            for (int i = 0; i < STREAMS; i++) {
                leaders.put("S" + i, jsm.getStreamInfo("S" + i).getClusterInfo().getLeader());
            }
            boolean balanced = new HashSet<>(leaders.values()).size() == 3 && !leaders.containsValue(null)
                    && !leaders.containsValue("") && leaders.values().stream().distinct()
                    .allMatch(n -> ledBy(leaders, n).size() == STREAMS / 3);
            if (!balanced || !leaders.equals(previous)) {
                previous.clear();
                previous.putAll(leaders);
                sameSince[0] = System.nanoTime();
                return false;
            }
            return System.nanoTime() - sameSince[0] >= Duration.ofMillis(1500).toNanos();
        });
        return leaders;
    }

    private static List<String> ledBy(Map<String, String> leaders, String node) {
        return leaders.entrySet().stream().filter(e -> e.getValue().equals(node)).map(Map.Entry::getKey).sorted()
                .toList();
    }

    @Test
    void aStepDownMovesEveryStreamOfTheGroupWhichStaysWithItsNewLeader() throws Exception {
        JetStreamManagement jsm = startWithStreams();
        Connection admin = connections.get(0);
        Map<String, String> before = balancedLeaders(jsm);
        String old = before.get("S0");
        List<String> group = ledBy(before, old);
        assertThat(group).hasSizeGreaterThan(1);

        JsonNode reply = JSON.readTree(admin.request("$JS.API.STREAM.LEADER.STEPDOWN.S0", new byte[0],
                Duration.ofSeconds(10)).getData());
        assertThat(reply.path("success").asBoolean()).as(reply.toString()).isTrue();

        // every stream of S0's group moved with it, to the same node; the other groups stayed where they were
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> group.stream()
                .map(s -> leaderOf(jsm, s)).allMatch(l -> !l.isEmpty() && !l.equals(old)));
        String now = leaderOf(jsm, "S0");
        for (String s : group) {
            assertThat(leaderOf(jsm, s)).as(s).isEqualTo(now);
        }
        for (Map.Entry<String, String> e : before.entrySet()) {
            if (!group.contains(e.getKey())) {
                assertThat(leaderOf(jsm, e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
            }
        }
        // the cluster block shows the group's leader and its other replicas
        ClusterInfo ci = jsm.getStreamInfo("S0").getClusterInfo();
        assertThat(ci.getLeader()).isEqualTo(now);
        assertThat(ci.getReplicas()).extracting(r -> r.getName()).containsExactlyInAnyOrderElementsOf(
                cluster.nodes().stream().map(NodeProcess::name).filter(n -> !n.equals(now)).toList());
        // and the group stays with its new leader (it became the preferred one): longer than the balancer waits
        await().during(Duration.ofSeconds(7)).atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> now.equals(leaderOf(jsm, "S0")));
    }

    @Test
    void placementPreferredPutsANewStreamOnTheGroupThatPeerLeads() throws Exception {
        JetStreamManagement jsm = startWithStreams();
        Connection admin = connections.get(0);
        balancedLeaders(jsm);
        for (NodeProcess n : cluster.nodes()) {
            String name = "P_" + n.name();
            String create = "{\"name\":\"" + name + "\",\"subjects\":[\"p." + n.name() + "\"],\"num_replicas\":3,"
                    + "\"placement\":{\"preferred\":\"" + n.name() + "\"}}";
            JsonNode r = JSON.readTree(admin.request("$JS.API.STREAM.CREATE." + name,
                    create.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10)).getData());
            assertThat(r.has("error")).as(r.toString()).isFalse();
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> n.name().equals(leaderOf(jsm,
                    name)));
        }
        JsonNode bad = JSON.readTree(admin.request("$JS.API.STREAM.CREATE.P_X",
                "{\"name\":\"P_X\",\"subjects\":[\"p.x\"],\"placement\":{\"preferred\":\"nobody\"}}"
                        .getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10)).getData());
        assertThat(bad.path("error").path("err_code").asInt()).isEqualTo(10005);
    }

    @Test
    void killingAGroupLeaderMovesEveryStreamOfTheGroupAndLosesNoAcknowledgedMessage() throws Exception {
        JetStreamManagement jsm = startWithStreams();
        Map<String, String> before = balancedLeaders(jsm);
        NodeProcess victim = cluster.nodes().stream().filter(n -> n.name().equals(before.get("S0"))).findFirst()
                .orElseThrow();
        List<String> group = ledBy(before, victim.name());
        String[] others = cluster.nodes().stream().filter(n -> n != victim).map(NodeProcess::clientUrl)
                .toArray(String[]::new);
        JetStream js = connect(others).jetStream();
        JetStreamManagement check = connect(others).jetStreamManagement(
                JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(10)).build());
        Map<String, Set<String>> acked = new ConcurrentHashMap<>();
        AtomicBoolean publishing = new AtomicBoolean(true);
        Thread publisher = new Thread(() -> {
            long k = 0;
            boolean unacknowledged = false;
            // a message is published until it is acknowledged, even after the stop (it may be stored already)
            while (publishing.get() || unacknowledged) {
                String stream = "S" + (k % STREAMS);
                String id = "m-" + k;
                try {
                    js.publish("s." + (k % STREAMS), id.getBytes(), PublishOptions.builder().messageId(id).build());
                    acked.computeIfAbsent(stream, s -> ConcurrentHashMap.newKeySet()).add(id);
                    k++;
                    unacknowledged = false;
                } catch (Exception retryTheSameId) {
                    // until acknowledged: the server de-duplicates on the message id
                    unacknowledged = true;
                }
            }
        }, "publisher");
        publisher.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> acked.values().stream().mapToInt(Set::size).sum() > 200);

        NodeProcess survivor = cluster.nodes().stream().filter(n -> n != victim).findFirst().orElseThrow();
        long killed = System.nanoTime();
        victim.kill9();
        long[] ledElsewhereAfter = new long[2];
        // as a surviving node sees it (its /jsz), then as a client does (stream info through the API)
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).ignoreExceptions().until(() -> {
            for (JsonNode s : survivor.json("/jsz?streams=true").path("account_details").path(0)
                    .path("stream_detail")) {
                String l = s.path("cluster").path("leader").asText("");
                if (group.contains(s.path("name").asText()) && (l.isEmpty() || l.equals(victim.name()))) {
                    return false;
                }
            }
            ledElsewhereAfter[0] = (System.nanoTime() - killed) / 1_000_000;
            return true;
        });
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            for (String s : group) {
                String l = leaderOf(check, s);
                if (l.isEmpty() || l.equals(victim.name())) {
                    return false;
                }
            }
            ledElsewhereAfter[1] = (System.nanoTime() - killed) / 1_000_000;
            return true;
        });
        System.out.printf("MEASURED: after kill -9 of %s, all %d streams of its group were led elsewhere %d ms later "
                + "(as %s saw it; through the API: %d ms)%n", victim.name(), group.size(), ledElsewhereAfter[0],
                survivor.name(), ledElsewhereAfter[1]);
        int before2 = acked.values().stream().mapToInt(Set::size).sum();
        await().atMost(Duration.ofSeconds(30)).until(() -> acked.values().stream().mapToInt(Set::size).sum()
                > before2 + 100);
        publishing.set(false);
        publisher.join();
        for (int i = 0; i < STREAMS; i++) {
            String s = "S" + i;
            long stored = check.getStreamInfo(s).getStreamState().getMsgCount();
            assertThat(stored).as("messages of " + s).isEqualTo(acked.getOrDefault(s, Set.of()).size());
        }
        victim.start().awaitHealthy(Duration.ofSeconds(60));
    }

    /** The stream's leader by its stream info, or "" while it cannot be had (no leader yet, a timeout). */
    private static String leaderOf(JetStreamManagement jsm, String stream) {
        try {
            String l = jsm.getStreamInfo(stream).getClusterInfo().getLeader();
            return l == null ? "" : l;
        } catch (Exception e) {
            return "";
        }
    }
}
