package io.jetraft.server.monitor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.server.jetstream.JetStreamService;
import io.jetraft.server.jetstream.Jsz;
import io.jetraft.server.util.GoJson;
import io.jetraft.server.util.GoTimes;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** GET /jsz: JetStream on this node with nats-server's field names ({@code streams}, {@code consumers}, ...). */
public final class JszEndpoint implements MonitorEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String serverId;
    private final Supplier<JetStreamService> jetstream;

    public JszEndpoint(String serverId, Supplier<JetStreamService> jetstream) {
        this.serverId = serverId;
        this.jetstream = jetstream;
    }

    @Override
    public MonitorResponse handle(Map<String, List<String>> query) {
        QueryParams p = new QueryParams(query);
        Jsz.Options o = new Jsz.Options(p.bool("accounts", false), p.bool("streams", false),
                p.bool("consumers", false), p.bool("config", false), p.bool("leader-only", false),
                p.bool("raft", false));
        JetStreamService js = jetstream.get();
        if (js == null || js.raftNode() == null) {
            if (o.leaderOnly()) {
                return MonitorResponse.text(400, "filtered response: not leader");
            }
            return MonitorResponse.json(200, GoJson.indent(disabled()));
        }
        Optional<ObjectNode> doc = Jsz.build(js, serverId, o);
        // nats-server's text when leader-only is asked of a node that does not lead the meta group
        return doc.map(d -> MonitorResponse.json(200, GoJson.indent(d)))
                .orElseGet(() -> MonitorResponse.text(400, "filtered response: not leader"));
    }

    /** What nats-server prints without JetStream: its JSInfo with every field that is not omitted when zero. */
    private ObjectNode disabled() {
        ObjectNode d = JSON.createObjectNode();
        d.put("server_id", serverId);
        d.put("now", GoTimes.rfc3339Nano(Instant.now()));
        d.put("disabled", true);
        ObjectNode config = d.putObject("config");
        config.put("max_memory", 0);
        config.put("max_storage", 0);
        for (String zero : List.of("memory", "storage", "reserved_memory", "reserved_storage", "accounts",
                "ha_assets")) {
            d.put(zero, 0);
        }
        ObjectNode api = d.putObject("api");
        api.put("total", 0);
        api.put("errors", 0);
        for (String zero : List.of("streams", "consumers", "messages", "bytes")) {
            d.put(zero, 0);
        }
        return d;
    }
}
