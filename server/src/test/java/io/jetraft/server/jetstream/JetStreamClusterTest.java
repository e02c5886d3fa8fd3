package io.jetraft.server.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JetStream on three in-process nodes: R3 streams, used through any node. */
class JetStreamClusterTest {

    @TempDir
    Path dir;

    private final int[] clusterPorts = {Ports.free(), Ports.free(), Ports.free()};
    private final int[] clientPorts = {Ports.free(), Ports.free(), Ports.free()};
    private final int[] raftPorts = {Ports.free(), Ports.free(), Ports.free()};
    private final JetraftNode[] nodes = new JetraftNode[3];
    private final List<Connection> connections = new ArrayList<>();

    @BeforeEach
    void start() {
        for (int i = 0; i < 3; i++) {
            nodes[i] = startNode(i);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (JetraftNode n : nodes) {
                if (n.jetstream().raftNode().meta().peers().size() != 3
                        || n.jetstream().raftNode().meta().leader().isEmpty()) {
                    return false;
                }
            }
            return true;
        });
    }

    private JetraftNode startNode(int i) {
        return JetraftNode.start(TestConfigs.node().name("n" + (i + 1)).port(clientPorts[i])
                .cluster("c1", clusterPorts[i], clusterPorts).raftPort(raftPorts[i])
                .jetstream(dir.resolve("n" + (i + 1))).build());
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (Connection c : connections) {
            c.close();
        }
        for (JetraftNode n : nodes) {
            if (n != null) {
                n.shutdown();
            }
        }
    }

    private Connection connect(int i) throws Exception {
        Connection c = Nats.connect(new io.nats.client.Options.Builder().server("nats://127.0.0.1:" + clientPorts[i])
                .maxReconnects(-1).reconnectWait(Duration.ofMillis(200)).build());
        connections.add(c);
        return c;
    }

    @Test
    void anR3StreamIsUsedThroughEveryNode() throws Exception {
        JetStreamManagement jsm = connect(0).jetStreamManagement();
        StreamInfo created = jsm.addStream(StreamConfiguration.builder().name("R3").subjects("r3.>").replicas(3)
                .build());
        assertThat(created.getConfiguration().getReplicas()).isEqualTo(3);
        for (int i = 0; i < 3; i++) {
            JetStream js = connect(i).jetStream();
            for (int k = 0; k < 10; k++) {
                assertThat(js.publish("r3.n" + i, ("m" + k).getBytes()).getStream()).isEqualTo("R3");
            }
        }
        for (int i = 0; i < 3; i++) {
            StreamInfo info = connect(i).jetStreamManagement().getStreamInfo("R3");
            assertThat(info.getStreamState().getMsgCount()).isEqualTo(30);
            assertThat(info.getClusterInfo().getLeader()).isNotEmpty();
            assertThat(info.getClusterInfo().getReplicas()).hasSize(2);
        }
        JetStreamManagement other = connect(2).jetStreamManagement();
        other.addOrUpdateConsumer("R3", ConsumerConfiguration.builder().durable("C").build());
        JetStreamSubscription sub = connect(1).jetStream().subscribe(null, PullSubscribeOptions.bind("R3", "C"));
        List<Message> got = sub.fetch(30, Duration.ofSeconds(5));
        assertThat(got).hasSize(30);
        for (Message m : got) {
            assertThat(m.isJetStream()).as("%s %s %s", m.getSubject(), m.getReplyTo(), m.getStatus()).isTrue();
            m.ack();
        }
    }

    /**
     * R1 streams created through a node that holds no replica of their group are answered as soon as their leader
     * serves them, naming that leader (before, such a node waited 10 s for a leader it could not see, past jnats's
     * 2 s timeout, and then answered without one).
     */
    @Test
    void r1StreamsCreatedThroughANodeWithoutTheirReplicaAreAnsweredWithTheirLeader() throws Exception {
        Connection c = connect(0);
        JetStreamManagement jsm = c.jetStreamManagement();
        JetStream js = c.jetStream();
        java.util.Set<String> leaders = new java.util.TreeSet<>();
        for (int i = 0; i < 6; i++) {
            StreamInfo created = jsm.addStream(StreamConfiguration.builder().name("ONE" + i).subjects("one" + i)
                    .replicas(1).build());
            assertThat(created.getClusterInfo().getLeader()).as("leader of ONE%d", i).isNotEmpty();
            leaders.add(created.getClusterInfo().getLeader());
            assertThat(js.publish("one" + i, "x".getBytes()).getSeqno()).isEqualTo(1);
            // and so is a consumer created through that node (it waited 5 s for a leader it could not see, past
            // jnats's 2 s timeout: "Timeout or no response waiting for NATS JetStream server")
            ConsumerInfo ci = jsm.addOrUpdateConsumer("ONE" + i, ConsumerConfiguration.builder().durable("d").build());
            assertThat(ci.getNumPending()).as("pending of ONE%d's consumer", i).isEqualTo(1);
        }
        assertThat(leaders).as("R1 streams are spread over the nodes").hasSizeGreaterThan(1);
    }

    /**
     * An R2 stream on three nodes leaves one node without a replica (as an R3 stream on five nodes leaves two): a
     * create through that node is answered with the leader's info, naming the leader and its replica (it named no
     * leader: that node's view knows none).
     */
    @Test
    void streamsCreatedThroughANodeWithoutAReplicaAreAnsweredWithTheLeadersInfo() throws Exception {
        List<String> wrong = new ArrayList<>();
        int throughNonReplica = 0;
        // placement is random: streams are created, through each node in turn, until three went through a node
        // that holds no replica of theirs
        for (int i = 0; i < 40 && throughNonReplica < 3; i++) {
            JetStreamManagement jsm = connect(i % 3).jetStreamManagement();
            StreamInfo created = jsm.addStream(StreamConfiguration.builder().name("TWO" + i).subjects("two" + i)
                    .replicas(2).build());
            if (nodes[i % 3].jetstream().raftNode().streams().hosts("TWO" + i)) {
                continue;
            }
            throughNonReplica++;
            String leader = created.getClusterInfo().getLeader();
            int replicas = created.getClusterInfo().getReplicas() == null ? 0
                    : created.getClusterInfo().getReplicas().size();
            if (leader == null || leader.isEmpty() || replicas != 1) {
                wrong.add("TWO" + i + " through n" + (i % 3 + 1) + ": leader '" + leader + "', " + replicas
                        + " replica(s)");
            }
        }
        assertThat(throughNonReplica).isEqualTo(3);
        assertThat(wrong).isEmpty();
    }

    @Test
    void aStepDownMovesTheLeaderToThePreferredPeer() throws Exception {
        Connection nc = connect(0);
        JetStreamManagement jsm = nc.jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name("MOVE").subjects("move").replicas(3).build());
        String leader = jsm.getStreamInfo("MOVE").getClusterInfo().getLeader();
        String target = leader.equals("n2") ? "n3" : "n2";
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
            Message r = nc.request("$JS.API.STREAM.LEADER.STEPDOWN.MOVE",
                    ("{\"placement\":{\"preferred\":\"" + target + "\"}}").getBytes(), Duration.ofSeconds(5));
            assertThat(new String(r.getData())).contains("\"success\":true");
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> target.equals(jsm.getStreamInfo("MOVE").getClusterInfo()
                .getLeader()));
        Message bad = nc.request("$JS.API.STREAM.LEADER.STEPDOWN.MOVE",
                "{\"placement\":{\"preferred\":\"nobody\"}}".getBytes(), Duration.ofSeconds(5));
        assertThat(new String(bad.getData())).contains("10040");
        assertThat(connect(1).jetStream().publish("move", "still".getBytes()).getSeqno()).isEqualTo(1);
    }

    private com.fasterxml.jackson.databind.JsonNode http(int node, String path) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + nodes[node].httpPort()
                        + path)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    }

    @Test
    void jszShowsTheMetaGroupAndStreamReplicasAndHealthzIsOk() throws Exception {
        JetStreamManagement jsm = connect(0).jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name("JSZ").subjects("jsz.>").replicas(3).build());
        connect(0).jetStream().publish("jsz.1", "x".getBytes());
        String metaLeader = nodes[0].jetstream().raftNode().meta().leader().orElseThrow();
        int leaderIndex = Integer.parseInt(metaLeader.substring(1)) - 1;
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            com.fasterxml.jackson.databind.JsonNode jsz = http(leaderIndex, "/jsz?streams=true&consumers=true");
            assertThat(jsz.get("streams").asInt()).isEqualTo(1);
            assertThat(jsz.get("meta_cluster").get("leader").asText()).isEqualTo(metaLeader);
            assertThat(jsz.get("meta_cluster").get("cluster_size").asInt()).isEqualTo(3);
            assertThat(jsz.get("meta_cluster").get("peer").asText()).hasSize(8);
            assertThat(jsz.get("meta_cluster").get("replicas")).hasSize(2);
            jsz.get("meta_cluster").get("replicas").forEach(r -> {
                assertThat(r.get("current").asBoolean()).isTrue();
                assertThat(r.has("active") && r.has("peer") && r.has("name")).isTrue();
            });
            com.fasterxml.jackson.databind.JsonNode stream = jsz.get("account_details").get(0).get("stream_detail")
                    .get(0);
            assertThat(stream.get("name").asText()).isEqualTo("JSZ");
            assertThat(stream.get("cluster").get("replicas")).hasSizeLessThanOrEqualTo(2);
        });
        for (int i = 0; i < 3; i++) {
            int n = i;
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(http(n, "/healthz").get("status").asText()).isEqualTo("ok"));
        }
    }

    @Test
    void tooManyReplicasAreRefused() throws Exception {
        JetStreamManagement jsm = connect(1).jetStreamManagement();
        assertThatThrownBy(() -> jsm.addStream(StreamConfiguration.builder().name("R5").subjects("r5").replicas(5)
                .build())).isInstanceOf(JetStreamApiException.class).hasMessageContaining("10023");
    }

    @Test
    void acknowledgedMessagesSurviveTheLossOfTheLeader() throws Exception {
        JetStreamManagement jsm = connect(0).jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name("SAFE").subjects("safe").replicas(3).build());
        JetStream js = connect(0).jetStream();
        for (int k = 0; k < 50; k++) {
            js.publish("safe", Integer.toString(k).getBytes());
        }
        String leader = jsm.getStreamInfo("SAFE").getClusterInfo().getLeader();
        int leaderIndex = Integer.parseInt(leader.substring(1)) - 1;
        nodes[leaderIndex].shutdown();
        int survivor = (leaderIndex + 1) % 3;
        JetStreamManagement jsm2 = connect(survivor).jetStreamManagement();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
            StreamInfo info = jsm2.getStreamInfo("SAFE");
            assertThat(info.getClusterInfo().getLeader()).isNotEqualTo(leader);
            assertThat(info.getStreamState().getMsgCount()).isEqualTo(50);
        });
        JetStream js2 = connect(survivor).jetStream();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> js2.publish("safe", "after".getBytes()).getSeqno() == 51);
        nodes[leaderIndex] = startNode(leaderIndex);
    }
}
