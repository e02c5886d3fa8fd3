package io.jetraft.server.monitor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.server.jetstream.JetStreamService;
import io.jetraft.server.jetstream.Jsz;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** GET /jsz: JetStream on this node with nats-server's field names ({@code streams}, {@code consumers}, ...). */
public final class JszEndpoint implements MonitorEndpoint {

    private final String serverId;
    private final Supplier<JetStreamService> jetstream;

    public JszEndpoint(String serverId, Supplier<JetStreamService> jetstream) {
        this.serverId = serverId;
        this.jetstream = jetstream;
    }

    @Override
    public MonitorResponse handle(Map<String, List<String>> query) {
        QueryParams p = new QueryParams(query);
        boolean accounts = p.bool("accounts", false);
        Jsz.Options o = new Jsz.Options(p.bool("streams", false) || accounts, p.bool("consumers", false),
                p.bool("config", false), p.bool("leader-only", false));
        JetStreamService js = jetstream.get();
        if (js == null || js.raftNode() == null) {
            return MonitorResponse.json(200, "{\"server_id\":\"" + serverId + "\",\"disabled\":true}");
        }
        ObjectNode doc = Jsz.build(js, serverId, o);
        if (doc == null) {
            return MonitorResponse.json(400, "{\"error\":\"not the meta leader\"}");
        }
        return MonitorResponse.json(200, doc.toPrettyString());
    }
}
