package io.jetraft.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three in-process jetraft nodes, shaped as examples/cluster, against the three nodes of the recorded nats-server
 * 2.9 cluster: the meta leader against the sample's meta leader (n3), the node the client uses against the sample's
 * (n1), the third against n2.
 */
class ClusterMonitoringShapeTest {

    @TempDir
    Path dir;

    private final int[] clusterPorts = {Ports.free(), Ports.free(), Ports.free()};
    private final int[] raftPorts = {Ports.free(), Ports.free(), Ports.free()};
    private final JetraftNode[] nodes = new JetraftNode[3];

    @BeforeEach
    void start() {
        for (int i = 0; i < 3; i++) {
            nodes[i] = JetraftNode.start(TestConfigs.node().name("n" + (i + 1)).cluster("dev", clusterPorts[i],
                    clusterPorts).raftPort(raftPorts[i]).jetstream(dir.resolve("n" + (i + 1))).build());
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

    @AfterEach
    void stop() {
        for (JetraftNode n : nodes) {
            if (n != null) {
                n.shutdown();
            }
        }
    }

    private int index(String name) {
        return Integer.parseInt(name.substring(1)) - 1;
    }

    @Test
    void everyNodeCarriesEveryFieldItsNatsServerCounterpartPrints() throws Exception {
        int metaLeader = index(nodes[0].jetstream().raftNode().meta().leader().orElseThrow());
        int client = (metaLeader + 1) % 3;
        int third = (metaLeader + 2) % 3;
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + nodes[client].clientPort());
             MonitorSampleSetup setup = MonitorSampleSetup.apply(nc, 3)) {
            for (JetraftNode n : nodes) {
                MonitoringShapeTest.awaitConsumerProgress(n.httpPort());
            }
            awaitStreamReplicasCurrent();
            List<String> differences = new ArrayList<>();
            differences.addAll(NatsServerSamples.differences("cluster/n3", nodes[metaLeader].httpPort()));
            differences.addAll(NatsServerSamples.differences("cluster/n1", nodes[client].httpPort()));
            differences.addAll(NatsServerSamples.differences("cluster/n2", nodes[third].httpPort()));
            assertThat(differences).withFailMessage("%s", String.join("\n", differences)).isEmpty();

            JsonNode varz = NatsServerSamples.parse(NatsServerSamples.get(nodes[metaLeader].httpPort(), "/varz"), "");
            assertThat(varz.path("connect_urls")).hasSize(3);
            assertThat(varz.path("jetstream").path("meta").path("replicas")).hasSize(2);
            JsonNode follower = NatsServerSamples.parse(NatsServerSamples.get(nodes[client].httpPort(), "/jsz"), "");
            assertThat(follower.path("meta_cluster").has("replicas")).as("listed by the meta leader only").isFalse();
            assertThat(follower.path("meta_cluster").path("peer").asText())
                    .as("the leader's peer id, as nats-server prints it")
                    .isEqualTo(varz.path("jetstream").path("meta").path("peer").asText());
        }
    }

    @Test
    void aStoppedReplicaIsShownOfflineAndLaggingByTheStreamLeader() throws Exception {
        int metaLeader = index(nodes[0].jetstream().raftNode().meta().leader().orElseThrow());
        int client = (metaLeader + 1) % 3;
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + nodes[client].clientPort());
             MonitorSampleSetup setup = MonitorSampleSetup.apply(nc, 3)) {
            int leader = index(nodes[client].jetstream().raftNode().streams().leader(MonitorSampleSetup.STREAM)
                    .orElseThrow());
            int victim = 3 - leader - (client == leader ? (client + 1) % 3 : client);
            String victimName = "n" + (victim + 1);
            nodes[victim].shutdown();
            nodes[victim] = null;
            for (int i = 0; i < 3; i++) {
                nc.jetStream().publish(MonitorSampleSetup.SUBJECTS.get(0), ("after " + i).getBytes());
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                JsonNode replica = replica(MonitoringShapeTest.jszStream(nodes[leader].httpPort()), victimName);
                assertThat(replica.path("offline").asBoolean()).isTrue();
                assertThat(replica.path("current").asBoolean()).isFalse();
                assertThat(replica.path("lag").asLong()).isPositive();
            });
        }
    }

    /** Waits until the stream's leader sees both other replicas current (only a leader knows that of them). */
    private void awaitStreamReplicasCurrent() {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            int leader = index(nodes[0].jetstream().raftNode().streams().leader(MonitorSampleSetup.STREAM)
                    .orElseThrow());
            JsonNode cluster = MonitoringShapeTest.jszStream(nodes[leader].httpPort()).path("cluster");
            assertThat(cluster.path("replicas")).hasSize(2);
            assertThat(cluster.path("leader").asText()).isNotEmpty();
            for (JsonNode r : cluster.path("replicas")) {
                assertThat(r.path("current").asBoolean()).as(r.toString()).isTrue();
            }
            // and every node healthy (the samples' /healthz says ok): a meta follower still applying the sample's
            // stream and consumers, or one that a loaded machine kept from hearing its leader for 2 s, says 503
            for (JetraftNode n : nodes) {
                assertThat(n.jetstream().healthProblem()).as(n.config().serverName()).isEmpty();
            }
        });
    }

    private static JsonNode replica(JsonNode streamDetail, String name) {
        for (JsonNode r : streamDetail.path("cluster").path("replicas")) {
            if (r.path("name").asText().equals(name)) {
                return r;
            }
        }
        throw new AssertionError("no replica " + name + " in " + streamDetail.path("cluster"));
    }
}
