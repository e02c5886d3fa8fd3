package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jetraft.cluster.harness.ClusterLogsOnFailure;
import io.jetraft.cluster.harness.JetraftCli;
import io.jetraft.cluster.harness.LocalCluster;
import io.jetraft.cluster.harness.NodeProcess;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jetraft report jetstream} and {@code jetraft check jetstream} against a real three-node cluster: natscli's
 * tables and Nagios line with its exit codes, a node down named and reported critical, {@code --wait} until the
 * cluster is whole again.
 */
@ExtendWith(ClusterLogsOnFailure.class)
class ReportAndCheckTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private Connection client;

    @AfterEach
    void stop() throws InterruptedException {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private String monitors() {
        return cluster.nodes().stream().map(n -> "http://127.0.0.1:" + n.httpPort())
                .collect(Collectors.joining(","));
    }

    @Test
    void theReportShowsEveryServerAndTheMetaGroupAndTheCheckFollowsTheClusterDownAndUp() throws Exception {
        cluster = LocalCluster.create(dir, 3, "").start();
        client = Nats.connect(new Options.Builder().servers(cluster.clientUrls()).maxReconnects(-1).build());
        JetStreamManagement jsm = client.jetStreamManagement();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> jsm.getAccountStatistics() != null);
        for (String s : List.of("ORDERS", "EVENTS")) {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> jsm.addStream(StreamConfiguration
                    .builder().name(s).subjects(s.toLowerCase() + ".>").replicas(3).build()) != null);
        }
        jsm.addOrUpdateConsumer("ORDERS", ConsumerConfiguration.builder().durable("worker").build());
        JetStream js = client.jetStream();
        for (int i = 0; i < 10; i++) {
            js.publish("orders.new", ("o" + i).getBytes());
        }
        for (NodeProcess n : cluster.nodes()) {
            n.awaitHealthy(Duration.ofSeconds(30));
        }

        // every node answers, the meta leader is starred, the meta table comes from the leader
        JetraftCli.Result check = JetraftCli.run("check", "jetstream", "--server", monitors(), "--wait", "30s");
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).startsWith("OK JetStream").contains("3 peers led by").contains("peers=3");

        JetraftCli.Result report = JetraftCli.run("report", "jetstream", "--server", monitors());
        assertThat(report.exitCode()).as(report.output()).isZero();
        String leader = cluster.node(1).json("/jsz").path("meta_cluster").path("leader").asText();
        assertThat(report.output()).contains("JetStream Summary", "Server", "Cluster", "Streams", "Consumers",
                "Messages", "Bytes", "Memory", "File", "API Req", "Pending", leader + "*",
                "RAFT Meta Group Information", "Connection Name", "ID", "Leader", "Current", "Online", "Active",
                "Lag");
        for (NodeProcess n : cluster.nodes()) {
            assertThat(report.output()).contains(n.name());
        }

        JetraftCli.Result asJson = JetraftCli.run("report", "jetstream", "--json", "--server", monitors());
        assertThat(asJson.exitCode()).as(asJson.output()).isZero();
        JsonNode j = JSON.readTree(asJson.output());
        assertThat(j.path("servers")).hasSize(3);
        assertThat(j.path("meta_leader").asText()).isEqualTo(leader);
        assertThat(j.path("meta_group")).hasSize(3);
        assertThat(j.path("missing")).isEmpty();
        long streams = 0;
        for (JsonNode s : j.path("servers")) {
            streams = Math.max(streams, s.path("streams").asLong());
        }
        assertThat(streams).isEqualTo(2);

        // a node down: the others still report, the missing one is named, the check is critical
        NodeProcess down = cluster.node(3);
        down.kill9();
        JetraftCli.Result partial = JetraftCli.run("report", "jetstream", "--server", monitors());
        assertThat(partial.output()).contains("JetStream Summary", cluster.node(1).name(), cluster.node(2).name())
                .contains("127.0.0.1:" + down.httpPort() + " did not answer");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JetraftCli.Result critical = JetraftCli.run("check", "jetstream", "--server", monitors());
            assertThat(critical.exitCode()).as(critical.output()).isEqualTo(2);
            assertThat(critical.output()).startsWith("CRITICAL JetStream").contains("did not answer")
                    .contains("unhealthy streams");
        });

        // back again: --wait polls until every replica is current
        down.start();
        JetraftCli.Result whole = JetraftCli.run("check", "jetstream", "--server", monitors(), "--wait", "50s");
        assertThat(whole.exitCode()).as(whole.output()).isZero();
        assertThat(whole.output()).startsWith("OK JetStream");

        // nothing answers: UNKNOWN
        JetraftCli.Result nobody = JetraftCli.run("check", "jetstream", "--server", "http://127.0.0.1:1");
        assertThat(nobody.exitCode()).as(nobody.output()).isEqualTo(3);
        assertThat(nobody.output()).startsWith("UNKNOWN JetStream");
        // bad thresholds are an UNKNOWN, not a crash
        JetraftCli.Result bad = JetraftCli.run("check", "jetstream", "--server", monitors(),
                "--replica-seen-critical", "soon");
        assertThat(bad.exitCode()).as(bad.output()).isEqualTo(3);
    }
}
