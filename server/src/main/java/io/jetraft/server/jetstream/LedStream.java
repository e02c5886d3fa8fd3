package io.jetraft.server.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.raft.ConsumerAssignment;
import io.jetraft.raft.Publish;
import io.jetraft.raft.Result;
import io.jetraft.raft.StreamAssignment;
import io.jetraft.server.internal.InternalClient;
import io.jetraft.server.internal.InternalMessage;
import io.jetraft.server.jetstream.consumer.ConsumerEngine;
import io.jetraft.server.jetstream.consumer.ConsumerOutbox;
import io.jetraft.server.jetstream.consumer.DeliveryRules;
import io.jetraft.server.jetstream.consumer.StreamStoreSource;
import io.jetraft.storage.Ack;
import io.jetraft.storage.Appended;
import io.jetraft.storage.ConsumerState;
import io.jetraft.storage.Delivery;
import io.jetraft.storage.JsError;
import io.jetraft.storage.StreamStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream on the node that leads its Raft group: it takes the stream's publishes (its subjects are subscribed here,
 * announced to the other nodes), proposes them in batches, answers each with its PubAck, and runs the stream's
 * consumers (pull requests, acks, flow control, timers). Everything runs on the stream's serial executor.
 */
final class LedStream {

    private static final Logger LOG = LoggerFactory.getLogger(LedStream.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BATCH = 512;
    /** Batches of this stream in flight at once (its group's commit merges them with other streams' entries). */
    private static final int MAX_IN_FLIGHT = 16;

    private final String name;
    private final JetStreamService service;
    private final SerialExecutor exec;
    private final StreamStore store;
    /** How long after taking the leadership acks are taken in from the replicated state (see tick). */
    private static final long TAKE_IN_ACKS_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
    private final long ledSinceNanos = JetStreamService.nowNanos();
    private long ticks;
    private final List<InternalClient.InternalSubscription> subscriptions = new ArrayList<>();
    private final Map<String, ConsumerEngine> consumers = new HashMap<>();
    private final Map<String, Long> inactiveThresholdNanos = new HashMap<>();
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    /** Pull requests for consumers assigned here whose engine has not started yet; looked at every tick. */
    private final List<Runnable> pullsWaitingForEngine = new ArrayList<>();
    /** How long a pull waits for its consumer's engine to start. */
    private static final Duration ENGINE_WAIT = Duration.ofSeconds(2);
    private static final byte[] NO_RESPONDERS = "NATS/1.0 503\r\n\r\n".getBytes(StandardCharsets.UTF_8);
    private int inFlight;
    private boolean stopped;
    private JsonNode config = JSON.createObjectNode();

    /** A publish waiting for its batch, with where its PubAck goes. */
    private record Queued(Publish publish, String reply) {
    }

    LedStream(String name, JetStreamService service, SerialExecutor exec, StreamStore store) {
        this.name = name;
        this.service = service;
        this.exec = exec;
        this.store = store;
    }

    String name() {
        return name;
    }

    SerialExecutor executor() {
        return exec;
    }

    /** Subscribes the stream's subjects and consumer subjects and starts its consumers. Runs on exec. */
    void start(StreamAssignment assignment) {
        InternalClient internal = service.internal();
        for (String subject : subjects(assignment)) {
            // one queue group of all leaders: a node that sees an old leader's and a new one's subscription at once
            // sends a publish to one of them, never to both, so one that reached the old leader too late can go on
            // to the new one without being stored twice
            subscriptions.add(internal.subscribe(subject, JetStreamService.LEADER_QUEUE, true, exec,
                    this::onPublish));
        }
        subscriptions.add(internal.subscribe("$JS.API.CONSUMER.MSG.NEXT." + name + ".*", null, true, exec, m -> {
            if (stopped) {
                // taken just before this node stopped leading: to the new leader
                service.awaitingLeader().forward(m);
                return;
            }
            onPull(lastToken(m.subject()), m.reply(), m.data(), System.nanoTime() + ENGINE_WAIT.toNanos());
        }));
        subscriptions.add(internal.subscribe("$JS.ACK." + name + ".>", null, true, exec, m -> {
            if (stopped) {
                service.awaitingLeader().forward(m);
                return;
            }
            String[] t = m.subject().split("\\.", 5);
            ConsumerEngine e = t.length > 3 ? consumers.get(t[3]) : null;
            if (e != null) {
                e.onAck(m.subject(), m.data(), m.reply());
            }
        }));
        subscriptions.add(internal.subscribe("$JSR." + name + ".>", null, true, exec,
                m -> service.api().handleForwarded(name, m)));
        subscriptions.add(internal.subscribe("$JS.FC." + name + ".>", null, true, exec, m -> {
            String[] t = m.subject().split("\\.");
            ConsumerEngine e = t.length > 3 ? consumers.get(t[3]) : null;
            if (e != null) {
                e.onFlowControlReply(m.subject());
            }
        }));
        refresh(assignment);
        LOG.info("Stream '{}' is led by this node: {} subject(s), {} consumer(s)", name, subjects(assignment).size(),
                consumers.size());
    }

    static List<String> subjects(StreamAssignment a) {
        List<String> out = new ArrayList<>();
        try {
            JsonNode c = JSON.readTree(a.config());
            c.path("subjects").forEach(s -> out.add(s.asText()));
            if (out.isEmpty() && c.path("subjects").isMissingNode()) {
                out.add(a.name());
            }
        } catch (IOException e) {
            LOG.error("stream '{}' has an unreadable configuration document: {}", a.name(), e.getMessage());
        }
        return out;
    }

    private static String lastToken(String subject) {
        return subject.substring(subject.lastIndexOf('.') + 1);
    }

    /**
     * A pull request for one of this stream's consumers. A consumer just created (or just taken over) may have no
     * engine here yet: the request waits for it (a few ticks); a consumer that does not exist gets the no-responders
     * status, as nats-server's pull to a missing consumer does. Runs on exec.
     */
    private void onPull(String consumer, String reply, byte[] data, long waitUntil) {
        ConsumerEngine e = consumers.get(consumer);
        if (e == null) {
            service.raft().meta().stream(name).ifPresent(this::refresh);
            e = consumers.get(consumer);
        }
        if (e != null) {
            e.onPull(reply, data);
            return;
        }
        boolean assigned = service.raft().meta().stream(name).map(a -> a.consumer(consumer).isPresent()).orElse(false);
        if (assigned && System.nanoTime() < waitUntil && !stopped) {
            pullsWaitingForEngine.add(() -> onPull(consumer, reply, data, waitUntil));
        } else if (reply != null && !reply.isEmpty()) {
            // no responders: as a pull to a consumer that does not exist gets from nats-server
            service.internal().publish(reply, null, NO_RESPONDERS, new byte[0]);
        }
    }

    /** Starts engines for new consumers and stops those of deleted ones. Runs on exec. */
    void refresh(StreamAssignment assignment) {
        try {
            JsonNode c = JSON.readTree(assignment.config());
            if (c != null && c.isObject()) {
                config = c;
            }
        } catch (IOException e) {
            LOG.debug("stream '{}' configuration unreadable: {}", name, e.getMessage());
        }
        Set<String> present = new HashSet<>();
        for (ConsumerAssignment c : assignment.consumers()) {
            present.add(c.name());
            if (consumers.containsKey(c.name())) {
                continue;
            }
            store.consumer(c.name()).ifPresent(cs -> startConsumer(c, cs.state()));
        }
        for (String existing : new ArrayList<>(consumers.keySet())) {
            if (!present.contains(existing)) {
                consumers.remove(existing).deleted();
                inactiveThresholdNanos.remove(existing);
            }
        }
    }

    private void startConsumer(ConsumerAssignment c, ConsumerState state) {
        JsonNode config;
        try {
            config = JSON.readTree(c.config());
        } catch (IOException e) {
            LOG.error("consumer '{} > {}' has an unreadable configuration document", name, c.name());
            return;
        }
        if (config.isMissingNode() || config.isNull()) {
            config = JSON.createObjectNode();
        }
        DeliveryRules rules = DeliveryRules.fromConfig(name, c.name(), config);
        consumers.put(c.name(), new ConsumerEngine(rules, new StreamStoreSource(store), new Outbox(c.name()),
                JetStreamService::nowNanos, state));
        long inactive = config.path("inactive_threshold").asLong(0);
        boolean durable = !config.path("durable_name").asText("").isEmpty();
        if (inactive > 0 || !durable) {
            inactiveThresholdNanos.put(c.name(), inactive > 0 ? inactive : Duration.ofSeconds(5).toNanos());
        }
    }

    /** The engine of a consumer this node runs, for consumer info. */
    ConsumerEngine consumer(String consumer) {
        return consumers.get(consumer);
    }

    /** Timers and meta changes. Runs on exec, every ~50 ms. */
    void tick() {
        if (stopped) {
            return;
        }
        if (++ticks % 5 == 0 && JetStreamService.nowNanos() - ledSinceNanos < TAKE_IN_ACKS_NANOS) {
            // the previous leader's last acks may still reach the replicated state (forwarded to this group)
            for (Map.Entry<String, ConsumerEngine> e : consumers.entrySet()) {
                store.consumer(e.getKey()).ifPresent(cs -> {
                    e.getValue().takeInReplicatedDeliveries(cs.state());
                    e.getValue().takeInReplicatedAcks(cs.state());
                });
            }
        }
        service.raft().meta().stream(name).ifPresent(this::refresh);
        List<Runnable> waiting = new ArrayList<>(pullsWaitingForEngine);
        pullsWaitingForEngine.clear();
        waiting.forEach(Runnable::run);
        for (ConsumerEngine e : consumers.values()) {
            e.tick();
        }
        long now = JetStreamService.nowNanos();
        List<String> inactive = new ArrayList<>();
        for (Map.Entry<String, Long> e : inactiveThresholdNanos.entrySet()) {
            ConsumerEngine engine = consumers.get(e.getKey());
            if (engine != null && now - engine.lastActiveNanos() > e.getValue()
                    && !(engine.rules().isPush() && service.hasInterest(engine.rules().deliverSubject()))) {
                inactive.add(e.getKey());
            }
        }
        for (String consumer : inactive) {
            LOG.info("Deleting consumer '{} > {}': inactive for longer than its inactive_threshold", name, consumer);
            inactiveThresholdNanos.remove(consumer);
            service.raft().meta().deleteConsumer(name, consumer);
        }
    }

    /** This node no longer leads the stream (or is stopping): unsubscribe and tell waiting pulls. Runs on exec. */
    void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        subscriptions.forEach(InternalClient.InternalSubscription::close);
        subscriptions.clear();
        consumers.values().forEach(ConsumerEngine::leadershipLost);
        consumers.clear();
        forwardQueued();
    }

    /**
     * After {@link #stop}: publishes taken but not yet proposed go to the stream's group all the same, and so do
     * those that reach this node's subscription after it closed. The proposer hands them to the new leader (or,
     * when this node is closing, fails them and they are answered 10008).
     */
    private void forwardQueued() {
        while (!queue.isEmpty()) {
            List<Queued> batch = new ArrayList<>(Math.min(queue.size(), MAX_BATCH));
            while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
                batch.add(queue.pollFirst());
            }
            service.raft().streams().publish(name, batch.stream().map(Queued::publish).toList())
                    .whenCompleteAsync((results, err) -> answer(batch, results, err), exec);
        }
    }

    // ---- publishes ---------------------------------------------------------------------------------------------

    private void onPublish(InternalMessage m) {
        NatsHeaders h = NatsHeaders.parse(m.headers());
        String expectedStream = h.get("Nats-Expected-Stream");
        if (expectedStream != null && !expectedStream.equals(name)) {
            replyError(m.reply(), JsErrors.STREAM_NOT_MATCH);
            return;
        }
        String rollup = h.get("Nats-Rollup");
        if (rollup != null) {
            if (!rollup.equals("sub") && !rollup.equals("all")) {
                replyError(m.reply(), new JsError(500, 10111, "rollup value invalid: \"" + rollup + "\""));
                return;
            }
            if (!config.path("allow_rollup_hdrs").asBoolean(false) || config.path("deny_purge").asBoolean(false)) {
                replyError(m.reply(), new JsError(500, 10111, "rollup not permitted"));
                return;
            }
        }
        if (config.path("sealed").asBoolean(false)) {
            replyError(m.reply(), new JsError(400, 10109, "invalid operation on sealed stream"));
            return;
        }
        Publish p = new Publish(m.subject(), m.headers(), m.data(), h.get("Nats-Msg-Id"),
                optionalLong(h.get("Nats-Expected-Last-Sequence")),
                optionalLong(h.get("Nats-Expected-Last-Subject-Sequence")));
        String expectedLastId = h.get("Nats-Expected-Last-Msg-Id");
        if (expectedLastId != null && !expectedLastId.equals(lastMsgId())) {
            replyError(m.reply(), new JsError(400, 10070, "wrong last msg ID: " + lastMsgId()));
            return;
        }
        queue.addLast(new Queued(p, m.reply()));
        if (stopped) {
            forwardQueued();
        } else {
            sendBatches();
        }
    }

    /** The Nats-Msg-Id of the stream's last message, or "" when it has none. */
    private String lastMsgId() {
        long last = store.state().lastSeq();
        return store.message(last).map(msg -> {
            String id = NatsHeaders.parse(msg.headers()).get("Nats-Msg-Id");
            return id == null ? "" : id;
        }).orElse("");
    }

    private static OptionalLong optionalLong(String v) {
        if (v == null || v.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Proposes queued publishes as batches, a few in flight at once (one fsync covers a whole batch). */
    private void sendBatches() {
        while (inFlight < MAX_IN_FLIGHT && !queue.isEmpty() && !stopped) {
            List<Queued> batch = new ArrayList<>(Math.min(queue.size(), MAX_BATCH));
            while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
                batch.add(queue.pollFirst());
            }
            inFlight++;
            List<Publish> publishes = batch.stream().map(Queued::publish).toList();
            CompletableFuture<List<Result<Appended>>> f = service.raft().streams().publish(name, publishes);
            f.whenCompleteAsync((results, err) -> {
                inFlight--;
                answer(batch, results, err);
                for (ConsumerEngine e : consumers.values()) {
                    e.onMessagesAvailable();
                }
                sendBatches();
            }, exec);
        }
    }

    private void answer(List<Queued> batch, List<Result<Appended>> results, Throwable err) {
        for (int i = 0; i < batch.size(); i++) {
            String reply = batch.get(i).reply();
            if (err != null || results == null || i >= results.size()) {
                if (err != null && i == 0) {
                    LOG.debug("publish to '{}' failed: {}", name, err.toString());
                }
                replyError(reply, JsErrors.CLUSTER_NOT_AVAILABLE);
                continue;
            }
            Result<Appended> r = results.get(i);
            if (reply == null || reply.isEmpty()) {
                continue;
            }
            if (r instanceof Result.Ok<Appended> ok) {
                ObjectNode ack = JSON.createObjectNode();
                ack.put("stream", name);
                ack.put("seq", ok.value().seq());
                String domain = service.domain();
                if (!domain.isEmpty()) {
                    ack.put("domain", domain);
                }
                if (ok.value().duplicate()) {
                    ack.put("duplicate", true);
                }
                sendAnswer(reply, ack.toString().getBytes(StandardCharsets.UTF_8));
            } else {
                replyError(reply, r.error());
            }
        }
    }

    private void replyError(String reply, JsError error) {
        if (reply == null || reply.isEmpty()) {
            return;
        }
        ObjectNode body = JSON.createObjectNode();
        ObjectNode e = body.putObject("error");
        e.put("code", error.code());
        e.put("err_code", error.errCode());
        e.put("description", error.description());
        body.put("stream", name);
        body.put("seq", 0);
        sendAnswer(reply, body.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends a publish's answer. When no one takes it, the publisher is between nodes (it reconnected, and its inbox's
     * interest has not reached this node yet): the answer waits for it a moment instead of being lost.
     */
    private void sendAnswer(String reply, byte[] body) {
        if (service.internal().publish(reply, null, null, body) == 0) {
            service.awaitingLeader().forward(new InternalMessage(reply, null, null, body));
        }
    }

    /** Where one consumer's engine sends messages and replicates its state. */
    private final class Outbox implements ConsumerOutbox {
        private final String consumer;
        /** Acknowledgements waiting for the one entry in flight; guards ackInFlight too. */
        private final ArrayDeque<QueuedAck> acks = new ArrayDeque<>();
        private boolean ackInFlight;

        Outbox(String consumer) {
            this.consumer = consumer;
        }

        @Override
        public void deliver(String to, String storedSubject, String ackReply, byte[] headers, byte[] data) {
            service.internal().publish(to, storedSubject, ackReply, headers, data);
        }

        @Override
        public void status(String to, String reply, String headerBlock) {
            byte[] h = (headerBlock + "\r\n").getBytes(StandardCharsets.UTF_8);
            service.internal().publish(to, null, reply, h, new byte[0]);
        }

        @Override
        public void reply(String to) {
            service.internal().publish(to, null, null, null, new byte[0]);
        }

        @Override
        public boolean hasInterest(String subject) {
            return service.hasInterest(subject);
        }

        @Override
        public CompletableFuture<Void> proposeDelivered(List<Delivery> deliveries) {
            return service.raft().streams().delivered(name, consumer, deliveries).thenApply(r -> null);
        }

        /**
         * Acknowledgements arrive one message each: while one entry of them is being replicated, the next ones
         * queue and then go together as one entry (group commit), in the order they came.
         */
        @Override
        public CompletableFuture<Void> proposeAcked(long dseq, long sseq) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            List<QueuedAck> batch;
            synchronized (acks) {
                acks.addLast(new QueuedAck(new Ack(dseq, sseq), done));
                batch = ackInFlight ? null : nextAcks();
            }
            if (batch != null) {
                sendAcks(batch);
            }
            return done;
        }

        /** The next entry's worth of queued acks, marked in flight; null when none wait. Holds the acks lock. */
        private List<QueuedAck> nextAcks() {
            if (acks.isEmpty()) {
                ackInFlight = false;
                return null;
            }
            List<QueuedAck> batch = new ArrayList<>(Math.min(acks.size(), MAX_BATCH));
            while (!acks.isEmpty() && batch.size() < MAX_BATCH) {
                batch.add(acks.pollFirst());
            }
            ackInFlight = true;
            return batch;
        }

        private void sendAcks(List<QueuedAck> batch) {
            // the proposer finds the stream's leader wherever it is, so acks queued here when this node stops leading
            // still reach the group
            CompletableFuture<?> replicated;
            try {
                replicated = service.raft().streams().acked(name, consumer, batch.stream().map(QueuedAck::ack).toList());
            } catch (RuntimeException e) {
                replicated = CompletableFuture.failedFuture(e);
            }
            // answered off the thread that completed it (a local leader completes it on its apply thread, which
            // should only apply); inline once this stream's executor has stopped, so no one is left waiting
            replicated.whenComplete((r, err) -> {
                Runnable finish = () -> ackBatchDone(batch, err);
                try {
                    exec.execute(finish);
                } catch (RejectedExecutionException stopped) {
                    finish.run();
                }
            });
        }

        private void ackBatchDone(List<QueuedAck> batch, Throwable err) {
            for (QueuedAck q : batch) {
                if (err != null) {
                    q.done().completeExceptionally(err);
                } else {
                    q.done().complete(null);
                }
            }
            List<QueuedAck> next;
            synchronized (acks) {
                next = nextAcks();
            }
            if (next != null) {
                sendAcks(next);
            }
        }
    }

    /** An acknowledgement waiting for the entry that carries it, and who waits for it. */
    private record QueuedAck(Ack ack, CompletableFuture<Void> done) {
    }
}
