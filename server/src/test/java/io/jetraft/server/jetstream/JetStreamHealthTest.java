package io.jetraft.server.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /healthz follows JetStream: unavailable until the meta group forms, ok once it has and is current. */
class JetStreamHealthTest {

    @TempDir
    Path dir;

    private static HttpResponse<String> healthz(JetraftNode n) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.httpPort()
                + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aNodeWaitingForItsPeersIsUnavailableUntilTheMetaGroupForms() throws Exception {
        int[] cluster = {Ports.free(), Ports.free()};
        JetraftNode first = JetraftNode.start(TestConfigs.node().name("h1").cluster("hc", cluster[0], cluster)
                .raftPort(Ports.free()).jetstream(dir.resolve("h1")).build());
        JetraftNode second = null;
        try {
            HttpResponse<String> waiting = healthz(first);
            assertThat(waiting.statusCode()).isEqualTo(503);
            assertThat(waiting.body()).isEqualTo("{\"status\":\"unavailable\",\"error\":\"JetStream has not "
                    + "established contact with a meta leader\"}");
            second = JetraftNode.start(TestConfigs.node().name("h2").cluster("hc", cluster[1], cluster)
                    .raftPort(Ports.free()).jetstream(dir.resolve("h2")).build());
            JetraftNode s = second;
            await().atMost(Duration.ofSeconds(30)).until(() -> healthz(first).statusCode() == 200
                    && healthz(s).statusCode() == 200);
            assertThat(healthz(first).body()).isEqualTo("{\"status\":\"ok\"}");
        } finally {
            first.shutdown();
            if (second != null) {
                second.shutdown();
            }
        }
    }

    @Test
    void aStreamGroupThatStoppedApplyingIsReportedByHealthzAndCheckNamingTheGroupAndItsStreams() throws Exception {
        JetraftNode node = JetraftNode.start(TestConfigs.node().jetstream(dir.resolve("halt")).build());
        try (io.nats.client.Connection nc = io.nats.client.Nats.connect("nats://127.0.0.1:" + node.clientPort())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> healthz(node).statusCode() == 200);
            io.nats.client.JetStreamManagement jsm = nc.jetStreamManagement();
            // a single node: one replica set, one stream group, carrying both streams
            for (String s : java.util.List.of("ALPHA", "BETA")) {
                jsm.addStream(io.nats.client.api.StreamConfiguration.builder().name(s).subjects(s.toLowerCase())
                        .build());
            }
            nc.jetStream().publish("alpha", "one".getBytes());
            io.jetraft.raft.RaftNode raft = node.jetstream().raftNode();
            assertThat(raft.streams().groupOf("ALPHA")).isEqualTo(raft.streams().groupOf("BETA"));
            // the store loses ALPHA behind the Raft layer's back: the next entry for it cannot be applied
            String storeName = raft.streams().localStore("ALPHA").orElseThrow().name();
            assertThat(node.jetstream().nodeStore().deleteStream(storeName)).isTrue();
            raft.streams().publish("ALPHA", java.util.List.of(io.jetraft.raft.Publish.of("alpha", "two".getBytes())));

            // the halt closes the group's division under Ratis's own threads: its leader-state thread may then die on
            // the closed log (an uncaught IllegalStateException there, seen in CI), which is not what this test is about
            await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(30))
                    .until(() -> healthz(node).statusCode() == 503);
            String body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(healthz(node).body())
                    .path("error").asText();
            assertThat(body).contains("JetStream stream '$G > ALPHA' is not current: group node unhealthy")
                    .contains(raft.streams().groupOf("ALPHA").orElseThrow().toString())
                    .contains("streams ALPHA, BETA").contains("stopped applying at index");
            String url = "http://127.0.0.1:" + node.httpPort();
            assertThat(io.jetraft.server.cli.JetraftCommand.execute("check", "jetstream", "-s", url)).isEqualTo(2);
        } finally {
            node.shutdown();
        }
    }
}
