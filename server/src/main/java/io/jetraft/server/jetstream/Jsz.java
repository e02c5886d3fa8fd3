package io.jetraft.server.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.raft.ConsumerAssignment;
import io.jetraft.raft.GroupName;
import io.jetraft.raft.StreamAssignment;
import io.jetraft.raft.health.GroupHealth;
import io.jetraft.raft.health.ReplicaHealth;
import io.jetraft.storage.StreamState;
import io.jetraft.storage.StreamStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The /jsz document (nats-server's JSInfo): configuration, usage, API counters, the meta group as this node sees it
 * (complete on the meta leader) and, when asked, each stream's details with its cluster block and consumers.
 */
public final class Jsz {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final char[] BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private Jsz() {
    }

    /** nats-server's peer id: the first 8 bytes of SHA-256(server_name), each as a base-62 digit. */
    public static String peerId(String serverName) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(serverName.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder(8);
            for (int i = 0; i < 8; i++) {
                sb.append(BASE62[(h[i] & 0xFF) % 62]);
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What /jsz was asked for. */
    public record Options(boolean streams, boolean consumers, boolean config, boolean leaderOnly) {
    }

    /** The document, or null when {@code leaderOnly} and this node does not lead the meta group. */
    public static ObjectNode build(JetStreamService js, String serverId, Options o) {
        if (o.leaderOnly() && !js.raft().meta().isLeader()) {
            return null;
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("server_id", serverId);
        root.put("server_name", js.serverName());
        root.put("now", Instant.now().toString());
        ObjectNode cfg = root.putObject("config");
        cfg.put("max_memory", js.config().jetstream().maxMemoryStore().bytes());
        cfg.put("max_storage", js.config().jetstream().maxFileStore().bytes());
        cfg.put("store_dir", js.config().jetstream().storeDir().toAbsolutePath().toString());
        cfg.put("sync_interval", js.config().jetstream().syncInterval().toNanos());
        cfg.put("sync_always", js.config().jetstream().syncAlways());
        if (!js.domain().isEmpty()) {
            cfg.put("domain", js.domain());
        }
        List<StreamAssignment> streams = js.raft().meta().streams();
        long messages = 0;
        long bytes = 0;
        int consumers = 0;
        int haAssets = 0;
        int streamsLed = 0;
        for (StreamAssignment a : streams) {
            consumers += a.consumers().size();
            if (a.replicas() > 1) {
                haAssets += 1 + a.consumers().size();
            }
            Optional<StreamStore> s = js.raft().streams().localStore(a.name());
            if (s.isPresent()) {
                StreamState st = s.get().state();
                messages += st.messages();
                bytes += st.bytes();
            }
            if (js.raft().streams().isLeader(a.name())) {
                streamsLed++;
            }
        }
        root.put("memory", 0);
        root.put("storage", bytes);
        root.put("reserved_memory", 0);
        root.put("reserved_storage", 0);
        root.put("accounts", 1);
        root.put("ha_assets", haAssets);
        ObjectNode api = root.putObject("api");
        api.put("total", js.apiTotal());
        api.put("errors", js.apiErrors());
        root.put("streams", streams.size());
        if (streamsLed > 0) {
            root.put("streams_leader", streamsLed);
        }
        root.put("consumers", consumers);
        root.put("messages", messages);
        root.put("bytes", bytes);
        if (js.clustered()) {
            root.set("meta_cluster", metaCluster(js));
        }
        if (o.streams()) {
            ArrayNode accounts = root.putArray("account_details");
            ObjectNode acc = accounts.addObject();
            acc.put("name", "$G");
            acc.put("id", "$G");
            acc.put("memory", 0);
            acc.put("storage", bytes);
            ArrayNode details = acc.putArray("stream_detail");
            for (StreamAssignment a : streams) {
                details.add(streamDetail(js, a, o));
            }
        }
        root.put("total", streams.size());
        return root;
    }

    private static ObjectNode metaCluster(JetStreamService js) {
        ObjectNode meta = JSON.createObjectNode();
        meta.put("name", js.config().cluster().map(c -> c.name()).orElse(""));
        Optional<GroupHealth> h = js.metaHealth();
        h.flatMap(GroupHealth::leader).ifPresent(l -> meta.put("leader", l));
        meta.put("peer", peerId(js.serverName()));
        ArrayNode replicas = meta.putArray("replicas");
        if (h.isPresent()) {
            for (ReplicaHealth r : h.get().replicas()) {
                if (r.leader()) {
                    continue;
                }
                replicas.add(replica(js, r));
            }
        }
        meta.put("cluster_size", js.raft().meta().peers().size());
        meta.put("pending", 0);
        return meta;
    }

    private static ObjectNode replica(JetStreamService js, ReplicaHealth r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", r.peer());
        o.put("current", r.current());
        if (js.isOffline(r.peer())) {
            o.put("offline", true);
        }
        o.put("active", r.lastContact().map(Duration::toNanos).orElse(0L));
        if (r.lag() > 0) {
            o.put("lag", r.lag());
        }
        o.put("peer", peerId(r.peer()));
        return o;
    }

    private static ObjectNode streamDetail(JetStreamService js, StreamAssignment a, Options o) {
        ObjectNode d = JSON.createObjectNode();
        d.put("name", a.name());
        d.put("created", a.created().toString());
        ObjectNode cluster = d.putObject("cluster");
        cluster.put("name", js.config().cluster().map(c -> c.name()).orElse(""));
        Optional<GroupHealth> h = js.raft().streams().health(a.name());
        js.raft().streams().leader(a.name()).ifPresent(l -> cluster.put("leader", l));
        ArrayNode replicas = cluster.putArray("replicas");
        h.ifPresent(g -> g.replicas().stream().filter(r -> !r.leader()).forEach(r -> replicas.add(replica(js, r))));
        Optional<StreamStore> s = js.raft().streams().localStore(a.name());
        ObjectNode state = d.putObject("state");
        if (s.isPresent()) {
            StreamState st = s.get().state();
            state.put("messages", st.messages());
            state.put("bytes", st.bytes());
            state.put("first_seq", st.firstSeq());
            state.put("last_seq", st.lastSeq());
            state.put("consumer_count", a.consumers().size());
        }
        if (o.config()) {
            d.set("config", readJson(a.config()));
        }
        if (o.consumers()) {
            ArrayNode cs = d.putArray("consumer_detail");
            for (ConsumerAssignment c : a.consumers()) {
                ObjectNode co = cs.addObject();
                co.put("stream_name", a.name());
                co.put("name", c.name());
                co.put("created", c.created().toString());
                if (o.config()) {
                    co.set("config", readJson(c.config()));
                }
                s.flatMap(store -> store.consumer(c.name())).ifPresent(cons -> {
                    var st = cons.state();
                    ObjectNode del = co.putObject("delivered");
                    del.put("consumer_seq", st.delivered().consumerSeq());
                    del.put("stream_seq", st.delivered().streamSeq());
                    ObjectNode af = co.putObject("ack_floor");
                    af.put("consumer_seq", st.ackFloor().consumerSeq());
                    af.put("stream_seq", st.ackFloor().streamSeq());
                    co.put("num_ack_pending", st.pending().size());
                    co.put("num_redelivered", st.redelivered().size());
                });
            }
        }
        return d;
    }

    private static JsonNode readJson(byte[] b) {
        try {
            return JSON.readTree(b);
        } catch (java.io.IOException e) {
            return JSON.createObjectNode();
        }
    }
}
