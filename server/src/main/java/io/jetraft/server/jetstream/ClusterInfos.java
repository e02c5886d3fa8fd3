package io.jetraft.server.jetstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.raft.health.GroupHealth;
import io.jetraft.raft.health.ReplicaHealth;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * nats-server's ClusterInfo (the {@code cluster} block of streams and consumers) and MetaClusterInfo (/jsz's
 * {@code meta_cluster}, /varz's {@code jetstream.meta}), built from the Raft groups' health as this node sees it.
 */
public final class ClusterInfos {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final char[] BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private ClusterInfos() {
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

    /**
     * The cluster block of a stream (or of one of its consumers, which share its group; the group's leader and replicas
     * are the stream's): {@code {"leader": self}}
     * on a single node; clustered, the cluster name, the group's leader and every replica but this node (this node
     * too while the group has no leader), sorted by name, as nats-server lists them.
     */
    static ObjectNode of(JetStreamService js, String stream) {
        ObjectNode c = JSON.createObjectNode();
        if (!js.clustered()) {
            c.put("leader", js.raft().streams().leader(stream).orElse(js.serverName()));
            return c;
        }
        putIfNotEmpty(c, "name", clusterName(js));
        Optional<String> leader = js.raft().streams().leader(stream);
        if (leader.isEmpty() && !js.raft().streams().hosts(stream)) {
            // a node without a replica (an R1 stream's elsewhere) knows a one-peer group's leader: that peer
            leader = js.raft().meta().stream(stream).filter(a -> a.peers().size() == 1)
                    .map(a -> a.peers().get(0).name());
        }
        leader.ifPresent(l -> c.put("leader", l));
        List<ReplicaHealth> rows = js.raft().streams().health(stream).map(GroupHealth::replicas).orElse(List.of());
        ArrayNode replicas = peers(js, rows, leader.isPresent());
        if (!replicas.isEmpty()) {
            c.set("replicas", replicas);
        }
        return c;
    }

    /**
     * MetaClusterInfo, or empty on a single node (no meta group there in nats-server): {@code peer} is the hash of
     * the leader's name, as nats-server writes it; the replicas are listed on the meta leader only.
     */
    public static Optional<ObjectNode> meta(JetStreamService js) {
        if (!js.clustered() || js.raftNode() == null) {
            return Optional.empty();
        }
        Optional<GroupHealth> h = js.metaHealth();
        Optional<String> leader = js.raft().meta().leader();
        ObjectNode meta = JSON.createObjectNode();
        putIfNotEmpty(meta, "name", clusterName(js));
        leader.ifPresent(l -> meta.put("leader", l));
        // nats-server hashes the leader's name even when there is none (the hash of "")
        meta.put("peer", peerId(leader.orElse("")));
        if (leader.isPresent() && leader.get().equals(js.serverName()) && h.isPresent()) {
            ArrayNode replicas = peers(js, h.get().replicas(), true);
            if (!replicas.isEmpty()) {
                meta.set("replicas", replicas);
            }
        }
        meta.put("cluster_size", js.raft().meta().peers().size());
        // nats-server 2.10: proposals of the meta leader not yet applied; jetraft proposes and waits, none queue
        meta.put("pending", 0);
        return Optional.of(meta);
    }

    private static ArrayNode peers(JetStreamService js, List<ReplicaHealth> rows, boolean hasLeader) {
        ArrayNode out = JSON.createArrayNode();
        rows.stream().filter(r -> !(r.self() && hasLeader)).sorted(Comparator.comparing(ReplicaHealth::peer))
                .forEach(r -> out.add(peer(js, r)));
        return out;
    }

    /** PeerInfo, from the group's health row of the peer and whether its route is up. */
    private static ObjectNode peer(JetStreamService js, ReplicaHealth r) {
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

    private static String clusterName(JetStreamService js) {
        return js.config().cluster().map(c -> c.name()).orElse("");
    }

    private static void putIfNotEmpty(ObjectNode o, String field, String value) {
        if (!value.isEmpty()) {
            o.put(field, value);
        }
    }
}
