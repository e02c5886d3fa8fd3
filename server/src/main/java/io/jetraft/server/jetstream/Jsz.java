package io.jetraft.server.jetstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.config.JetStreamConfig;
import io.jetraft.raft.StreamAssignment;
import io.jetraft.server.util.GoTimes;
import io.jetraft.storage.StreamState;
import io.jetraft.storage.StreamStore;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The /jsz document (nats-server's JSInfo): configuration, usage, API counters, the meta group as this node sees it
 * (its replicas on the meta leader only) and, when asked, the details of the streams this node holds a replica of.
 * The JetStreamConfig and JetStreamStats blocks are also /varz's {@code jetstream.config} and {@code .stats}.
 */
public final class Jsz {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** What nats-server prints as an account's reservation when the account has no limits: uint64(-1). */
    private static final BigInteger NO_ACCOUNT_LIMIT = BigInteger.TWO.pow(64).subtract(BigInteger.ONE);

    private Jsz() {
    }

    /**
     * What /jsz was asked for; as in nats-server, consumers imply streams, and streams imply account details.
     *
     * @param raft also count the streams and consumers this node leads ({@code streams_leader}, ...)
     */
    public record Options(boolean accounts, boolean streams, boolean consumers, boolean config, boolean leaderOnly,
                          boolean raft) {

        public Options {
            streams |= consumers;
            accounts |= streams;
        }
    }

    /** The document, or empty when {@code leaderOnly} and this node does not lead the meta group. */
    public static Optional<ObjectNode> build(JetStreamService js, String serverId, Options o) {
        if (o.leaderOnly() && js.clustered() && !js.raft().meta().isLeader()) {
            return Optional.empty();
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("server_id", serverId);
        root.put("server_name", js.serverName());
        root.put("now", GoTimes.rfc3339Nano(Instant.now()));
        root.set("config", config(js.config().jetstream()));
        List<StreamAssignment> streams = localStreams(js);
        Usage usage = usage(js, streams);
        root.setAll(stats(js, usage));
        root.put("streams", streams.size());
        if (o.raft() && usage.streamsLed() > 0) {
            root.put("streams_leader", usage.streamsLed());
        }
        root.put("consumers", usage.consumers());
        if (o.raft() && usage.consumersLed() > 0) {
            root.put("consumers_leader", usage.consumersLed());
        }
        root.put("messages", usage.messages());
        root.put("bytes", usage.memory() + usage.storage());
        ClusterInfos.meta(js).ifPresent(meta -> root.set("meta_cluster", meta));
        if (o.accounts()) {
            ArrayNode accounts = root.putArray("account_details");
            accounts.add(accountDetail(js, streams, usage, o));
        }
        // the number of JetStream accounts (newer nats-server); jetraft has one, the global account
        root.put("total", 1);
        return Optional.of(root);
    }

    /** JetStreamConfig: the limits and store of this node, as configured. */
    public static ObjectNode config(JetStreamConfig c) {
        ObjectNode cfg = JSON.createObjectNode();
        cfg.put("max_memory", c.maxMemoryStore().bytes());
        cfg.put("max_storage", c.maxFileStore().bytes());
        cfg.put("store_dir", c.storeDir().toAbsolutePath().toString());
        cfg.put("sync_interval", c.syncInterval().toNanos());
        if (c.syncAlways()) {
            cfg.put("sync_always", true);
        }
        if (c.domain() != null && !c.domain().isEmpty()) {
            cfg.put("domain", c.domain());
        }
        return cfg;
    }

    /** JetStreamStats of this node, as /varz's {@code jetstream.stats}. */
    public static ObjectNode stats(JetStreamService js) {
        return stats(js, usage(js, localStreams(js)));
    }

    private static ObjectNode stats(JetStreamService js, Usage usage) {
        ObjectNode s = JSON.createObjectNode();
        s.put("memory", usage.memory());
        s.put("storage", usage.storage());
        // reservations come from account limits, which jetraft does not have
        s.put("reserved_memory", 0);
        s.put("reserved_storage", 0);
        s.put("accounts", 1);
        s.put("ha_assets", usage.haAssets());
        s.set("api", api(js));
        return s;
    }

    private static ObjectNode api(JetStreamService js) {
        ObjectNode api = JSON.createObjectNode();
        api.put("total", js.apiTotal());
        api.put("errors", js.apiErrors());
        return api;
    }

    /** The global account's AccountDetail, as nats-server fills it (accounts and ha_assets are not counted there). */
    private static ObjectNode accountDetail(JetStreamService js, List<StreamAssignment> streams, Usage usage,
                                            Options o) {
        ObjectNode acc = JSON.createObjectNode();
        acc.put("name", "$G");
        acc.put("id", "$G");
        acc.put("memory", usage.memory());
        acc.put("storage", usage.storage());
        acc.put("reserved_memory", NO_ACCOUNT_LIMIT);
        acc.put("reserved_storage", NO_ACCOUNT_LIMIT);
        acc.put("accounts", 0);
        acc.put("ha_assets", 0);
        acc.set("api", api(js));
        if (o.streams()) {
            ArrayNode details = acc.putArray("stream_detail");
            for (StreamAssignment a : streams) {
                details.add(StreamDetails.of(js, a, o.consumers(), o.config()));
            }
        }
        return acc;
    }

    /** The streams this node holds a replica of: the only ones a nats-server node reports in /jsz. */
    private static List<StreamAssignment> localStreams(JetStreamService js) {
        List<StreamAssignment> out = new ArrayList<>();
        for (StreamAssignment a : js.raft().meta().streams()) {
            if (!js.clustered() || a.isOn(js.serverName())) {
                out.add(a);
            }
        }
        return out;
    }

    /** What the local streams hold and how many HA assets (Raft nodes, as nats-server counts them) they make. */
    private record Usage(long memory, long storage, long messages, int consumers, int haAssets, int streamsLed,
                         int consumersLed) {
    }

    private static Usage usage(JetStreamService js, List<StreamAssignment> streams) {
        long memory = 0;
        long storage = 0;
        long messages = 0;
        int consumers = 0;
        // nats-server counts its Raft nodes: the meta group, and a group per replicated stream and per consumer
        int haAssets = js.clustered() ? 1 : 0;
        int streamsLed = 0;
        int consumersLed = 0;
        for (StreamAssignment a : streams) {
            consumers += a.consumers().size();
            if (js.clustered() && a.replicas() > 1) {
                haAssets += 1 + a.consumers().size();
            }
            Optional<StreamStore> s = js.raft().streams().localStore(a.name());
            if (s.isPresent()) {
                StreamState st = s.get().state();
                messages += st.messages();
                if (StreamDetails.isMemoryStorage(a)) {
                    memory += st.bytes();
                } else {
                    storage += st.bytes();
                }
            }
            if (js.raft().streams().isLeader(a.name())) {
                streamsLed++;
                consumersLed += a.consumers().size();
            }
        }
        return new Usage(memory, storage, messages, consumers, haAssets, streamsLed, consumersLed);
    }
}
