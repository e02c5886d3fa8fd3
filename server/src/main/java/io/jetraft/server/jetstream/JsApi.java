package io.jetraft.server.jetstream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.raft.ConsumerAssignment;
import io.jetraft.raft.ConsumerSpec;
import io.jetraft.raft.GroupName;
import io.jetraft.raft.ProposalFailedException;
import io.jetraft.raft.Result;
import io.jetraft.raft.StreamAssignment;
import io.jetraft.raft.StreamSpec;
import io.jetraft.server.internal.InternalMessage;
import io.jetraft.server.jetstream.consumer.ConsumerEngine;
import io.jetraft.storage.ConsumerStore;
import io.jetraft.storage.JsError;
import io.jetraft.storage.PurgeRequest;
import io.jetraft.storage.StoredMessage;
import io.jetraft.storage.StreamState;
import io.jetraft.storage.StreamStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The $JS.API as nats-server answers it: every node answers every request (reads that must be current go to the
 * stream's leader through a $JSR forward), with nats-server's subjects, JSON shapes, "type" names and error codes.
 */
final class JsApi {

    private static final Logger LOG = LoggerFactory.getLogger(JsApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "$JS.API.";
    private static final String TYPE = "io.nats.jetstream.api.v1.";
    private static final int NAMES_LIMIT = 1024;
    private static final int LIST_LIMIT = 256;
    private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(5);
    /** How long a read waits for a stream group that has no leader (an election under way) before 10008. */
    private static final Duration LEADERLESS_WAIT = Duration.ofSeconds(2);
    private static final Duration LEADER_WAIT = Duration.ofSeconds(10);

    private final JetStreamService js;

    JsApi(JetStreamService js) {
        this.js = js;
    }

    // ---- routing -----------------------------------------------------------------------------------------------

    /** A request on $JS.API.> (on any node). */
    void handle(InternalMessage m) {
        String subject = m.subject();
        if (!subject.startsWith(PREFIX) || m.reply() == null || m.reply().isEmpty()) {
            return;
        }
        String api = subject.substring(PREFIX.length());
        if (api.startsWith("CONSUMER.MSG.NEXT.")) {
            return; // served by the stream leader's own subscription
        }
        try {
            route(api, m);
        } catch (ApiException e) {
            error(m.reply(), kindOf(api), e.error());
        } catch (RuntimeException e) {
            LOG.error("JetStream API request {} failed", subject, e);
            error(m.reply(), kindOf(api), new JsError(500, 10003, "bad request"));
        }
    }

    /** A read forwarded to this node because it leads the stream ($JSR.<stream>.<api>). */
    void handleForwarded(String stream, InternalMessage m) {
        if (js.ledStream(stream) == null) {
            // it reached this node's leader subscription as the leadership moved away: to the new leader (it was
            // answered 10008 here, although the new leader was there to serve it)
            js.awaitingLeader().forward(m);
            return;
        }
        String api = m.subject().substring(("$JSR." + stream + ".").length());
        try {
            serveLocally(api, stream, m);
        } catch (ApiException e) {
            error(m.reply(), kindOf(api), e.error());
        } catch (RuntimeException e) {
            LOG.error("forwarded JetStream request {} failed", m.subject(), e);
            error(m.reply(), kindOf(api), new JsError(500, 10003, "bad request"));
        }
    }

    private void route(String api, InternalMessage m) {
        String[] t = api.split("\\.");
        String reply = m.reply();
        if (js.clustered() && js.raft().meta().peers().isEmpty()) {
            // a cluster node that has not formed or joined the meta group yet (its routes are still connecting)
            // knows no stream and no peer: as nats-server without a meta leader, it is not available yet (it
            // answered a create for R3 "replicas > 1 not supported in non-clustered mode")
            throw new ApiException(JsErrors.CLUSTER_NOT_AVAILABLE);
        }
        switch (t[0]) {
            case "INFO" -> accountInfo(reply);
            case "STREAM" -> {
                need(t, 2);
                switch (t[1]) {
                    case "CREATE" -> streamCreate(name(t, 2), m, false);
                    case "UPDATE" -> streamCreate(name(t, 2), m, true);
                    case "DELETE" -> streamDelete(name(t, 2), reply);
                    case "NAMES" -> streamNames(m);
                    case "LIST" -> streamList(m);
                    case "PURGE" -> streamPurge(name(t, 2), m);
                    case "INFO", "MSG", "LEADER", "PEER" -> {
                        if (t[1].equals("MSG") && t.length > 2 && t[2].equals("DELETE")) {
                            msgDelete(name(t, 3), m);
                        } else if (t[1].equals("LEADER")) {
                            forwardOrServe(api, name(t, 3), m);
                        } else if (t[1].equals("PEER")) {
                            throw new ApiException(400, 10040, "peer not a member");
                        } else {
                            forwardOrServe(api, t[1].equals("MSG") ? name(t, 3) : name(t, 2), m);
                        }
                    }
                    default -> throw new ApiException(JsErrors.BAD_REQUEST);
                }
            }
            case "CONSUMER" -> {
                need(t, 2);
                switch (t[1]) {
                    case "CREATE" -> consumerCreate(t, m, false);
                    case "DURABLE" -> consumerCreate(t, m, true);
                    case "DELETE" -> consumerDelete(name(t, 2), name(t, 3), reply);
                    case "NAMES" -> consumerNames(name(t, 2), m);
                    case "LIST", "INFO" -> forwardOrServe(api, name(t, 2), m);
                    case "LEADER" -> {
                        name(t, 4);
                        forwardOrServe(api, name(t, 3), m);
                    }
                    default -> throw new ApiException(JsErrors.BAD_REQUEST);
                }
            }
            case "DIRECT" -> {
                need(t, 3);
                forwardOrServe(api, name(t, 2), m);
            }
            case "META" -> metaStepDown(m);
            default -> throw new ApiException(JsErrors.BAD_REQUEST);
        }
    }

    private static void need(String[] t, int n) {
        if (t.length < n) {
            throw new ApiException(JsErrors.BAD_REQUEST);
        }
    }

    private static String name(String[] t, int i) {
        if (t.length <= i || t[i].isEmpty()) {
            throw new ApiException(JsErrors.BAD_REQUEST);
        }
        return t[i];
    }

    /** Serves a read on the stream's leader: here if this node leads it, else forwarded there. */
    private void forwardOrServe(String api, String stream, InternalMessage m) {
        if (js.ledStream(stream) != null) {
            serveLocally(api, stream, m);
            return;
        }
        if (js.raft().meta().stream(stream).isEmpty()) {
            throw new ApiException(JsErrors.STREAM_NOT_FOUND);
        }
        // Moments after a step-down the group may have no leader yet: the request is sent again until the new
        // leader's subscription takes it, for a bounded time (as nats-server, which answers 10008 only for a group
        // that stays leaderless)
        Duration timeout = js.raft().streams().leader(stream).isEmpty() ? LEADERLESS_WAIT : FORWARD_TIMEOUT;
        js.internal().request("$JSR." + stream + "." + api, m.headers(), m.data(), timeout)
                .whenComplete((r, err) -> {
                    if (err != null) {
                        error(m.reply(), kindOf(api), JsErrors.CLUSTER_NOT_AVAILABLE);
                    } else {
                        js.internal().publish(m.reply(), null, r.hasHeaders() ? r.headers() : null, r.data());
                    }
                });
    }

    /** Reads served by the stream leader. */
    private void serveLocally(String api, String stream, InternalMessage m) {
        LedStream led = js.ledStream(stream);
        if (led == null) {
            throw new ApiException(JsErrors.CLUSTER_NOT_AVAILABLE);
        }
        String[] t = api.split("\\.");
        led.executor().execute(() -> {
            try {
                switch (t[0] + "." + t[1]) {
                    case "STREAM.INFO" -> send(m.reply(), streamInfo(stream, "stream_info", m.data()));
                    case "STREAM.MSG" -> msgGet(stream, m);
                    case "CONSUMER.INFO" -> {
                        if (led.consumer(name(t, 3)) == null) {
                            // created moments ago: its engine runs from now on, and the info is the engine's (a
                            // follower's create is answered with this info, before the first pull or delivery)
                            js.raft().meta().stream(stream).ifPresent(led::refresh);
                        }
                        send(m.reply(), consumerInfo(stream, name(t, 3), "consumer_info"));
                    }
                    case "CONSUMER.LIST" -> consumerList(stream, m);
                    case "DIRECT.GET" -> directGet(stream, t, m);
                    case "STREAM.LEADER" -> stepDown(groupOf(stream), m, "stream_leader_stepdown");
                    case "CONSUMER.LEADER" -> {
                        js.raft().meta().stream(stream).flatMap(a -> a.consumer(name(t, 4)))
                                .orElseThrow(() -> new ApiException(JsErrors.CONSUMER_NOT_FOUND));
                        // a consumer is led by its stream's leader: stepping it down moves the stream's group
                        stepDown(groupOf(stream), m, "consumer_leader_stepdown");
                    }
                    default -> throw new ApiException(JsErrors.BAD_REQUEST);
                }
            } catch (ApiException e) {
                error(m.reply(), kindOf(api), e.error());
            }
        });
    }

    // ---- streams -----------------------------------------------------------------------------------------------

    private void streamCreate(String name, InternalMessage m, boolean update) {
        String kind = update ? "stream_update" : "stream_create";
        JsonNode body = JsRequest.STREAM_CONFIG.decode(m.data());
        if (body.path("name").asText("").isEmpty() && body.isObject()) {
            ((ObjectNode) body).put("name", name);
        }
        if (!body.path("name").asText().equals(name)) {
            throw new ApiException(400, 10056, "stream name in subject does not match request");
        }
        List<String> others = new ArrayList<>();
        for (StreamAssignment a : js.raft().meta().streams()) {
            if (!a.name().equals(name)) {
                others.addAll(LedStream.subjects(a));
            }
        }
        int clusterSize = js.clustered() ? js.raft().meta().peers().size() : 0;
        ObjectNode config = StreamConfigs.normalize(body, others, clusterSize,
                js.config().maxPayload().bytes());
        Optional<StreamAssignment> existing = js.raft().meta().stream(name);
        if (update) {
            if (existing.isEmpty()) {
                throw new ApiException(JsErrors.STREAM_NOT_FOUND);
            }
            StreamConfigs.checkUpdate(readConfig(existing.get()), config);
        } else if (existing.isPresent()) {
            JsonNode old = readConfig(existing.get());
            // compared as stored (through JSON bytes): a number read back is an int where the fresh one is a long
            if (old.equals(readConfig(bytes(config)))) {
                respondWithInfo(name, kind, m.reply(), true);
                return;
            }
            throw new ApiException(400, 10058, "stream name already in use with a different configuration");
        }
        // placement.preferred: the stream goes on the stream group that peer prefers to lead (it leads the stream)
        String preferred = body.path("placement").path("preferred").asText("");
        if (!preferred.isEmpty() && js.raft().meta().peers().stream().noneMatch(p -> p.name().equals(preferred))) {
            throw new ApiException(400, 10005, "no suitable peers for placement");
        }
        StreamSpec spec = new StreamSpec(name, config.get("num_replicas").asInt(), StreamConfigs.limits(config),
                bytes(config), preferred);
        CompletableFuture<Result<StreamAssignment>> f = update ? js.raft().meta().updateStream(spec)
                : js.raft().meta().createStream(spec);
        f.whenComplete((r, err) -> {
            if (err != null) {
                error(m.reply(), kind, failure(err));
            } else if (!r.isOk()) {
                error(m.reply(), kind, r.error());
            } else {
                respondWithInfo(name, kind, m.reply(), !update);
            }
        });
    }

    /** Answers with the stream's info once it has a leader (so that a publish right after works). */
    private void respondWithInfo(String stream, String kind, String reply, boolean didCreate) {
        awaitLeader(stream, System.nanoTime() + LEADER_WAIT.toNanos()).whenComplete((v, err) -> {
            LedStream led = js.ledStream(stream);
            if (led == null && !js.raft().streams().hosts(stream)) {
                // no replica here: this node's view knows no leader or state; the leader's info is asked instead
                // (the answer through such a node named no leader: every non-replica of an R3 stream on five nodes)
                infoFromNonReplica(stream, kind, reply, didCreate);
                return;
            }
            Runnable answer = () -> {
                ObjectNode info;
                try {
                    info = led != null ? streamInfo(stream, kind, null) : streamInfoFromView(stream, kind);
                } catch (ApiException e) {
                    error(reply, kind, e.error());
                    return;
                }
                if (kind.equals("stream_create")) {
                    info.put("did_create", didCreate);
                }
                send(reply, info);
            };
            if (led != null) {
                led.executor().execute(answer);
            } else {
                answer.run();
            }
        });
    }

    private void infoFromNonReplica(String stream, String kind, String reply, boolean didCreate) {
        js.internal().request("$JSR." + stream + ".STREAM.INFO." + stream, null, new byte[0], LEADERLESS_WAIT)
                .whenComplete((r, err) -> {
                    JsonNode info = null;
                    if (err == null) {
                        try {
                            info = JSON.readTree(r.data());
                        } catch (java.io.IOException e) {
                            info = null;
                        }
                    }
                    ObjectNode answer;
                    if (info instanceof ObjectNode o && !o.has("error")) {
                        answer = o;
                        answer.put("type", TYPE + kind + "_response");
                    } else {
                        try {
                            answer = streamInfoFromView(stream, kind);
                        } catch (ApiException e) {
                            error(reply, kind, e.error());
                            return;
                        }
                    }
                    if (kind.equals("stream_create")) {
                        answer.put("did_create", didCreate);
                    }
                    send(reply, answer);
                });
    }

    private CompletableFuture<Void> awaitLeader(String stream, long deadline) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        pollLeader(stream, deadline, done);
        return done;
    }

    /**
     * Until the stream's leader serves it: this node knows the stream, its first subject has a subscriber here (its
     * own, or through a route), and its group has a leader, as far as this node can tell (a node without a replica
     * of the group, an R1 stream's elsewhere, knows the leader by its subscription alone; it waited the whole
     * {@link #LEADER_WAIT} before).
     */
    private void pollLeader(String stream, long deadline, CompletableFuture<Void> done) {
        boolean led = !js.raft().streams().hosts(stream) || js.raft().streams().leader(stream).isPresent();
        boolean served = led && js.raft().meta().stream(stream)
                .map(a -> LedStream.subjects(a).stream().findFirst().map(JsApi::sampleSubject)
                        .map(js::hasInterest).orElse(true))
                .orElse(false);
        if (served || System.nanoTime() > deadline) {
            done.complete(null);
            return;
        }
        CompletableFuture.delayedExecutor(20, java.util.concurrent.TimeUnit.MILLISECONDS)
                .execute(() -> pollLeader(stream, deadline, done));
    }

    /** A literal subject a subscription to {@code subject} receives ('*' and '>' filled in). */
    static String sampleSubject(String subject) {
        String[] t = subject.split("\\.");
        for (int i = 0; i < t.length; i++) {
            if (t[i].equals("*") || t[i].equals(">")) {
                t[i] = "_";
            }
        }
        return String.join(".", t);
    }

    private void streamDelete(String name, String reply) {
        if (js.raft().meta().stream(name).isEmpty()) {
            throw new ApiException(JsErrors.STREAM_NOT_FOUND);
        }
        js.raft().meta().deleteStream(name).whenComplete((r, err) -> {
            if (err != null) {
                error(reply, "stream_delete", failure(err));
            } else if (!r.isOk()) {
                error(reply, "stream_delete", r.error());
            } else {
                ObjectNode resp = response("stream_delete");
                resp.put("success", true);
                send(reply, resp);
            }
        });
    }

    private void streamNames(InternalMessage m) {
        JsonNode req = JsRequest.STREAM_NAMES.decode(m.data());
        int offset = Math.max(0, req.path("offset").asInt(0));
        String subject = req.path("subject").asText("");
        List<String> names = new ArrayList<>();
        for (StreamAssignment a : js.raft().meta().streams()) {
            if (subject.isEmpty() || LedStream.subjects(a).stream().anyMatch(s -> StreamConfigs.overlap(s,
                    subject))) {
                names.add(a.name());
            }
        }
        names.sort(String::compareTo);
        ObjectNode r = response("stream_names");
        r.put("total", names.size());
        r.put("offset", offset);
        r.put("limit", NAMES_LIMIT);
        ArrayNode arr = r.putArray("streams");
        names.stream().skip(offset).limit(NAMES_LIMIT).forEach(arr::add);
        send(m.reply(), r);
    }

    /** Stream infos of every stream, each from its leader (a stream without one shows what the meta group knows). */
    private void streamList(InternalMessage m) {
        JsonNode req = JsRequest.STREAM_LIST.decode(m.data());
        int offset = Math.max(0, req.path("offset").asInt(0));
        String subject = req.path("subject").asText("");
        List<StreamAssignment> all = new ArrayList<>(js.raft().meta().streams());
        all.removeIf(a -> !subject.isEmpty() && LedStream.subjects(a).stream()
                .noneMatch(s -> StreamConfigs.overlap(s, subject)));
        all.sort((a, b) -> a.name().compareTo(b.name()));
        List<StreamAssignment> page = all.stream().skip(offset).limit(LIST_LIMIT).toList();
        List<CompletableFuture<JsonNode>> infos = new ArrayList<>();
        for (StreamAssignment a : page) {
            infos.add(infoFromLeader(a.name()));
        }
        CompletableFuture.allOf(infos.toArray(new CompletableFuture[0])).whenComplete((v, err) -> {
            ObjectNode r = response("stream_list");
            r.put("total", all.size());
            r.put("offset", offset);
            r.put("limit", LIST_LIMIT);
            ArrayNode arr = r.putArray("streams");
            ArrayNode missing = JSON.createArrayNode();
            for (int i = 0; i < page.size(); i++) {
                JsonNode info = infos.get(i).getNow(null);
                if (info == null || info.has("error")) {
                    missing.add(page.get(i).name());
                    info = streamInfoFromView(page.get(i).name(), "stream_info");
                }
                ObjectNode copy = ((ObjectNode) info).deepCopy();
                copy.remove("type");
                arr.add(copy);
            }
            if (!missing.isEmpty()) {
                r.set("missing", missing);
            }
            send(m.reply(), r);
        });
    }

    private CompletableFuture<JsonNode> infoFromLeader(String stream) {
        LedStream led = js.ledStream(stream);
        if (led != null) {
            CompletableFuture<JsonNode> f = new CompletableFuture<>();
            led.executor().execute(() -> {
                try {
                    f.complete(streamInfo(stream, "stream_info", null));
                } catch (RuntimeException e) {
                    f.complete(null);
                }
            });
            return f;
        }
        if (js.raft().streams().leader(stream).isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return js.internal().request("$JSR." + stream + ".STREAM.INFO." + stream, null, new byte[0], FORWARD_TIMEOUT)
                .thenApply(r -> {
                    try {
                        return (JsonNode) JSON.readTree(r.data());
                    } catch (java.io.IOException e) {
                        return null;
                    }
                })
                .exceptionally(e -> null);
    }

    private void streamPurge(String name, InternalMessage m) {
        JsonNode req = JsRequest.STREAM_PURGE.decode(m.data());
        if (js.raft().meta().stream(name).isEmpty()) {
            throw new ApiException(JsErrors.STREAM_NOT_FOUND);
        }
        JsonNode config = readConfig(js.raft().meta().stream(name).get());
        if (config.path("deny_purge").asBoolean(false)) {
            throw new ApiException(400, 10012 + 4, "stream purge is not permitted");
        }
        long seq = req.path("seq").asLong(0);
        long keep = req.path("keep").asLong(0);
        if (seq > 0 && keep > 0) {
            throw new ApiException(400, 10003, "bad request");
        }
        PurgeRequest purge = new PurgeRequest(req.path("filter").asText(""), seq, keep);
        js.raft().streams().purge(name, purge).whenComplete((r, err) -> {
            if (err != null) {
                error(m.reply(), "stream_purge", failure(err));
            } else if (!r.isOk()) {
                error(m.reply(), "stream_purge", r.error());
            } else {
                ObjectNode resp = response("stream_purge");
                resp.put("success", true);
                resp.put("purged", r.value());
                send(m.reply(), resp);
            }
        });
    }

    private void msgDelete(String name, InternalMessage m) {
        JsonNode req = JsRequest.MSG_DELETE.decode(m.data());
        Optional<StreamAssignment> a = js.raft().meta().stream(name);
        if (a.isEmpty()) {
            throw new ApiException(JsErrors.STREAM_NOT_FOUND);
        }
        if (readConfig(a.get()).path("deny_delete").asBoolean(false)) {
            throw new ApiException(400, 10018 - 3, "message delete not permitted");
        }
        long seq = req.path("seq").asLong(0);
        if (seq <= 0) {
            throw new ApiException(JsErrors.BAD_REQUEST);
        }
        js.raft().streams().deleteMessage(name, seq).whenComplete((r, err) -> {
            if (err != null) {
                error(m.reply(), "stream_msg_delete", failure(err));
            } else if (!r.isOk()) {
                error(m.reply(), "stream_msg_delete", r.error());
            } else if (!r.value()) {
                error(m.reply(), "stream_msg_delete", new JsError(400, 10057, "no message found"));
            } else {
                ObjectNode resp = response("stream_msg_delete");
                resp.put("success", true);
                send(m.reply(), resp);
            }
        });
    }

    /**
     * Steps this node down as the group's leader (on the leader): to the peer named in placement.preferred, or to
     * the most up-to-date follower. Runs off the stream's executor, which the transfer must not hold up.
     */
    private void stepDown(GroupName group, InternalMessage m, String kind) {
        JsonNode req = JsRequest.LEADER_STEPDOWN.decode(m.data());
        String preferred = req.path("placement").path("preferred").asText("");
        if (!preferred.isEmpty() && js.raft().meta().peers().stream().noneMatch(p -> p.name().equals(preferred))) {
            throw new ApiException(400, 10040, "peer not a member");
        }
        js.raft().leadership().stepDown(group, preferred.isEmpty() ? Optional.empty() : Optional.of(preferred))
                .whenComplete((moved, err) -> {
                    if (err != null || !moved) {
                        error(m.reply(), kind, new JsError(500, 10041, "leadership transfer of " + group
                                + " failed"));
                        return;
                    }
                    ObjectNode r = response(kind);
                    r.put("success", true);
                    send(m.reply(), r);
                });
    }

    /** The stream group carrying a stream: its leader is the stream's leader, and they move together. */
    private GroupName groupOf(String stream) {
        return js.raft().streams().groupOf(stream).orElseThrow(() -> new ApiException(JsErrors.STREAM_NOT_FOUND));
    }

    /** META.LEADER.STEPDOWN: done by the meta leader, wherever the request arrived. */
    private void metaStepDown(InternalMessage m) {
        if (js.raft().meta().isLeader()) {
            stepDown(GroupName.META, m, "meta_leader_stepdown");
            return;
        }
        js.internal().request("$JSR.META.LEADER.STEPDOWN", null, m.data(), FORWARD_TIMEOUT).whenComplete((r, err) -> {
            if (err != null) {
                error(m.reply(), "meta_leader_stepdown", JsErrors.CLUSTER_NOT_AVAILABLE);
            } else {
                js.internal().publish(m.reply(), null, null, r.data());
            }
        });
    }

    /** A meta step-down forwarded to this node as the meta leader. */
    void handleMetaForwarded(InternalMessage m) {
        try {
            stepDown(GroupName.META, m, "meta_leader_stepdown");
        } catch (ApiException e) {
            error(m.reply(), "meta_leader_stepdown", e.error());
        }
    }

    /** StreamInfo from this node's own (current, leader) copy. Runs on the stream's executor. */
    private ObjectNode streamInfo(String name, String kind, byte[] request) {
        Optional<StreamAssignment> a = js.raft().meta().stream(name);
        Optional<StreamStore> store = js.raft().streams().localStore(name);
        if (a.isEmpty() || store.isEmpty()) {
            throw new ApiException(JsErrors.STREAM_NOT_FOUND);
        }
        ObjectNode info = response(kind);
        info.set("config", readConfig(a.get()));
        info.put("created", time(a.get().created()));
        StreamState st = store.get().state();
        ObjectNode state = info.putObject("state");
        state.put("messages", st.messages());
        state.put("bytes", st.bytes());
        state.put("first_seq", st.firstSeq());
        state.put("first_ts", nanosTime(st.firstTimestampNanos()));
        state.put("last_seq", st.lastSeq());
        state.put("last_ts", nanosTime(st.lastTimestampNanos()));
        if (st.numDeleted() > 0) {
            state.put("num_deleted", st.numDeleted());
        }
        if (st.numSubjects() > 0) {
            state.put("num_subjects", st.numSubjects());
        }
        JsonNode req = request == null ? JSON.createObjectNode() : JsRequest.STREAM_INFO.decode(request);
        String subjectsFilter = req.path("subjects_filter").asText("");
        if (!subjectsFilter.isEmpty()) {
            ObjectNode subjects = state.putObject("subjects");
            store.get().subjectCounts(subjectsFilter).forEach(subjects::put);
        }
        state.put("consumer_count", a.get().consumers().size());
        info.set("cluster", ClusterInfos.of(js, name));
        info.put("ts", time(Instant.now()));
        return info;
    }

    /** StreamInfo from the meta group only (no leader reachable): configuration, no state. */
    private ObjectNode streamInfoFromView(String name, String kind) {
        StreamAssignment a = js.raft().meta().stream(name).orElseThrow(() -> new ApiException(JsErrors.STREAM_NOT_FOUND));
        ObjectNode info = response(kind);
        info.set("config", readConfig(a));
        info.put("created", time(a.created()));
        ObjectNode state = info.putObject("state");
        state.put("messages", 0);
        state.put("bytes", 0);
        state.put("first_seq", 0);
        state.put("first_ts", nanosTime(0));
        state.put("last_seq", 0);
        state.put("last_ts", nanosTime(0));
        state.put("consumer_count", a.consumers().size());
        info.set("cluster", ClusterInfos.of(js, name));
        info.put("ts", time(Instant.now()));
        return info;
    }

    private void msgGet(String stream, InternalMessage m) {
        StreamStore store = js.raft().streams().localStore(stream).orElseThrow(() -> new ApiException(JsErrors.STREAM_NOT_FOUND));
        StoredMessage msg = find(store, JsRequest.MSG_GET.decode(m.data()));
        ObjectNode r = response("stream_msg_get");
        ObjectNode o = r.putObject("message");
        o.put("subject", msg.subject());
        o.put("seq", msg.seq());
        if (msg.headers().length > 0) {
            o.put("hdrs", Base64.getEncoder().encodeToString(msg.headers()));
        }
        if (msg.payload().length > 0) {
            o.put("data", Base64.getEncoder().encodeToString(msg.payload()));
        }
        o.put("time", nanosTime(msg.timestampNanos()));
        send(m.reply(), r);
    }

    private static StoredMessage find(StreamStore store, JsonNode req) {
        long seq = req.path("seq").asLong(0);
        String last = req.path("last_by_subj").asText("");
        String next = req.path("next_by_subj").asText("");
        if (seq > 0 && !last.isEmpty() || !last.isEmpty() && !next.isEmpty()) {
            throw new ApiException(JsErrors.BAD_REQUEST); // as nats-server: one way of asking at a time
        }
        Optional<StoredMessage> msg;
        if (!last.isEmpty()) {
            msg = store.lastMessage(last);
        } else if (!next.isEmpty()) {
            msg = store.nextMessage(next, Math.max(seq, 1));
        } else if (seq > 0) {
            msg = store.message(seq);
        } else {
            throw new ApiException(JsErrors.BAD_REQUEST);
        }
        return msg.orElseThrow(() -> new ApiException(JsErrors.NO_MESSAGE_FOUND));
    }

    /** $JS.API.DIRECT.GET.<stream>[.<last-by-subject>]: the raw message with Nats-* headers. */
    private void directGet(String stream, String[] t, InternalMessage m) {
        StreamAssignment a = js.raft().meta().stream(stream).orElseThrow(() -> new ApiException(JsErrors.STREAM_NOT_FOUND));
        StreamStore store = js.raft().streams().localStore(stream).orElseThrow(() -> new ApiException(JsErrors.STREAM_NOT_FOUND));
        if (!readConfig(a).path("allow_direct").asBoolean(false)) {
            js.internal().publish(m.reply(), null, NatsHeaders.block(), new byte[0]);
            return;
        }
        JsRequest.DirectGet get = t.length > 3 ? null : JsRequest.directGet(m.data());
        if (get != null && get.refusal() != null) {
            byte[] status = ("NATS/1.0 " + get.refusal() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            js.internal().publish(m.reply(), null, status, new byte[0]);
            return;
        }
        StoredMessage msg;
        try {
            if (t.length > 3) {
                String subject = String.join(".", java.util.Arrays.copyOfRange(t, 3, t.length));
                msg = store.lastMessage(subject).orElseThrow(() -> new ApiException(JsErrors.NO_MESSAGE_FOUND));
            } else {
                msg = find(store, get.request());
            }
        } catch (ApiException e) {
            byte[] status = "NATS/1.0 404 Message Not Found\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            js.internal().publish(m.reply(), null, status, new byte[0]);
            return;
        }
        String original = msg.headers().length == 0 ? "NATS/1.0\r\n\r\n"
                : new String(msg.headers(), StandardCharsets.UTF_8);
        int end = original.lastIndexOf("\r\n\r\n");
        String head = end < 0 ? "NATS/1.0\r\n" : original.substring(0, end + 2);
        String headers = head + "Nats-Stream: " + stream + "\r\nNats-Subject: " + msg.subject() + "\r\nNats-Sequence: "
                + msg.seq() + "\r\nNats-Time-Stamp: " + nanosTime(msg.timestampNanos()) + "\r\n\r\n";
        js.internal().publish(m.reply(), null, headers.getBytes(StandardCharsets.UTF_8), msg.payload());
    }

    // ---- consumers ---------------------------------------------------------------------------------------------

    /**
     * CONSUMER.CREATE.<stream>[.<consumer>[.<filter>]] or CONSUMER.DURABLE.CREATE.<stream>.<durable>.
     */
    private void consumerCreate(String[] t, InternalMessage m, boolean durableForm) {
        String stream = name(t, durableForm ? 3 : 2);
        String subjectName = durableForm ? name(t, 4) : t.length > 3 ? t[3] : "";
        String subjectFilter = !durableForm && t.length > 4 ? String.join(".",
                java.util.Arrays.copyOfRange(t, 4, t.length)) : "";
        JsonNode req = JsRequest.CONSUMER_CREATE.decode(m.data());
        if (!req.path("stream_name").asText(stream).equals(stream)) {
            throw new ApiException(400, 10056, "stream name in subject does not match request");
        }
        Optional<StreamAssignment> sa = js.raft().meta().stream(stream);
        if (sa.isEmpty()) {
            throw new ApiException(JsErrors.STREAM_NOT_FOUND);
        }
        JsonNode config = req.get("config");
        if (config == null || !config.isObject()) {
            throw new ApiException(400, 10025, "invalid JSON: consumer config missing");
        }
        String durable = config.path("durable_name").asText("");
        String configName = config.path("name").asText("");
        if (!durable.isEmpty() && !configName.isEmpty() && !durable.equals(configName)) {
            throw new ApiException(400, 10132, "consumer name in request does not match durable name");
        }
        String name = !configName.isEmpty() ? configName : durable;
        if (!subjectName.isEmpty()) {
            if (!name.isEmpty() && !name.equals(subjectName)) {
                throw new ApiException(400, 10133, "consumer name in subject does not match durable name in request");
            }
            name = subjectName;
        }
        if (durableForm && durable.isEmpty()) {
            ((ObjectNode) config).put("durable_name", name);
        }
        if (!subjectFilter.isEmpty()) {
            String f = config.path("filter_subject").asText("");
            if (!f.equals(subjectFilter)) {
                throw new ApiException(400, 10131,
                        "consumer create request did not match filtered subject from create subject");
            }
        }
        boolean ephemeral = name.isEmpty();
        if (ephemeral) {
            name = ConsumerConfigs.generatedName();
        }
        JsonNode streamConfig = readConfig(sa.get());
        ObjectNode normalized = ConsumerConfigs.normalize(config, name, streamConfig);
        String action = req.path("action").asText("");
        Optional<ConsumerAssignment> existing = sa.get().consumer(name);
        if (existing.isPresent()) {
            JsonNode old = readConfig(existing.get());
            if (old.equals(readConfig(bytes(normalized)))) {
                String n = name;
                send(m.reply(), consumerInfoOrView(stream, n));
                return;
            }
            if (action.equals("create")) {
                throw new ApiException(400, 10148, "consumer already exists");
            }
            throw new ApiException(400, 10013, "consumer name already in use");
        } else if (action.equals("update")) {
            throw new ApiException(400, 10149, "consumer does not exist");
        }
        if (streamConfig.path("retention").asText().equals("workqueue")) {
            List<JsonNode> others = new ArrayList<>();
            sa.get().consumers().forEach(c -> others.add(readConfig(c)));
            ConsumerConfigs.checkWorkQueue(normalized, others);
        }
        String consumerName = name;
        ConsumerSpec spec = new ConsumerSpec(name, ConsumerConfigs.storeSettings(normalized),
                ConsumerConfigs.start(normalized), bytes(normalized));
        js.raft().meta().createConsumer(stream, spec).whenComplete((r, err) -> {
            if (err != null) {
                error(m.reply(), "consumer_create", failure(err));
            } else if (!r.isOk()) {
                error(m.reply(), "consumer_create", r.error());
            } else {
                sendConsumerInfoWhenRunning(stream, consumerName, m.reply(), System.nanoTime()
                        + Duration.ofSeconds(5).toNanos());
            }
        });
    }

    /**
     * Consumer info once the stream leader runs the consumer (so that a pull right after is served): asked of the
     * leader again until it knows the consumer or the deadline passes.
     */
    private void sendConsumerInfoWhenRunning(String stream, String consumer, String reply, long deadline) {
        LedStream led = js.ledStream(stream);
        if (led != null) {
            led.executor().execute(() -> {
                if (led.consumer(consumer) == null) {
                    js.raft().meta().stream(stream).ifPresent(led::refresh);
                }
                if (led.consumer(consumer) == null && System.nanoTime() < deadline) {
                    retryLater(() -> sendConsumerInfoWhenRunning(stream, consumer, reply, deadline));
                    return;
                }
                send(reply, consumerInfoOrView(stream, consumer));
            });
            return;
        }
        // a node with a replica of the stream waits until it knows the leader; one without (an R1 stream on another
        // node) never will, and asks the leader's subscription at once, which is resent until the leader takes it
        if (js.raft().streams().hosts(stream) && js.raft().streams().leader(stream).isEmpty()) {
            if (System.nanoTime() < deadline) {
                retryLater(() -> sendConsumerInfoWhenRunning(stream, consumer, reply, deadline));
            } else {
                send(reply, consumerInfoOrView(stream, consumer));
            }
            return;
        }
        js.internal().request("$JSR." + stream + ".CONSUMER.INFO." + stream + "." + consumer, null, new byte[0],
                FORWARD_TIMEOUT).whenComplete((r, err) -> {
                    JsonNode info = null;
                    if (err == null) {
                        try {
                            info = JSON.readTree(r.data());
                        } catch (java.io.IOException e) {
                            info = null;
                        }
                    }
                    boolean known = info != null && info.isObject() && !info.has("error");
                    if (!known && System.nanoTime() < deadline) {
                        retryLater(() -> sendConsumerInfoWhenRunning(stream, consumer, reply, deadline));
                        return;
                    }
                    if (known) {
                        ((ObjectNode) info).put("type", TYPE + "consumer_create_response");
                        send(reply, info);
                    } else {
                        send(reply, consumerInfoOrView(stream, consumer));
                    }
                });
    }

    private static void retryLater(Runnable r) {
        CompletableFuture.delayedExecutor(25, java.util.concurrent.TimeUnit.MILLISECONDS).execute(r);
    }

    private ObjectNode consumerInfoOrView(String stream, String consumer) {
        try {
            return consumerInfo(stream, consumer, "consumer_create");
        } catch (ApiException e) {
            ObjectNode r = response("consumer_create");
            ObjectNode err = r.putObject("error");
            err.put("code", e.error().code());
            err.put("err_code", e.error().errCode());
            err.put("description", e.error().description());
            return r;
        }
    }

    private void consumerDelete(String stream, String consumer, String reply) {
        Optional<StreamAssignment> sa = js.raft().meta().stream(stream);
        if (sa.isEmpty()) {
            throw new ApiException(JsErrors.STREAM_NOT_FOUND);
        }
        if (sa.get().consumer(consumer).isEmpty()) {
            throw new ApiException(JsErrors.CONSUMER_NOT_FOUND);
        }
        js.raft().meta().deleteConsumer(stream, consumer).whenComplete((r, err) -> {
            if (err != null) {
                error(reply, "consumer_delete", failure(err));
            } else if (!r.isOk()) {
                error(reply, "consumer_delete", r.error());
            } else {
                ObjectNode resp = response("consumer_delete");
                resp.put("success", true);
                send(reply, resp);
            }
        });
    }

    private void consumerNames(String stream, InternalMessage m) {
        StreamAssignment sa = js.raft().meta().stream(stream).orElseThrow(() -> new ApiException(JsErrors.STREAM_NOT_FOUND));
        JsonNode req = JsRequest.CONSUMER_NAMES.decode(m.data());
        int offset = Math.max(0, req.path("offset").asInt(0));
        List<String> names = new ArrayList<>(sa.consumers().stream().map(ConsumerAssignment::name).toList());
        names.sort(String::compareTo);
        ObjectNode r = response("consumer_names");
        r.put("total", names.size());
        r.put("offset", offset);
        r.put("limit", NAMES_LIMIT);
        ArrayNode arr = r.putArray("consumers");
        names.stream().skip(offset).limit(NAMES_LIMIT).forEach(arr::add);
        send(m.reply(), r);
    }

    /** On the stream leader's executor. */
    private void consumerList(String stream, InternalMessage m) {
        StreamAssignment sa = js.raft().meta().stream(stream).orElseThrow(() -> new ApiException(JsErrors.STREAM_NOT_FOUND));
        JsonNode req = JsRequest.CONSUMER_LIST.decode(m.data());
        int offset = Math.max(0, req.path("offset").asInt(0));
        List<String> names = new ArrayList<>(sa.consumers().stream().map(ConsumerAssignment::name).toList());
        names.sort(String::compareTo);
        ObjectNode r = response("consumer_list");
        r.put("total", names.size());
        r.put("offset", offset);
        r.put("limit", LIST_LIMIT);
        ArrayNode arr = r.putArray("consumers");
        for (String n : names.stream().skip(offset).limit(LIST_LIMIT).toList()) {
            ObjectNode info = consumerInfo(stream, n, "consumer_info");
            info.remove("type");
            arr.add(info);
        }
        send(m.reply(), r);
    }

    /** ConsumerInfo from the leader's engine, or its replicated state. */
    private ObjectNode consumerInfo(String stream, String consumer, String kind) {
        StreamAssignment sa = js.raft().meta().stream(stream).orElseThrow(() -> new ApiException(JsErrors.STREAM_NOT_FOUND));
        ConsumerAssignment ca = sa.consumer(consumer).orElseThrow(() -> new ApiException(JsErrors.CONSUMER_NOT_FOUND));
        JsonNode config = readConfig(ca);
        StreamStore store = js.raft().streams().localStore(stream).orElseThrow(() -> new ApiException(JsErrors.STREAM_NOT_FOUND));
        ConsumerStore cs = store.consumer(consumer).orElseThrow(() -> new ApiException(JsErrors.CONSUMER_NOT_FOUND));
        LedStream led = js.ledStream(stream);
        ConsumerEngine engine = led == null ? null : led.consumer(consumer);
        ConsumerInfos.Progress progress = engine != null ? ConsumerInfos.Progress.of(engine.snapshot(), cs.activity())
                : ConsumerInfos.Progress.of(cs, store, config, stream);
        ObjectNode info = response(kind);
        info.setAll(ConsumerInfos.info(js, stream, ca, config, config, progress));
        info.put("ts", time(Instant.now()));
        return info;
    }

    // ---- account -----------------------------------------------------------------------------------------------

    private void accountInfo(String reply) {
        ObjectNode r = response("account_info");
        long storage = 0;
        int consumers = 0;
        List<StreamAssignment> streams = js.raft().meta().streams();
        for (StreamAssignment a : streams) {
            consumers += a.consumers().size();
            storage += js.raft().streams().localStore(a.name()).map(s -> s.state().bytes()).orElse(0L);
        }
        r.put("memory", 0);
        r.put("storage", storage);
        r.put("reserved_memory", 0);
        r.put("reserved_storage", 0);
        r.put("streams", streams.size());
        r.put("consumers", consumers);
        ObjectNode limits = r.putObject("limits");
        limits.put("max_memory", -1);
        limits.put("max_storage", -1);
        limits.put("max_streams", -1);
        limits.put("max_consumers", -1);
        limits.put("max_ack_pending", -1);
        limits.put("memory_max_stream_bytes", -1);
        limits.put("storage_max_stream_bytes", -1);
        limits.put("max_bytes_required", false);
        String domain = js.domain();
        if (!domain.isEmpty()) {
            r.put("domain", domain);
        }
        ObjectNode api = r.putObject("api");
        api.put("total", js.apiTotal());
        api.put("errors", js.apiErrors());
        send(reply, r);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static ObjectNode response(String kind) {
        ObjectNode r = JSON.createObjectNode();
        r.put("type", TYPE + kind + "_response");
        return r;
    }

    private static String kindOf(String api) {
        String[] t = api.split("\\.");
        if (t.length == 0) {
            return "api";
        }
        return switch (t[0]) {
            case "INFO" -> "account_info";
            case "STREAM" -> t.length > 2 && t[1].equals("MSG") ? "stream_msg_" + t[2].toLowerCase()
                    : t.length > 1 && t[1].equals("LEADER") ? "stream_leader_stepdown"
                    : t.length > 1 && t[1].equals("PEER") ? "stream_remove_peer"
                    : "stream_" + (t.length > 1 ? t[1].toLowerCase() : "info");
            case "CONSUMER" -> t.length > 1 && t[1].equals("DURABLE") ? "consumer_create"
                    : t.length > 1 && t[1].equals("LEADER") ? "consumer_leader_stepdown"
                    : "consumer_" + (t.length > 1 ? t[1].toLowerCase() : "info");
            case "META" -> "meta_leader_stepdown";
            default -> "api";
        };
    }

    private void send(String reply, JsonNode body) {
        js.countApi(body.has("error"));
        js.internal().publish(reply, null, null, bytes(body));
    }

    private void error(String reply, String kind, JsError e) {
        if (reply == null || reply.isEmpty()) {
            return;
        }
        ObjectNode r = response(kind);
        ObjectNode err = r.putObject("error");
        err.put("code", e.code());
        err.put("err_code", e.errCode());
        err.put("description", e.description());
        send(reply, r);
    }

    private static JsError failure(Throwable err) {
        Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        if (cause instanceof ApiException api) {
            return api.error();
        }
        if (cause instanceof ProposalFailedException p) {
            LOG.debug("proposal failed: {}", p.getMessage());
        }
        return JsErrors.CLUSTER_NOT_AVAILABLE;
    }

    private static JsonNode readConfig(StreamAssignment a) {
        return readConfig(a.config());
    }

    private static JsonNode readConfig(ConsumerAssignment a) {
        return readConfig(a.config());
    }

    private static JsonNode readConfig(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            return n == null || n.isMissingNode() ? JSON.createObjectNode() : n;
        } catch (java.io.IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String time(Instant t) {
        return t.toString();
    }

    /** A time in ns since the epoch as RFC 3339; the zero time as Go writes it. */
    static String nanosTime(long nanos) {
        if (nanos <= 0) {
            return "0001-01-01T00:00:00Z";
        }
        return Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L).toString();
    }
}
