package io.jetraft.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.util.GoJson;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.JetStreamSubscription;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A single jetraft node's monitoring JSON has every field of nats-server 2.9's for the same setup. */
class MonitoringShapeTest {

    @TempDir
    Path dir;

    private JetraftNode node;

    @AfterEach
    void stop() {
        if (node != null) {
            node.shutdown();
        }
    }

    @Test
    void everyEndpointCarriesEveryFieldNatsServerPrintsForTheSameSetup() throws Exception {
        node = JetraftNode.start(TestConfigs.node().name("s1").jetstream(dir).build());
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + node.clientPort());
             MonitorSampleSetup setup = MonitorSampleSetup.apply(nc, 1)) {
            awaitConsumerProgress(node.httpPort());
            List<String> differences = NatsServerSamples.differences("single", node.httpPort());
            assertThat(differences).withFailMessage("%s", String.join("\n", differences)).isEmpty();
        }
    }

    @Test
    void jszShowsStreamTimesAndWhatEachConsumerHasLeftAndWaitsFor() throws Exception {
        Instant before = Instant.now();
        node = JetraftNode.start(TestConfigs.node().name("s1").jetstream(dir).build());
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + node.clientPort());
             MonitorSampleSetup setup = MonitorSampleSetup.apply(nc, 1)) {
            JsonNode stream = awaitConsumerProgress(node.httpPort());
            JsonNode state = stream.path("state");
            assertThat(state.path("num_subjects").asInt()).isEqualTo(2);
            Instant first = goTime(state.path("first_ts").asText());
            Instant last = goTime(state.path("last_ts").asText());
            assertThat(first).isAfterOrEqualTo(before).isBeforeOrEqualTo(last).isBeforeOrEqualTo(Instant.now());
            assertThat(stream.path("cluster").path("leader").asText()).isEqualTo("s1");

            JsonNode pull = consumer(stream, MonitorSampleSetup.PULL);
            assertThat(pull.path("num_pending").asLong()).as("5 messages, 3 delivered").isEqualTo(2);
            assertThat(pull.path("num_waiting").asInt()).isZero();
            assertThat(pull.path("num_ack_pending").asInt()).isEqualTo(1);
            assertThat(goTime(pull.path("delivered").path("last_active").asText())).isAfterOrEqualTo(first);
            assertThat(goTime(pull.path("ack_floor").path("last_active").asText())).isAfterOrEqualTo(first);
            assertThat(pull.has("push_bound")).isFalse();
            JsonNode push = consumer(stream, MonitorSampleSetup.PUSH);
            assertThat(push.path("num_pending").asLong()).isZero();
            assertThat(push.path("num_ack_pending").asInt()).isEqualTo(2);
            assertThat(push.path("push_bound").asBoolean()).isTrue();

            // a pull for 10 takes the 2 left and waits for 8 more
            JetStreamSubscription waiting = nc.jetStream().subscribe(null,
                    PullSubscribeOptions.bind(MonitorSampleSetup.STREAM, MonitorSampleSetup.PULL));
            waiting.pullExpiresIn(10, Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonNode c = consumer(jszStream(node.httpPort()), MonitorSampleSetup.PULL);
                assertThat(c.path("num_waiting").asInt()).isEqualTo(1);
                assertThat(c.path("num_pending").asLong()).isZero();
                assertThat(c.path("delivered").path("stream_seq").asLong()).isEqualTo(5);
            });

            JsonNode varz = NatsServerSamples.parse(NatsServerSamples.get(node.httpPort(), "/varz"), "/varz");
            JsonNode jsz = NatsServerSamples.parse(NatsServerSamples.get(node.httpPort(), "/jsz"), "/jsz");
            assertThat(varz.has("connect_urls")).as("a single node has no cluster to list").isFalse();
            assertThat(varz.path("jetstream").path("stats").path("storage").asLong())
                    .isEqualTo(jsz.path("storage").asLong()).isPositive();
            assertThat(varz.path("jetstream").path("stats").path("api").path("total").asLong()).isPositive();
            assertThat(varz.path("jetstream").has("meta")).as("no meta group on a single node").isFalse();
        }
    }

    @Test
    void monitoringJsonIsPrintedAsNatsServerPrintsIt() throws Exception {
        node = JetraftNode.start(TestConfigs.node().name("s1").jetstream(dir).build());
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + node.clientPort());
             MonitorSampleSetup setup = MonitorSampleSetup.apply(nc, 1)) {
            nc.jetStreamManagement().addStream(StreamConfiguration.builder().name("WILD").subjects("wild.>").build());
            for (List<String> e : MonitorSampleSetup.ENDPOINTS) {
                String body = NatsServerSamples.get(node.httpPort(), e.get(0));
                JsonNode tree = NatsServerSamples.parse(body, e.get(0));
                // GoJsonTest shows this printer reproduces nats-server's samples byte for byte
                String asGo = e.get(0).equals("/healthz") ? GoJson.compact(tree) : GoJson.indent(tree);
                assertThat(body).as(e.get(0)).isEqualTo(asGo).doesNotContain("\" : ").doesNotEndWith("\n");
            }
            assertThat(NatsServerSamples.get(node.httpPort(), "/jsz?streams=true&config=true"))
                    .contains("\n            \"subjects\": [\n              \"wild.\\u003e\"\n            ],")
                    .contains("\n  \"server_id\": \"");
        }
    }

    /** Go's RFC3339Nano in UTC: up to nine fraction digits, never a trailing zero. */
    static Instant goTime(String text) {
        assertThat(text).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{0,8}[1-9])?Z");
        return Instant.parse(text);
    }

    static JsonNode jszStream(int httpPort) {
        return NatsServerSamples.parse(NatsServerSamples.get(httpPort, "/jsz?consumers=true"), "/jsz")
                .path("account_details").path(0).path("stream_detail").path(0);
    }

    /** Waits until /jsz shows the setup's acknowledgements: PULL acked 2 of 3, PUSH acked 3 of 5. */
    static JsonNode awaitConsumerProgress(int httpPort) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            JsonNode stream = NatsServerSamples.parse(NatsServerSamples.get(httpPort,
                    "/jsz?streams=true&consumers=true&config=true"), "/jsz").path("account_details").path(0)
                    .path("stream_detail").path(0);
            assertThat(consumer(stream, MonitorSampleSetup.PULL).path("ack_floor").path("stream_seq").asLong())
                    .isEqualTo(2);
            assertThat(consumer(stream, MonitorSampleSetup.PUSH).path("ack_floor").path("stream_seq").asLong())
                    .isEqualTo(3);
            last[0] = stream;
        });
        return last[0];
    }

    static JsonNode consumer(JsonNode streamDetail, String name) {
        for (JsonNode c : streamDetail.path("consumer_detail")) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no consumer " + name + " in " + streamDetail);
    }
}
