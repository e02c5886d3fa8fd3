package io.jetraft.server.monitor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.server.node.NodeIdentity;
import io.jetraft.server.route.RouteSnapshot;
import io.jetraft.server.util.GoDurations;
import io.jetraft.server.util.GoJson;
import io.jetraft.server.util.GoTimes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** GET /routez: the routes to other nodes with nats-server's field names; {@code subs=1} lists their interest. */
public final class RoutezEndpoint implements MonitorEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final NodeIdentity identity;
    private final Supplier<List<RouteSnapshot>> routes;

    public RoutezEndpoint(NodeIdentity identity, Supplier<List<RouteSnapshot>> routes) {
        this.identity = identity;
        this.routes = routes;
    }

    @Override
    public MonitorResponse handle(Map<String, List<String>> query) {
        boolean subs = new QueryParams(query).bool("subs", false);
        Instant now = Instant.now();
        List<RouteSnapshot> all = routes.get();
        ObjectNode root = JSON.createObjectNode();
        root.put("server_id", identity.serverId());
        root.put("server_name", identity.serverName());
        root.put("now", GoTimes.rfc3339Nano(now));
        root.put("num_routes", all.size());
        ArrayNode list = root.putArray("routes");
        for (RouteSnapshot r : all) {
            ObjectNode o = list.addObject();
            o.put("rid", r.rid());
            o.put("remote_id", r.remoteId());
            o.put("remote_name", r.remoteName());
            o.put("did_solicit", r.didSolicit());
            o.put("is_configured", r.isConfigured());
            o.put("ip", r.ip());
            o.put("port", r.port());
            o.put("start", GoTimes.rfc3339Nano(r.start()));
            o.put("last_activity", GoTimes.rfc3339Nano(r.lastActivity()));
            o.put("rtt", "0s");
            o.put("uptime", GoDurations.uptime(Duration.between(r.start(), now)));
            o.put("idle", GoDurations.uptime(Duration.between(r.lastActivity(), now)));
            o.put("pending_size", r.pendingSize());
            o.put("in_msgs", r.inMsgs());
            o.put("out_msgs", r.outMsgs());
            o.put("in_bytes", r.inBytes());
            o.put("out_bytes", r.outBytes());
            o.put("subscriptions", r.subscriptions().size());
            if (subs) {
                ArrayNode s = o.putArray("subscriptions_list");
                r.subscriptions().forEach(s::add);
            }
        }
        return MonitorResponse.json(200, GoJson.indent(root));
    }
}
