package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.jetraft.cluster.harness.ClusterLogsOnFailure;
import io.jetraft.cluster.harness.LocalCluster;
import io.jetraft.cluster.harness.NodeProcess;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The JetStream meta group forms from the configuration alone, whatever order the nodes start in. */
@ExtendWith(ClusterLogsOnFailure.class)
class MetaFormationTest {

    @TempDir
    Path dir;

    private LocalCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static int health(NodeProcess n) {
        try {
            return n.status("/healthz");
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void nodesStartedOneByOneInAnyOrderFormOneMetaGroupAndARestartedNodeRejoinsAsItself() throws Exception {
        cluster = LocalCluster.create(dir, 3, "");
        NodeProcess n1 = cluster.node(1);
        NodeProcess n2 = cluster.node(2);
        NodeProcess n3 = cluster.node(3);
        n3.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> health(n3) == 503);
        JsonNode waiting = n3.json("/healthz");
        assertThat(waiting.get("error").asText()).isEqualTo("JetStream has not established contact with a meta leader");
        n1.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> health(n1) == 503);
        assertThat(health(n3)).as("two of three configured peers: still waiting for the third").isEqualTo(503);
        n2.start();
        for (NodeProcess n : cluster.nodes()) {
            n.awaitHealthy(Duration.ofSeconds(60));
        }
        try (Connection nc = Nats.connect(n2.clientUrl())) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("FORMED").subjects("formed").replicas(3).build());
            nc.jetStream().publish("formed", "1".getBytes());
        }

        n1.kill9();
        n1.start().awaitHealthy(Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String leader = n1.json("/jsz").get("meta_cluster").get("leader").asText();
            NodeProcess metaLeader = cluster.nodes().stream().filter(n -> n.name().equals(leader)).findFirst()
                    .orElseThrow();
            JsonNode meta = metaLeader.json("/jsz").get("meta_cluster");
            assertThat(meta.get("cluster_size").asInt()).isEqualTo(3);
            assertThat(meta.get("replicas")).hasSize(2);
            meta.get("replicas").forEach(r -> assertThat(r.get("current").asBoolean()).as(r.toString()).isTrue());
        });
        try (Connection nc = Nats.connect(n1.clientUrl())) {
            assertThat(nc.jetStreamManagement().getStreamInfo("FORMED").getStreamState().getMsgCount()).isEqualTo(1);
        }
    }
}
