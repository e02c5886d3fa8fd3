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
}
