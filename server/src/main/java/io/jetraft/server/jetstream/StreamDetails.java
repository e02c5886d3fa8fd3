package io.jetraft.server.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.raft.ConsumerAssignment;
import io.jetraft.raft.StreamAssignment;
import io.jetraft.server.jetstream.consumer.ConsumerEngine;
import io.jetraft.server.util.GoTimes;
import io.jetraft.storage.ConsumerStore;
import io.jetraft.storage.StreamState;
import io.jetraft.storage.StreamStore;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream of /jsz's {@code stream_detail} (nats-server's StreamDetail): name, created, its cluster block, its
 * configuration when asked, its state from this node's copy, and its consumers when asked.
 */
final class StreamDetails {

    private static final Logger LOG = LoggerFactory.getLogger(StreamDetails.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long /jsz waits for a stream's executor to read its consumers' engines before using replicated state. */
    private static final Duration ENGINE_READ_TIMEOUT = Duration.ofSeconds(1);

    private StreamDetails() {
    }

    static boolean isMemoryStorage(StreamAssignment a) {
        return "memory".equals(readJson(a.config()).path("storage").asText());
    }

    /** Runs on the monitoring thread, never on a stream's executor (it waits for that executor). */
    static ObjectNode of(JetStreamService js, StreamAssignment a, boolean consumers, boolean config) {
        ObjectNode d = JSON.createObjectNode();
        d.put("name", a.name());
        d.put("created", GoTimes.rfc3339Nano(a.created()));
        d.set("cluster", ClusterInfos.of(js, a.name()));
        if (config) {
            d.set("config", readJson(a.config()));
        }
        Optional<StreamStore> store = js.raft().streams().localStore(a.name());
        d.set("state", state(store.map(StreamStore::state), a.consumers().size()));
        if (consumers && !a.consumers().isEmpty()) {
            Map<String, ConsumerEngine.Snapshot> engines = engineSnapshots(js, a);
            ArrayNode list = d.putArray("consumer_detail");
            for (ConsumerAssignment c : a.consumers()) {
                consumer(js, a.name(), c, store, engines.get(c.name()), config).ifPresent(list::add);
            }
        }
        return d;
    }

    /** StreamState as nats-server prints it: num_subjects and num_deleted only when not zero. */
    private static ObjectNode state(Optional<StreamState> state, int consumerCount) {
        ObjectNode o = JSON.createObjectNode();
        StreamState st = state.orElse(new StreamState(0, 0, 0, 0, 0, 0, 0, 0, consumerCount));
        o.put("messages", st.messages());
        o.put("bytes", st.bytes());
        o.put("first_seq", st.firstSeq());
        o.put("first_ts", GoTimes.rfc3339Nano(st.firstTimestampNanos()));
        o.put("last_seq", st.lastSeq());
        o.put("last_ts", GoTimes.rfc3339Nano(st.lastTimestampNanos()));
        if (st.numSubjects() > 0) {
            o.put("num_subjects", st.numSubjects());
        }
        if (st.numDeleted() > 0) {
            o.put("num_deleted", st.numDeleted());
        }
        o.put("consumer_count", consumerCount);
        return o;
    }

    private static Optional<ObjectNode> consumer(JetStreamService js, String stream, ConsumerAssignment c,
                                                 Optional<StreamStore> store, ConsumerEngine.Snapshot engine,
                                                 boolean withConfig) {
        Optional<ConsumerStore> cs = store.flatMap(s -> s.consumer(c.name()));
        if (cs.isEmpty()) {
            // assigned, not yet created in this replica's store: nats-server lists only the consumers it runs
            return Optional.empty();
        }
        JsonNode config = readJson(c.config());
        try {
            ConsumerInfos.Progress p = engine != null ? ConsumerInfos.Progress.of(engine, cs.get().activity())
                    : ConsumerInfos.Progress.of(cs.get(), store.get(), config, stream);
            return Optional.of(ConsumerInfos.info(js, stream, c, withConfig ? config : null, config, p));
        } catch (IllegalStateException e) {
            // deleted while this document was being written
            return Optional.empty();
        }
    }

    /**
     * On the stream's leader, its consumers' engines (waiting pull requests, what is left to deliver), read on the
     * stream's executor that owns them; empty elsewhere, or when the executor does not answer in time.
     */
    private static Map<String, ConsumerEngine.Snapshot> engineSnapshots(JetStreamService js, StreamAssignment a) {
        LedStream led = js.ledStream(a.name());
        if (led == null) {
            return Map.of();
        }
        CompletableFuture<Map<String, ConsumerEngine.Snapshot>> f = new CompletableFuture<>();
        try {
            led.executor().execute(() -> {
                Map<String, ConsumerEngine.Snapshot> out = new HashMap<>();
                for (ConsumerAssignment c : a.consumers()) {
                    ConsumerEngine e = led.consumer(c.name());
                    if (e != null) {
                        out.put(c.name(), e.snapshot());
                    }
                }
                f.complete(out);
            });
            return f.get(ENGINE_READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException | ExecutionException e) {
            return Map.of();
        } catch (TimeoutException e) {
            LOG.debug("stream '{}' did not report its consumers within {}; /jsz shows replicated state", a.name(),
                    ENGINE_READ_TIMEOUT);
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    private static JsonNode readJson(byte[] b) {
        try {
            JsonNode n = JSON.readTree(b);
            return n == null || n.isMissingNode() ? JSON.createObjectNode() : n;
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }
}
