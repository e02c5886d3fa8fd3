package io.jetraft.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.server.util.GoJson;
import java.util.List;
import org.junit.jupiter.api.Test;

/** jetraft's JSON printer writes what Go's encoding/json wrote in the recorded nats-server samples, byte for byte. */
class GoJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyRecordedSampleIsReprintedByteForByte() {
        List<String> dirs = List.of("single", "cluster/n1", "cluster/n2", "cluster/n3");
        for (String dir : dirs) {
            for (List<String> e : MonitorSampleSetup.ENDPOINTS) {
                String sample = dir + "/" + e.get(1);
                String text = NatsServerSamples.text(sample);
                String printed = e.get(0).equals("/healthz") ? GoJson.compact(NatsServerSamples.parse(text, sample))
                        : GoJson.indent(NatsServerSamples.parse(text, sample));
                assertThat(printed).as(sample).isEqualTo(text);
            }
        }
    }

    @Test
    void emptyContainersNestingAndSeparatorsAreGos() {
        ObjectNode o = JSON.createObjectNode();
        o.putObject("gateway");
        o.putArray("routes");
        o.putArray("urls").add("a").add(1);
        o.putObject("api").put("total", 5);
        assertThat(GoJson.indent(o)).isEqualTo("""
                {
                  "gateway": {},
                  "routes": [],
                  "urls": [
                    "a",
                    1
                  ],
                  "api": {
                    "total": 5
                  }
                }""");
        assertThat(GoJson.compact(o))
                .isEqualTo("{\"gateway\":{},\"routes\":[],\"urls\":[\"a\",1],\"api\":{\"total\":5}}");
    }

    /** nats-server 2.9.10 printed these for a stream description and subjects (recorded by hand). */
    @Test
    void stringsAreEscapedAsGoEscapesThem() {
        ObjectNode o = JSON.createObjectNode();
        o.put("description", "x\u2028y é \u0001 \"q\" \\ / \t");
        o.putArray("subjects").add("esc.>").add("a&b<c");
        assertThat(GoJson.indent(o)).isEqualTo("{\n  \"description\": \"x\\u2028y é \\u0001 \\\"q\\\" \\\\ / \\t\",\n"
                + "  \"subjects\": [\n    \"esc.\\u003e\",\n    \"a\\u0026b\\u003cc\"\n  ]\n}");
    }

    @Test
    void floatsArePrintedAsGoPrintsAFloat64() {
        ObjectNode o = JSON.createObjectNode();
        o.put("zero", 0.0);
        o.put("whole", 100.0);
        o.put("half", 12.5);
        o.put("tiny", 1.5e-7);
        o.put("tinier", 1e-10);
        o.put("huge", 1e21);
        o.put("big", 123456789.0);
        assertThat(GoJson.compact(o)).isEqualTo("{\"zero\":0,\"whole\":100,\"half\":12.5,\"tiny\":1.5e-7,"
                + "\"tinier\":1e-10,\"huge\":1e+21,\"big\":123456789}");
    }
}
