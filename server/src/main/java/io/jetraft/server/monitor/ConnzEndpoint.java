package io.jetraft.server.monitor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.server.client.ClientConnection;
import io.jetraft.server.client.ClientRegistry;
import io.jetraft.server.client.ConnectionSnapshot;
import io.jetraft.server.node.NodeIdentity;
import io.jetraft.server.util.GoDurations;
import io.jetraft.server.util.GoJson;
import io.jetraft.server.util.GoTimes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * GET /connz: client connections with nats-server's field names; query parameters {@code offset}, {@code limit}
 * (default 1024), {@code subs}, {@code sort} and {@code state} (open, closed, any), {@code cid}.
 */
public final class ConnzEndpoint implements MonitorEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DEFAULT_LIMIT = 1024;

    private final NodeIdentity identity;
    private final ClientRegistry clients;

    public ConnzEndpoint(NodeIdentity identity, ClientRegistry clients) {
        this.identity = identity;
        this.clients = clients;
    }

    @Override
    public MonitorResponse handle(Map<String, List<String>> query) {
        QueryParams params = new QueryParams(query);
        int offset = Math.max(0, params.integer("offset", 0));
        int limit = params.integer("limit", DEFAULT_LIMIT);
        if (limit <= 0) {
            limit = DEFAULT_LIMIT;
        }
        String subsParam = params.string("subs", "false");
        boolean subs = subsParam.equals("detail") || params.bool("subs", false);
        String state = params.string("state", "open");
        String sort = params.string("sort", "cid");
        long cid = params.integer("cid", 0);

        List<ConnectionSnapshot> all = new ArrayList<>();
        if (state.equals("open") || state.equals("any") || state.equals("all")) {
            for (ClientConnection c : clients.open()) {
                all.add(c.snapshot(subs));
            }
        }
        if (state.equals("closed") || state.equals("any") || state.equals("all")) {
            all.addAll(clients.closed());
        }
        if (!List.of("open", "closed", "any", "all").contains(state)) {
            return MonitorResponse.text(400, "Error decoding state: " + state + " is not a valid state");
        }
        if (cid > 0) {
            all.removeIf(s -> s.cid() != cid);
        }
        Comparator<ConnectionSnapshot> order = comparator(sort);
        if (order == null) {
            return MonitorResponse.text(400, "Invalid sorting option: " + sort);
        }
        all.sort(order);

        Instant now = Instant.now();
        ObjectNode root = JSON.createObjectNode();
        root.put("server_id", identity.serverId());
        root.put("now", GoTimes.rfc3339Nano(now));
        List<ConnectionSnapshot> page = offset >= all.size() ? List.of()
                : all.subList(offset, Math.min(all.size(), offset + limit));
        root.put("num_connections", page.size());
        root.put("total", all.size());
        root.put("offset", offset);
        root.put("limit", limit);
        ArrayNode list = root.putArray("connections");
        for (ConnectionSnapshot s : page) {
            list.add(connection(s, now, subs));
        }
        return MonitorResponse.json(200, GoJson.indent(root));
    }

    private static ObjectNode connection(ConnectionSnapshot s, Instant now, boolean subs) {
        ObjectNode c = JSON.createObjectNode();
        c.put("cid", s.cid());
        c.put("kind", "Client");
        c.put("type", "nats");
        c.put("ip", s.ip());
        c.put("port", s.port());
        c.put("start", GoTimes.rfc3339Nano(s.start()));
        c.put("last_activity", GoTimes.rfc3339Nano(s.lastActivity()));
        Instant end = s.stop() == null ? now : s.stop();
        if (s.stop() != null) {
            c.put("stop", GoTimes.rfc3339Nano(s.stop()));
            c.put("reason", s.reason());
        }
        c.put("rtt", "0s");
        c.put("uptime", GoDurations.uptime(Duration.between(s.start(), end)));
        c.put("idle", GoDurations.uptime(Duration.between(s.lastActivity(), end)));
        c.put("pending_bytes", s.pendingBytes());
        c.put("in_msgs", s.inMsgs());
        c.put("out_msgs", s.outMsgs());
        c.put("in_bytes", s.inBytes());
        c.put("out_bytes", s.outBytes());
        c.put("subscriptions", s.subscriptionCount());
        if (!s.name().isEmpty()) {
            c.put("name", s.name());
        }
        if (!s.lang().isEmpty()) {
            c.put("lang", s.lang());
        }
        if (!s.version().isEmpty()) {
            c.put("version", s.version());
        }
        if (subs && !s.subscriptions().isEmpty()) {
            ArrayNode list = c.putArray("subscriptions_list");
            s.subscriptions().forEach(list::add);
        }
        return c;
    }

    private static Comparator<ConnectionSnapshot> comparator(String sort) {
        return switch (sort) {
            case "cid", "" -> Comparator.comparingLong(ConnectionSnapshot::cid);
            case "start" -> Comparator.comparing(ConnectionSnapshot::start);
            case "subs" -> Comparator.comparingInt((ConnectionSnapshot s) -> s.subscriptions().size()).reversed();
            case "pending" -> Comparator.comparingLong(ConnectionSnapshot::pendingBytes).reversed();
            case "msgs_to" -> Comparator.comparingLong(ConnectionSnapshot::outMsgs).reversed();
            case "msgs_from" -> Comparator.comparingLong(ConnectionSnapshot::inMsgs).reversed();
            case "bytes_to" -> Comparator.comparingLong(ConnectionSnapshot::outBytes).reversed();
            case "bytes_from" -> Comparator.comparingLong(ConnectionSnapshot::inBytes).reversed();
            case "last" -> Comparator.comparing(ConnectionSnapshot::lastActivity).reversed();
            case "idle" -> Comparator.comparing(ConnectionSnapshot::lastActivity);
            case "uptime" -> Comparator.comparing(ConnectionSnapshot::start);
            case "stop", "reason" -> Comparator.comparing(ConnectionSnapshot::cid);
            default -> null;
        };
    }
}
