package io.jetraft.server.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * {@code jetraft report jetstream}: natscli's "JetStream Summary" per server, its "RAFT Meta Group Information" (read
 * from the meta leader), and the stream replicas that are not current; servers that did not answer are named.
 */
public final class JetStreamReport {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<JszSource.Answer> answers;

    public JetStreamReport(List<JszSource.Answer> answers) {
        this.answers = answers;
    }

    public List<JszSource.Answer> answered() {
        return answers.stream().filter(JszSource.Answer::ok).toList();
    }

    public List<JszSource.Answer> missing() {
        return answers.stream().filter(a -> !a.ok()).toList();
    }

    /** The meta leader's name, as the answering servers report it. */
    public Optional<String> metaLeader() {
        return answered().stream().map(a -> a.jsz().path("meta_cluster").path("leader").asText(""))
                .filter(s -> !s.isEmpty()).findFirst();
    }

    /** The meta leader's own /jsz, when it answered. */
    public Optional<JsonNode> leaderJsz() {
        Optional<String> leader = metaLeader();
        return leader.flatMap(l -> answered().stream().filter(a -> a.name().equals(l)).map(JszSource.Answer::jsz)
                .findFirst());
    }

    /** One row of the meta group table. */
    public record MetaRow(String name, String id, boolean leader, boolean current, boolean online, Duration active,
                          long lag) {
    }

    public List<MetaRow> metaRows() {
        List<MetaRow> rows = new ArrayList<>();
        leaderJsz().ifPresent(j -> {
            JsonNode meta = j.path("meta_cluster");
            rows.add(new MetaRow(meta.path("leader").asText(), meta.path("peer").asText(), true, true, true,
                    Duration.ZERO, 0));
            for (JsonNode r : meta.path("replicas")) {
                rows.add(new MetaRow(r.path("name").asText(), r.path("peer").asText(), false,
                        r.path("current").asBoolean(false), !r.path("offline").asBoolean(false),
                        Duration.ofNanos(r.path("active").asLong(0)), r.path("lag").asLong(0)));
            }
        });
        rows.sort(Comparator.comparing(MetaRow::name));
        return rows;
    }

    /** One stream replica that is not current, as the stream's leader reports it (replica "-" when leaderless). */
    public record ReplicaRow(String stream, String replica, boolean current, boolean online, Duration active,
                             long lag, String problem) {
    }

    public List<ReplicaRow> notCurrent() {
        List<ReplicaRow> out = new ArrayList<>();
        java.util.Map<String, Boolean> seenWithLeader = new java.util.TreeMap<>();
        for (JszSource.Answer a : answered()) {
            for (JsonNode acc : a.jsz().path("account_details")) {
                for (JsonNode s : acc.path("stream_detail")) {
                    String name = s.path("name").asText();
                    String leader = s.path("cluster").path("leader").asText("");
                    seenWithLeader.merge(name, !leader.isEmpty(), Boolean::logicalOr);
                    if (!leader.equals(a.name())) {
                        continue;
                    }
                    int replicas = s.path("config").path("num_replicas").asInt(0);
                    int rows = 0;
                    for (JsonNode r : s.path("cluster").path("replicas")) {
                        rows++;
                        boolean current = r.path("current").asBoolean(false);
                        boolean online = !r.path("offline").asBoolean(false);
                        if (!current || !online) {
                            out.add(new ReplicaRow(name, r.path("name").asText(), current, online,
                                    Duration.ofNanos(r.path("active").asLong(0)), r.path("lag").asLong(0),
                                    online ? "not current" : "offline"));
                        }
                    }
                    if (replicas > 1 && rows < replicas - 1) {
                        out.add(new ReplicaRow(name, "-", false, false, Duration.ZERO, 0,
                                (replicas - 1 - rows) + " replica(s) missing"));
                    }
                }
            }
        }
        seenWithLeader.forEach((stream, led) -> {
            if (!led) {
                out.add(new ReplicaRow(stream, "-", false, false, Duration.ZERO, 0, "no leader"));
            }
        });
        return out;
    }

    public String render() {
        StringBuilder sb = new StringBuilder();
        Table summary = new Table("JetStream Summary", "Server", "Cluster", "Streams", "Consumers", "Messages",
                "Bytes", "Memory", "File", "API Req", "Pending");
        String leader = metaLeader().orElse("");
        long ts = 0;
        long tc = 0;
        long tm = 0;
        long tb = 0;
        long tmem = 0;
        long tf = 0;
        long tapi = 0;
        long tp = 0;
        List<JszSource.Answer> sorted = new ArrayList<>(answered());
        sorted.sort(Comparator.comparing(JszSource.Answer::name));
        for (JszSource.Answer a : sorted) {
            JsonNode j = a.jsz();
            long streams = j.path("streams").asLong();
            long consumers = j.path("consumers").asLong();
            long messages = j.path("messages").asLong();
            long bytes = j.path("bytes").asLong();
            long memory = j.path("memory").asLong();
            long file = j.path("storage").asLong();
            long api = j.path("api").path("total").asLong();
            long pending = j.path("meta_cluster").path("pending").asLong();
            summary.row(a.name() + (a.name().equals(leader) ? "*" : ""), j.path("meta_cluster").path("name")
                    .asText(""), streams, consumers, messages, Humanize.bytes(bytes), Humanize.bytes(memory),
                    Humanize.bytes(file), api, pending);
            ts += streams;
            tc += consumers;
            tm += messages;
            tb += bytes;
            tmem += memory;
            tf += file;
            tapi += api;
            tp += pending;
        }
        summary.footer("", "", ts, tc, tm, Humanize.bytes(tb), Humanize.bytes(tmem), Humanize.bytes(tf), tapi, tp);
        sb.append(summary.render()).append('\n');
        for (JszSource.Answer m : missing()) {
            sb.append("WARNING: ").append(m.url()).append(" did not answer: ").append(m.error()).append('\n');
        }
        if (leaderJsz().isEmpty()) {
            int size = answered().stream().mapToInt(a -> a.jsz().path("meta_cluster").path("cluster_size").asInt(0))
                    .max().orElse(answers.size());
            sb.append(String.format("WARNING: No cluster meta leader found. The cluster expects %d nodes but only %d "
                    + "responded. JetStream operation requires at least %d up nodes.%n", size, answered().size(),
                    size / 2 + 1));
        } else {
            String cluster = leaderJsz().get().path("meta_cluster").path("name").asText("");
            Table meta = new Table("RAFT Meta Group Information - Lead cluster: " + cluster, "Connection Name", "ID",
                    "Leader", "Current", "Online", "Active", "Lag");
            for (MetaRow r : metaRows()) {
                meta.row(r.name(), r.id(), r.leader() ? "yes" : "", r.current(), r.online(),
                        Humanize.duration(r.active()), r.lag());
            }
            sb.append('\n').append(meta.render());
            for (MetaRow r : metaRows()) {
                if (!r.online()) {
                    sb.append("WARNING: ").append(r.name()).append(" is offline\n");
                }
            }
        }
        List<ReplicaRow> bad = notCurrent();
        if (!bad.isEmpty()) {
            Table t = new Table("Stream replicas that are not current", "Stream", "Replica", "Current", "Online",
                    "Active", "Lag", "Problem");
            for (ReplicaRow r : bad) {
                t.row(r.stream(), r.replica(), r.current(), r.online(), Humanize.duration(r.active()), r.lag(),
                        r.problem());
            }
            sb.append('\n').append(t.render());
        }
        return sb.toString();
    }

    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode servers = root.putArray("servers");
        answered().forEach(a -> servers.add(a.jsz()));
        ArrayNode missing = root.putArray("missing");
        missing().forEach(m -> missing.addObject().put("url", m.url()).put("error", m.error()));
        metaLeader().ifPresent(l -> root.put("meta_leader", l));
        ArrayNode meta = root.putArray("meta_group");
        for (MetaRow r : metaRows()) {
            ObjectNode o = meta.addObject();
            o.put("name", r.name());
            o.put("id", r.id());
            o.put("leader", r.leader());
            o.put("current", r.current());
            o.put("online", r.online());
            o.put("active", r.active().toNanos());
            o.put("lag", r.lag());
        }
        ArrayNode bad = root.putArray("not_current");
        for (ReplicaRow r : notCurrent()) {
            ObjectNode o = bad.addObject();
            o.put("stream", r.stream());
            o.put("replica", r.replica());
            o.put("current", r.current());
            o.put("online", r.online());
            o.put("active", r.active().toNanos());
            o.put("lag", r.lag());
            o.put("problem", r.problem());
        }
        return root;
    }
}
