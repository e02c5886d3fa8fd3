package io.jetraft.server.monitor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.config.ClusterConfig;
import io.jetraft.config.JetStreamConfig;
import io.jetraft.config.ServerConfig;
import io.jetraft.server.client.ClientRegistry;
import io.jetraft.server.node.LiveConfig;
import io.jetraft.server.node.NodeIdentity;
import io.jetraft.server.node.ServerStats;
import io.jetraft.server.subject.SubjectIndex;
import io.jetraft.server.jetstream.ClusterInfos;
import io.jetraft.server.jetstream.JetStreamService;
import io.jetraft.server.jetstream.Jsz;
import io.jetraft.server.util.GoDurations;
import io.jetraft.server.util.GoJson;
import io.jetraft.server.util.GoTimes;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/** GET /varz: the node's settings and counters with nats-server's field names and units. */
public final class VarzEndpoint implements MonitorEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final NodeIdentity identity;
    private final LiveConfig config;
    private final ServerStats stats;
    private final ClientRegistry clients;
    private final SubjectIndex index;
    private final IntSupplier clientPort;
    private final IntSupplier httpPort;
    private final Supplier<Map<String, Long>> httpRequests;
    private final IntSupplier routes;
    private final Supplier<List<String>> connectUrls;
    private final Supplier<JetStreamService> jetstream;
    private final Instant configLoadTime = Instant.now();

    /**
     * @param connectUrls the client URLs of the cluster, as the INFO sent to clients lists them
     * @param jetstream JetStream on this node, null while it starts or when it is off
     */
    public VarzEndpoint(NodeIdentity identity, LiveConfig config, ServerStats stats, ClientRegistry clients,
                        SubjectIndex index, IntSupplier clientPort, IntSupplier httpPort,
                        Supplier<Map<String, Long>> httpRequests, IntSupplier routes,
                        Supplier<List<String>> connectUrls, Supplier<JetStreamService> jetstream) {
        this.identity = identity;
        this.config = config;
        this.stats = stats;
        this.clients = clients;
        this.index = index;
        this.clientPort = clientPort;
        this.httpPort = httpPort;
        this.httpRequests = httpRequests;
        this.routes = routes;
        this.connectUrls = connectUrls;
        this.jetstream = jetstream;
    }

    @Override
    public MonitorResponse handle(Map<String, List<String>> query) {
        ServerConfig c = config.get();
        Instant now = Instant.now();
        ObjectNode v = JSON.createObjectNode();
        v.put("server_id", identity.serverId());
        v.put("server_name", identity.serverName());
        v.put("version", NodeIdentity.NATS_COMPATIBLE_VERSION);
        v.put("jetraft_version", NodeIdentity.JETRAFT_VERSION);
        v.put("proto", NodeIdentity.PROTOCOL);
        v.put("go", "java" + Runtime.version());
        v.put("host", c.clientListen().host());
        v.put("port", clientPort.getAsInt());
        List<String> urls = connectUrls.get();
        if (!urls.isEmpty()) {
            ArrayNode connect = v.putArray("connect_urls");
            urls.forEach(connect::add);
        }
        v.put("max_connections", c.maxConnections());
        v.put("ping_interval", c.pingInterval().toNanos());
        v.put("ping_max", c.pingMaxOut());
        v.put("http_host", c.httpListen().host());
        v.put("http_port", httpPort.getAsInt());
        v.put("http_base_path", "");
        v.put("https_port", 0);
        v.put("auth_timeout", 2);
        v.put("max_control_line", c.maxControlLine().bytes());
        v.put("max_payload", c.maxPayload().bytes());
        v.put("max_pending", c.maxPending().bytes());
        v.set("cluster", cluster(c));
        v.set("gateway", JSON.createObjectNode());
        v.set("leaf", JSON.createObjectNode());
        v.set("mqtt", JSON.createObjectNode());
        v.set("websocket", JSON.createObjectNode());
        v.set("jetstream", jetstream(c.jetstream(), jetstream.get()));
        v.put("tls_timeout", 2);
        v.put("write_deadline", c.writeDeadline().toNanos());
        v.put("start", GoTimes.rfc3339Nano(stats.started()));
        v.put("now", GoTimes.rfc3339Nano(now));
        v.put("uptime", GoDurations.uptime(Duration.ofNanos(stats.uptimeNanos())));
        Runtime rt = Runtime.getRuntime();
        v.put("mem", rt.totalMemory() - rt.freeMemory());
        v.put("cores", rt.availableProcessors());
        v.put("gomaxprocs", rt.availableProcessors());
        v.put("cpu", cpuPercent());
        v.put("connections", clients.size());
        v.put("total_connections", stats.totalConnections.sum());
        v.put("routes", routes.getAsInt());
        // one route per remote node (pool_size 1), as nats-server counts remotes
        v.put("remotes", routes.getAsInt());
        v.put("leafnodes", 0);
        ClientRegistry.Traffic traffic = clients.traffic();
        v.put("in_msgs", traffic.inMsgs());
        v.put("out_msgs", traffic.outMsgs());
        v.put("in_bytes", traffic.inBytes());
        v.put("out_bytes", traffic.outBytes());
        v.put("slow_consumers", stats.slowConsumers.sum());
        v.put("subscriptions", index.count());
        ObjectNode req = v.putObject("http_req_stats");
        httpRequests.get().forEach(req::put);
        v.put("config_load_time", GoTimes.rfc3339Nano(configLoadTime));
        v.put("system_account", "$SYS");
        ObjectNode slow = v.putObject("slow_consumer_stats");
        slow.put("clients", stats.slowConsumers.sum());
        slow.put("routes", 0);
        slow.put("gateways", 0);
        slow.put("leafs", 0);
        return MonitorResponse.json(200, GoJson.indent(v));
    }

    private static ObjectNode cluster(ServerConfig c) {
        ObjectNode node = JSON.createObjectNode();
        c.cluster().ifPresent((ClusterConfig cluster) -> {
            node.put("name", cluster.name());
            node.put("addr", cluster.listen().host());
            node.put("cluster_port", cluster.listen().port());
            node.put("auth_timeout", 2);
            ArrayNode urls = node.putArray("urls");
            cluster.routes().forEach(u -> urls.add(u.getHost() + ":" + u.getPort()));
            node.put("tls_timeout", 2);
            node.put("pool_size", 1);
        });
        return node;
    }

    /** JetStreamVarz: {@code {}} when JetStream is off; its config, stats and (in a cluster) meta group when on. */
    private static ObjectNode jetstream(JetStreamConfig config, JetStreamService js) {
        ObjectNode node = JSON.createObjectNode();
        if (!config.enabled()) {
            return node;
        }
        node.set("config", Jsz.config(config));
        if (js != null && js.raftNode() != null) {
            node.set("stats", Jsz.stats(js));
            ClusterInfos.meta(js).ifPresent(meta -> node.set("meta", meta));
        }
        return node;
    }

    private static double cpuPercent() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            double load = os.getProcessCpuLoad();
            return load < 0 ? 0 : Math.round(load * 1000.0 * os.getAvailableProcessors()) / 10.0;
        }
        return 0;
    }
}
