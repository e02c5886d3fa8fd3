package io.jetraft.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /healthz, /varz and /connz over real HTTP, with nats-server's field names. */
class MonitoringEndpointsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private JetraftNode node;

    @BeforeEach
    void start() {
        node = JetraftNode.start(TestConfigs.node().name("mon-1").build());
    }

    @AfterEach
    void stop() {
        node.shutdown();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        return JSON.readTree(r.body());
    }

    @Test
    void healthzSaysOk() throws Exception {
        HttpResponse<String> r = get("/healthz");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"status\":\"ok\"}");
        assertThat(get("/healthz?js-enabled-only=maybe").statusCode()).isEqualTo(400);
    }

    @Test
    void varzAndConnzCountTrafficPerConnection() throws Exception {
        Options opts = new Options.Builder().server("nats://127.0.0.1:" + node.clientPort())
                .connectionName("monitored-app").build();
        try (Connection nc = Nats.connect(opts)) {
            nc.subscribe("m.one");
            nc.subscribe("m.two");
            nc.flush(Duration.ofSeconds(2));
            for (int i = 0; i < 10; i++) {
                nc.publish("m.one", new byte[100]);
            }
            nc.flush(Duration.ofSeconds(2));
            await().atMost(Duration.ofSeconds(5)).until(() -> json("/varz").get("out_msgs").asLong() == 10);

            JsonNode varz = json("/varz");
            assertThat(varz.get("server_name").asText()).isEqualTo("mon-1");
            assertThat(varz.get("server_id").asText()).startsWith("N").hasSize(56);
            assertThat(varz.get("port").asInt()).isEqualTo(node.clientPort());
            assertThat(varz.get("max_payload").asLong()).isEqualTo(1048576);
            assertThat(varz.get("ping_interval").asLong()).isEqualTo(120_000_000_000L);
            assertThat(varz.get("connections").asInt()).isEqualTo(1);
            assertThat(varz.get("in_msgs").asLong()).isEqualTo(10);
            assertThat(varz.get("in_bytes").asLong()).isEqualTo(1000);
            assertThat(varz.get("out_bytes").asLong()).isEqualTo(1000);
            assertThat(varz.get("subscriptions").asInt()).isEqualTo(2);
            assertThat(varz.get("slow_consumers").asLong()).isZero();
            assertThat(varz.has("uptime")).isTrue();
            assertThat(varz.get("http_req_stats").get("/varz").asLong()).isPositive();

            JsonNode connz = json("/connz?subs=1");
            assertThat(connz.get("num_connections").asInt()).isEqualTo(1);
            JsonNode c = connz.get("connections").get(0);
            assertThat(c.get("name").asText()).isEqualTo("monitored-app");
            assertThat(c.get("lang").asText()).isEqualTo("java");
            assertThat(c.get("in_msgs").asLong()).isEqualTo(10);
            assertThat(c.get("out_msgs").asLong()).isEqualTo(10);
            assertThat(c.get("subscriptions").asInt()).isEqualTo(2);
            assertThat(c.get("subscriptions_list")).hasSize(2);
            assertThat(c.get("pending_bytes").asLong()).isZero();
            assertThat(c.has("uptime") && c.has("idle") && c.has("ip") && c.has("port") && c.has("cid")).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> json("/connz").get("num_connections").asInt() == 0);
        JsonNode closed = json("/connz?state=closed");
        assertThat(closed.get("connections").get(0).get("reason").asText()).isEqualTo("Client Closed");
    }

    @Test
    void unknownPathsAndBadParametersAreRefused() throws Exception {
        assertThat(get("/nope").statusCode()).isEqualTo(404);
        assertThat(get("/connz?limit=abc").statusCode()).isEqualTo(400);
        assertThat(get("/connz?sort=sideways").statusCode()).isEqualTo(400);
    }
}
