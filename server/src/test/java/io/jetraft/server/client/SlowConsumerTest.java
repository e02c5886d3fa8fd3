package io.jetraft.server.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jetraft.config.ByteSize;
import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A client that stops reading is cut off once its pending bytes pass max_pending; nobody else is harmed. */
class SlowConsumerTest {

    @Test
    void aClientThatStopsReadingIsCutOffAndCountedWhileOthersKeepReceiving() throws Exception {
        JetraftNode node = JetraftNode.start(TestConfigs.node()
                .maxPayload(ByteSize.ofKibibytes(8)).maxPending(ByteSize.ofMebibytes(2)).build());
        try (Socket stalled = new Socket();
             Connection healthy = Nats.connect("nats://127.0.0.1:" + node.clientPort());
             Connection publisher = Nats.connect("nats://127.0.0.1:" + node.clientPort())) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress("127.0.0.1", node.clientPort()));
            stalled.getOutputStream().write("CONNECT {\"verbose\":false}\r\nSUB firehose 1\r\nPING\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            stalled.getOutputStream().flush();
            Subscription sub = healthy.subscribe("firehose");
            healthy.flush(Duration.ofSeconds(2));
            await().atMost(Duration.ofSeconds(5)).until(() -> node.config() != null
                    && connz(node).get("connections").size() == 3);

            byte[] payload = new byte[4096];
            int sent = 0;
            // keep publishing until the stalled reader is cut off (bounded, so a broken limit fails the test)
            while (sent < 20_000 && slowConsumers(node) == 0) {
                for (int i = 0; i < 100; i++) {
                    publisher.publish("firehose", payload);
                }
                publisher.flush(Duration.ofSeconds(5));
                sent += 100;
                while (sub.nextMessage(Duration.ofMillis(1)) != null) {
                    // the healthy subscriber keeps up
                }
            }
            assertThat(slowConsumers(node)).isEqualTo(1);
            assertThat(sent).as("messages published before the cut-off").isLessThan(20_000);

            InputStream in = stalled.getInputStream();
            stalled.setSoTimeout(5000);
            byte[] buf = new byte[65536];
            long drained = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                drained += n;
            }
            assertThat(drained).as("the stalled client sees its stream end").isPositive();

            JsonNode closed = connz(node, "?state=closed");
            assertThat(closed.get("connections").get(0).get("reason").asText())
                    .isEqualTo("Slow Consumer (Pending Bytes)");

            publisher.publish("firehose", "after".getBytes());
            publisher.flush(Duration.ofSeconds(2));
            io.nats.client.Message m;
            String last = null;
            while ((m = sub.nextMessage(Duration.ofSeconds(2))) != null) {
                last = new String(m.getData(), StandardCharsets.UTF_8);
                if (last.equals("after")) {
                    break;
                }
            }
            assertThat(last).isEqualTo("after");
        } finally {
            node.shutdown();
        }
    }

    private static long slowConsumers(JetraftNode node) throws Exception {
        return get(node, "/varz").get("slow_consumers").asLong();
    }

    private static JsonNode connz(JetraftNode node) throws Exception {
        return connz(node, "");
    }

    private static JsonNode connz(JetraftNode node, String query) throws Exception {
        return get(node, "/connz" + query);
    }

    private static JsonNode get(JetraftNode node, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + node.httpPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
        return new ObjectMapper().readTree(r.body());
    }

}
