package io.jetraft.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The recorded nats-server 2.9 monitoring samples (test resources {@code nats-server-2.9/}, see its README) and the
 * comparison of jetraft's answers with them: every key nats-server prints must be there with the same JSON type;
 * the only differences allowed are listed here, each with its reason.
 */
final class NatsServerSamples {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** Keys nats-server printed that jetraft may leave out, and why. */
    static final Map<String, String> MAY_LACK = new LinkedHashMap<>();
    /** Keys jetraft prints that nats-server 2.9 did not, and why. */
    static final Map<String, String> MAY_ADD = new LinkedHashMap<>();

    static {
        MAY_LACK.put(".lag", "omitempty in nats-server: printed only while a replica is behind (the cluster test "
                + "checks it on a stopped replica)");
        MAY_LACK.put(".offline", "omitempty in nats-server: printed only for a replica that is offline");

        String v210 = "nats-server 2.10 prints it, and 2.10.0 is the version jetraft reports";
        MAY_ADD.put(".jetraft_version", "jetraft's own release; \"version\" is the nats-server version it speaks");
        MAY_ADD.put(".config.sync_interval", v210 + " (JetStreamConfig)");
        MAY_ADD.put(".config.sync_always", v210 + " (JetStreamConfig, when true)");
        MAY_ADD.put(".slow_consumer_stats", v210 + " (/varz)");
        MAY_ADD.put(".cluster.pool_size", v210 + " (/varz cluster block)");
        MAY_ADD.put(".routes[].remote_name", v210 + " (/routez)");
        MAY_ADD.put(".server_name", v210 + " in /routez; in /jsz jetraft's report and check name the node by it");
        MAY_ADD.put(".meta_cluster.pending", v210 + " (MetaClusterInfo)");
        MAY_ADD.put(".jetstream.meta.pending", v210 + " (MetaClusterInfo)");
        MAY_ADD.put(".total", "newer nats-server /jsz: the number of JetStream accounts");
        MAY_ADD.put(".config.compression", v210 + " (StreamConfig)");
        MAY_ADD.put(".config.consumer_limits", v210 + " (StreamConfig)");
        MAY_ADD.put(".config.discard_new_per_subject", "the stream config as jetraft stores it: printed false where "
                + "nats-server omits it (omitempty); StreamConfigs' business, as $JS.API.STREAM.INFO shows it too");
        MAY_ADD.put(".config.no_ack", "the stream config as jetraft stores it: printed false where nats-server "
                + "omits it (omitempty); StreamConfigs' business, as $JS.API.STREAM.INFO shows it too");
    }

    private NatsServerSamples() {
    }

    /** The sample's text, exactly as nats-server served it. */
    static String text(String sample) {
        try (InputStream in = NatsServerSamples.class.getResourceAsStream("/nats-server-2.9/" + sample)) {
            if (in == null) {
                throw new IllegalArgumentException("no recorded sample nats-server-2.9/" + sample);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String sample) {
        return parse(text(sample), sample);
    }

    static JsonNode parse(String text, String what) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(what + " is not JSON: " + text, e);
        }
    }

    /** GET on a monitoring port; the body, after checking the status is 200. */
    static String get(int httpPort, String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Each endpoint of {@link MonitorSampleSetup#ENDPOINTS} on this node against the sample in {@code dir}. */
    static List<String> differences(String dir, int httpPort) {
        List<String> out = new ArrayList<>();
        for (List<String> e : MonitorSampleSetup.ENDPOINTS) {
            String sample = dir + "/" + e.get(1);
            JsonShape expected = JsonShape.of(json(sample));
            JsonShape actual = JsonShape.of(parse(get(httpPort, e.get(0)), e.get(0)));
            expected.differences(actual, MAY_LACK, MAY_ADD)
                    .forEach(d -> out.add(e.get(0) + " vs " + sample + ": " + d));
        }
        return out;
    }
}
