package io.jetraft.server.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * $JS.API request bodies are decoded by type as nats-server decodes them (Go's json.Unmarshal into its structs): every
 * wrong JSON type for every field of the stream and consumer configurations, and of the other requests, is error
 * 10025 with Go's reason, and changes nothing. The cases come from {@link GoFieldCases}, a table of nats-server's
 * field types written independently of the server's own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JsApiRequestTypesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private JetraftNode node;
    private Connection nc;
    private JsonNode hostConfig;

    @BeforeAll
    void start() throws Exception {
        node = JetraftNode.start(TestConfigs.node().name("types").jetstream(dir).build());
        nc = Nats.connect("nats://127.0.0.1:" + node.clientPort());
        // the API answers once the node's meta group has its leader
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> !api("INFO", "").has("error"));
        JsonNode created = api("STREAM.CREATE.HOST",
                "{\"name\":\"HOST\",\"subjects\":[\"host.>\"],\"allow_direct\":true}");
        assertThat(created.has("error")).as(created.toString()).isFalse();
        nc.jetStream().publish("host.a", "one".getBytes());
        nc.jetStream().publish("host.b", "two".getBytes());
        hostConfig = api("STREAM.INFO.HOST", "").get("config");
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (nc != null) {
            nc.close();
        }
        if (node != null) {
            node.shutdown();
        }
    }

    // ---- stream configurations ---------------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> aWrongTypeInAStreamConfigIsInvalidJsonAndCreatesNothing() {
        return GoFieldCases.STREAM_CONFIG.stream().flatMap(f -> GoFieldCases.wrongValues(f, "StreamConfig", f.json()).stream()
                .map(w -> DynamicTest.dynamicTest("STREAM.CREATE " + f.json() + "=" + w.json(), () -> {
                    String body = f.json().equals("name") ? "{\"subjects\":[\"bad.>\"],\"name\":" + w.json() + "}"
                            : f.json().equals("subjects") ? "{\"name\":\"BAD\",\"subjects\":" + w.json() + "}"
                            : "{\"name\":\"BAD\",\"subjects\":[\"bad.>\"],\"" + f.json() + "\":" + w.json() + "}";
                    assertInvalidJson(api("STREAM.CREATE.BAD", body), w.reason());
                    assertThat(streamNames()).containsExactly("HOST");
                })));
    }

    @TestFactory
    Stream<DynamicTest> aWrongTypeInAStreamUpdateIsInvalidJsonAndChangesNothing() {
        return GoFieldCases.STREAM_CONFIG.stream().filter(f -> !f.json().equals("name")).flatMap(f ->
                GoFieldCases.wrongValues(f, "StreamConfig", f.json()).stream().limit(2)
                        .map(w -> DynamicTest.dynamicTest("STREAM.UPDATE " + f.json() + "=" + w.json(), () -> {
                            String body = "{\"name\":\"HOST\",\"" + f.json() + "\":" + w.json() + "}";
                            assertInvalidJson(api("STREAM.UPDATE.HOST", body), w.reason());
                            assertThat(api("STREAM.INFO.HOST", "").get("config")).isEqualTo(hostConfig);
                        })));
    }

    @TestFactory
    Stream<DynamicTest> aWrongTypeInsideANestedStreamFieldNamesTheInnermostStructAndTheFullPath() {
        String bad = "{\"name\":\"BAD\",\"subjects\":[\"bad.>\"],";
        List<String[]> cases = List.of(
                new String[] {bad + "\"placement\":{\"tags\":\"x\"}}",
                        "json: cannot unmarshal string into Go struct field Placement.placement.tags of type []string"},
                new String[] {bad + "\"placement\":{\"cluster\":[]}}",
                        "json: cannot unmarshal array into Go struct field Placement.placement.cluster of type string"},
                new String[] {bad + "\"mirror\":{\"name\":\"M\",\"opt_start_seq\":-1}}",
                        "json: cannot unmarshal number -1 into Go struct field StreamSource.mirror.opt_start_seq of "
                                + "type uint64"},
                new String[] {bad + "\"mirror\":{\"name\":\"M\",\"external\":{\"api\":5}}}",
                        "json: cannot unmarshal number into Go struct field ExternalStream.mirror.external.api of "
                                + "type string"},
                new String[] {bad + "\"mirror\":{\"name\":\"M\",\"opt_start_time\":7}}",
                        "Time.UnmarshalJSON: input is not a JSON string"},
                new String[] {bad + "\"sources\":[{\"name\":5}]}",
                        "json: cannot unmarshal number into Go struct field StreamSource.sources.name of type string"},
                new String[] {bad + "\"sources\":[{\"name\":\"S\",\"subject_transforms\":\"x\"}]}",
                        "json: cannot unmarshal string into Go struct field StreamSource.sources.subject_transforms "
                                + "of type []server.SubjectTransformConfig"},
                new String[] {bad + "\"consumer_limits\":{\"max_ack_pending\":\"10\"}}",
                        "json: cannot unmarshal string into Go struct field StreamConsumerLimits.consumer_limits."
                                + "max_ack_pending of type int"},
                new String[] {bad + "\"consumer_limits\":{\"inactive_threshold\":\"5s\"}}",
                        "json: cannot unmarshal string into Go struct field StreamConsumerLimits.consumer_limits."
                                + "inactive_threshold of type time.Duration"},
                new String[] {bad + "\"republish\":{\"dest\":\"x\",\"headers_only\":\"yes\"}}",
                        "json: cannot unmarshal string into Go struct field RePublish.republish.headers_only of type "
                                + "bool"},
                new String[] {bad + "\"subject_transform\":{\"src\":5}}",
                        "json: cannot unmarshal number into Go struct field SubjectTransformConfig.subject_transform.src"
                                + " of type string"},
                // the first wrong field is the one reported (the issue's own example)
                new String[] {"{\"name\":\"BAD\",\"subjects\":\"bad.*\",\"num_replicas\":\"three\"}",
                        "json: cannot unmarshal string into Go struct field StreamConfig.subjects of type []string"},
                // keys match fields case-insensitively, as in Go; the error names the field by its JSON name
                new String[] {"{\"NAME\":\"BAD\",\"Subjects\":\"bad.>\"}",
                        "json: cannot unmarshal string into Go struct field StreamConfig.subjects of type []string"},
                new String[] {"[]", "json: cannot unmarshal array into Go value of type server.StreamConfig"},
                new String[] {"\"BAD\"", "json: cannot unmarshal string into Go value of type server.StreamConfig"},
                new String[] {"5", "json: cannot unmarshal number into Go value of type server.StreamConfig"},
                new String[] {"{\"name\":\"BAD\"} {}", "invalid character '{' after top-level value"},
                new String[] {"{\"name\":\"BAD\",", "unexpected end of JSON input"});
        return cases.stream().map(c -> DynamicTest.dynamicTest(c[0], () -> {
            assertInvalidJson(api("STREAM.CREATE.BAD", c[0]), c[1]);
            assertThat(streamNames()).containsExactly("HOST");
        }));
    }

    @Test
    void anEmptyStreamCreateOrUpdateIsInvalidJson() throws Exception {
        for (String body : List.of("", " ", "\r\n")) {
            assertInvalidJson(api("STREAM.CREATE.EMPTY", body), "unexpected end of JSON input");
            assertInvalidJson(api("STREAM.UPDATE.HOST", body), "unexpected end of JSON input");
        }
        assertThat(streamNames()).containsExactly("HOST");
        assertThat(api("STREAM.INFO.HOST", "").get("config")).isEqualTo(hostConfig);
    }

    @Test
    void whatGoAcceptsIsAcceptedUnknownFieldsCaseInsensitiveKeysAndOtherSpellings() throws Exception {
        JsonNode created = api("STREAM.CREATE.LOOSE", "{\"NAME\":\"LOOSE\",\"Subjects\":[\"loose.>\"],"
                + "\"discard\":\"NEW\",\"max_msgs\":-0,\"not_a_field\":{\"x\":[1,\"y\"]},\"placement\":null}");
        assertThat(created.has("error")).as(created.toString()).isFalse();
        assertThat(created.path("config").path("subjects").get(0).asText()).isEqualTo("loose.>");
        assertThat(created.path("config").path("discard").asText()).isEqualTo("new");
        JsonNode consumer = api("CONSUMER.CREATE.LOOSE.c1", "{\"stream_name\":\"LOOSE\",\"config\":{"
                + "\"deliver_policy\":\"undefined\",\"ack_policy\":\"explicit\",\"opt_start_time\":null,"
                + "\"Ack_Wait\":5000000000,\"pause_until\":\"later\"},\"action\":\"\"}");
        assertThat(consumer.has("error")).as(consumer.toString()).isFalse();
        assertThat(consumer.path("config").path("deliver_policy").asText()).isEqualTo("all");
        assertThat(consumer.path("config").path("ack_wait").asLong()).isEqualTo(5_000_000_000L);
        assertThat(api("STREAM.DELETE.LOOSE", "").path("success").asBoolean()).isTrue();
    }

    // ---- consumer configurations -------------------------------------------------------------------------------

    /** Every subject a consumer is created on: legacy ephemeral, 2.9 named (with and without filter), durable. */
    private static final List<String> CONSUMER_CREATES = List.of("CONSUMER.CREATE.HOST", "CONSUMER.CREATE.HOST.c1",
            "CONSUMER.CREATE.HOST.c1.host.a", "CONSUMER.DURABLE.CREATE.HOST.c1");

    @TestFactory
    Stream<DynamicTest> aWrongTypeInAConsumerConfigIsInvalidJsonAndCreatesNothing() {
        return GoFieldCases.CONSUMER_CONFIG.stream().flatMap(f -> GoFieldCases.wrongValues(f, "ConsumerConfig", "config." + f.json()).stream()
                .flatMap(w -> CONSUMER_CREATES.stream().map(subject ->
                        DynamicTest.dynamicTest(subject + " " + f.json() + "=" + w.json(), () -> {
                            String body = "{\"stream_name\":\"HOST\",\"config\":{\"" + f.json() + "\":" + w.json()
                                    + "}}";
                            assertInvalidJson(api(subject, body), w.reason());
                            assertThat(consumerNames()).isEmpty();
                        }))));
    }

    @Test
    void aWrongTypeInAConsumerCreateRequestIsInvalidJsonAndCreatesNothing() throws Exception {
        String[][] cases = {
            {"{\"stream_name\":5,\"config\":{}}",
                "json: cannot unmarshal number into Go struct field CreateConsumerRequest.stream_name of type string"},
            {"{\"stream_name\":\"HOST\",\"config\":\"c1\"}",
                "json: cannot unmarshal string into Go struct field CreateConsumerRequest.config of type "
                        + "server.ConsumerConfig"},
            {"{\"stream_name\":\"HOST\",\"config\":[]}",
                "json: cannot unmarshal array into Go struct field CreateConsumerRequest.config of type "
                        + "server.ConsumerConfig"},
            {"{\"stream_name\":\"HOST\",\"config\":{},\"action\":\"bogus\"}", "unknown consumer action: \"bogus\""},
            {"{\"stream_name\":\"HOST\",\"config\":{},\"action\":1}", "unknown consumer action: 1"},
            {"[]", "json: cannot unmarshal array into Go value of type server.CreateConsumerRequest"},
            {"", "unexpected end of JSON input"},
            {" ", "unexpected end of JSON input"},
        };
        for (String subject : CONSUMER_CREATES) {
            for (String[] c : cases) {
                assertInvalidJson(api(subject, c[0]), c[1]);
            }
        }
        assertThat(consumerNames()).isEmpty();
    }

    // ---- the other requests with a body ------------------------------------------------------------------------

    @Test
    void aWrongTypeInAnyOtherRequestIsInvalidJsonAndChangesNothing() throws Exception {
        String offset = "ApiPagedRequest.offset of type int";
        String[][] cases = {
            {"STREAM.NAMES", "{\"offset\":\"1\"}",
                "json: cannot unmarshal string into Go struct field JSApiStreamNamesRequest." + offset},
            {"STREAM.NAMES", "{\"subject\":5}",
                "json: cannot unmarshal number into Go struct field JSApiStreamNamesRequest.subject of type string"},
            {"STREAM.LIST", "{\"offset\":1.5}",
                "json: cannot unmarshal number 1.5 into Go struct field JSApiStreamListRequest." + offset},
            {"STREAM.INFO.HOST", "{\"subjects_filter\":true}",
                "json: cannot unmarshal bool into Go struct field JSApiStreamInfoRequest.subjects_filter of type "
                        + "string"},
            {"STREAM.INFO.HOST", "{\"deleted_details\":\"yes\"}",
                "json: cannot unmarshal string into Go struct field JSApiStreamInfoRequest.deleted_details of type "
                        + "bool"},
            {"STREAM.INFO.HOST", "{\"offset\":[]}",
                "json: cannot unmarshal array into Go struct field JSApiStreamInfoRequest." + offset},
            {"STREAM.PURGE.HOST", "{\"seq\":-1}",
                "json: cannot unmarshal number -1 into Go struct field JSApiStreamPurgeRequest.seq of type uint64"},
            {"STREAM.PURGE.HOST", "{\"keep\":\"1\"}",
                "json: cannot unmarshal string into Go struct field JSApiStreamPurgeRequest.keep of type uint64"},
            {"STREAM.PURGE.HOST", "{\"filter\":[\"host.a\"]}",
                "json: cannot unmarshal array into Go struct field JSApiStreamPurgeRequest.filter of type string"},
            {"STREAM.MSG.GET.HOST", "{\"seq\":\"1\"}",
                "json: cannot unmarshal string into Go struct field JSApiMsgGetRequest.seq of type uint64"},
            {"STREAM.MSG.GET.HOST", "{\"last_by_subj\":{}}",
                "json: cannot unmarshal object into Go struct field JSApiMsgGetRequest.last_by_subj of type string"},
            {"STREAM.MSG.DELETE.HOST", "{\"seq\":\"1\"}",
                "json: cannot unmarshal string into Go struct field JSApiMsgDeleteRequest.seq of type uint64"},
            {"STREAM.MSG.DELETE.HOST", "{\"seq\":1,\"no_erase\":\"true\"}",
                "json: cannot unmarshal string into Go struct field JSApiMsgDeleteRequest.no_erase of type bool"},
            {"CONSUMER.NAMES.HOST", "{\"offset\":\"0\"}",
                "json: cannot unmarshal string into Go struct field JSApiConsumersRequest." + offset},
            {"CONSUMER.LIST.HOST", "{\"offset\":true}",
                "json: cannot unmarshal bool into Go struct field JSApiConsumersRequest." + offset},
            {"STREAM.LEADER.STEPDOWN.HOST", "{\"placement\":\"n2\"}",
                "json: cannot unmarshal string into Go struct field JSApiLeaderStepdownRequest.placement of type "
                        + "server.Placement"},
        };
        for (String[] c : cases) {
            assertInvalidJson(api(c[0], c[1]), c[2]);
        }
        JsonNode state = api("STREAM.INFO.HOST", "").get("state");
        assertThat(state.get("messages").asLong()).isEqualTo(2);
        assertThat(state.get("first_seq").asLong()).isEqualTo(1);
    }

    @Test
    void anEmptyBodyIsAcceptedWhereNatsServerAcceptsOneAndRefusedWhereItWantsOne() throws Exception {
        for (String subject : List.of("INFO", "STREAM.NAMES", "STREAM.LIST", "STREAM.INFO.HOST", "CONSUMER.NAMES.HOST",
                "CONSUMER.LIST.HOST")) {
            JsonNode r = api(subject, "");
            assertThat(r.has("error")).as(subject + ": " + r).isFalse();
        }
        for (String subject : List.of("STREAM.MSG.GET.HOST", "STREAM.MSG.DELETE.HOST")) {
            for (String body : List.of("", "{}", " { } ")) {
                JsonNode error = api(subject, body).path("error");
                assertThat(error.path("err_code").asInt()).as(subject + " " + body).isEqualTo(10003);
            }
        }
        assertThat(api("STREAM.INFO.HOST", "").path("state").path("messages").asLong()).isEqualTo(2);
    }

    @Test
    void aDirectGetAnswersNatsServersStatusForAnEmptyAMalformedOrAnAmbiguousRequest() throws Exception {
        assertThat(directGetStatus("")).isEqualTo("408 Empty Request");
        assertThat(directGetStatus("{}")).isEqualTo("408 Empty Request");
        assertThat(directGetStatus("{\"seq\":\"1\"}")).isEqualTo("408 Malformed Request");
        assertThat(directGetStatus("{\"seq\":1,\"last_by_subj\":\"host.a\"}")).isEqualTo("408 Bad Request");
        Message ok = nc.request("$JS.API.DIRECT.GET.HOST", "{\"seq\":1}".getBytes(), Duration.ofSeconds(5));
        assertThat(new String(ok.getData(), StandardCharsets.UTF_8)).isEqualTo("one");
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private String directGetStatus(String body) throws Exception {
        Message m = nc.request("$JS.API.DIRECT.GET.HOST", body.getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(5));
        assertThat(m.getStatus()).as("a status for " + body).isNotNull();
        return m.getStatus().getCode() + " " + m.getStatus().getMessage();
    }

    private void assertInvalidJson(JsonNode response, String reason) {
        JsonNode error = response.path("error");
        assertThat(error.path("err_code").asInt()).as(response.toString()).isEqualTo(10025);
        assertThat(error.path("code").asInt()).isEqualTo(400);
        assertThat(error.path("description").asText()).isEqualTo("invalid JSON: " + reason);
    }

    private List<String> streamNames() throws Exception {
        List<String> names = new ArrayList<>();
        api("STREAM.NAMES", "").path("streams").forEach(n -> names.add(n.asText()));
        return names;
    }

    private List<String> consumerNames() throws Exception {
        List<String> names = new ArrayList<>();
        api("CONSUMER.NAMES.HOST", "").path("consumers").forEach(n -> names.add(n.asText()));
        return names;
    }

    private JsonNode api(String subject, String body) throws Exception {
        Message m = nc.request("$JS.API." + subject, body.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10));
        return JSON.readTree(m.getData());
    }
}
