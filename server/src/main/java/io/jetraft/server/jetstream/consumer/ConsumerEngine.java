package io.jetraft.server.jetstream.consumer;

import io.jetraft.server.jetstream.consumer.DeliveryRules.AckPolicy;
import io.jetraft.storage.ConsumerState;
import io.jetraft.storage.Delivery;
import io.jetraft.storage.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * One consumer on its stream's leader: decides what to deliver next (redeliveries first, then new messages),
 * serves pull requests (batch, expiry, byte limit, no-wait, heartbeats), pushes to a deliver subject (with flow
 * control and idle heartbeats), processes acknowledgements (+ACK, -NAK with delay, +WPI, +TERM, +NXT), redelivers
 * after ack_wait (or backoff) up to max_deliver, and replicates every delivery and acknowledgement through the
 * outbox. Not thread-safe: the stream's leader executor makes every call.
 */
public final class ConsumerEngine {

    /** Idle heartbeat status, as nats-server sends it. */
    private static final String HEARTBEAT = "NATS/1.0 100 Idle Heartbeat\r\n";
    private static final long FLOW_CONTROL_BYTES = 1 << 20;
    private static final int FLOW_CONTROL_MESSAGES = 2048;
    private static final long FLOW_CONTROL_RESEND_NANOS = Duration.ofSeconds(5).toNanos();
    /** At most this many deliveries go in one replicated entry (about 20 bytes each). */
    static final int MAX_BURST = 1024;

    private final DeliveryRules rules;
    private final MessageSource source;
    private final ConsumerOutbox out;
    private final LongSupplier clock;

    /** Last consumer sequence handed out. */
    private long deliveredConsumerSeq;
    /** Highest stream sequence handed out. */
    private long deliveredStreamSeq;
    private long ackFloorConsumerSeq;
    private long ackFloorStreamSeq;
    /** Deliveries handed out in the current pull or push round, not yet replicated. */
    private final List<Delivery> burst = new ArrayList<>();
    /** Unacknowledged deliveries by stream sequence. */
    private final TreeMap<Long, Pending> pending = new TreeMap<>();
    /**
     * Acks of messages beyond what this engine has delivered or heard of (stream sequence to when the ack came): a
     * previous leader delivered them in its last moments and the entry saying so reaches this node's state after
     * the ack did. Applied once the delivery is known here; forgotten after {@link #EARLY_ACK_NANOS}.
     */
    private final TreeMap<Long, Long> earlyAcks = new TreeMap<>();
    private static final long EARLY_ACK_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    private static final int MAX_EARLY_ACKS = 10_000;
    /** Stream sequences due for redelivery, earliest first, with the time they may go (NAK delay). */
    private final TreeMap<Long, Long> redeliverAt = new TreeMap<>();
    /** Last-per-subject start: these sequences first, then everything after {@link #startTail}. */
    private final ArrayDeque<Long> initialSequences = new ArrayDeque<>();
    private long startTail;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private long lastActiveNanos;
    private long lastPushActivityNanos;
    private String flowControlReply;
    private long flowControlSentNanos;
    private long bytesSinceFlowControl;
    private int messagesSinceFlowControl;
    private long flowControlCounter;
    private boolean stopped;

    /** One unacknowledged delivery. */
    private static final class Pending {
        final long consumerSeq;
        long sentNanos;
        long deliveries;

        Pending(long consumerSeq, long sentNanos, long deliveries) {
            this.consumerSeq = consumerSeq;
            this.sentNanos = sentNanos;
            this.deliveries = deliveries;
        }
    }

    /** One waiting pull request. */
    private static final class Waiting {
        final String reply;
        int batch;
        long bytesLeft;
        final long expiresAtNanos;
        final long heartbeatNanos;
        long lastSentNanos;
        boolean deliveredAny;

        Waiting(String reply, PullRequest r, long now) {
            this.reply = reply;
            this.batch = r.batch();
            this.bytesLeft = r.maxBytes();
            this.expiresAtNanos = r.expiresNanos() > 0 ? now + r.expiresNanos() : 0;
            this.heartbeatNanos = r.heartbeatNanos();
            this.lastSentNanos = now;
        }
    }

    /**
     * @param persisted the consumer's replicated state (its start sequence is already in it for a new consumer)
     */
    public ConsumerEngine(DeliveryRules rules, MessageSource source, ConsumerOutbox out, LongSupplier clockNanos,
                          ConsumerState persisted) {
        this.rules = rules;
        this.source = source;
        this.out = out;
        this.clock = clockNanos;
        this.deliveredConsumerSeq = persisted.delivered().consumerSeq();
        this.deliveredStreamSeq = persisted.delivered().streamSeq();
        this.ackFloorConsumerSeq = persisted.ackFloor().consumerSeq();
        this.ackFloorStreamSeq = persisted.ackFloor().streamSeq();
        for (Map.Entry<Long, ConsumerState.Pending> e : persisted.pending().entrySet()) {
            long redelivered = persisted.redelivered().getOrDefault(e.getKey(), 0L);
            pending.put(e.getKey(), new Pending(e.getValue().consumerSeq(), e.getValue().timestampNanos(),
                    1 + redelivered));
        }
        long now = clock.getAsLong();
        this.lastActiveNanos = now;
        this.lastPushActivityNanos = now;
        if (rules.deliverPolicy() == DeliveryRules.DeliverPolicy.LAST_PER_SUBJECT && deliveredConsumerSeq == 0) {
            initialSequences.addAll(source.lastPerSubject(rules.filters()));
            startTail = source.lastSeq();
        }
        if (rules.deliverPolicy() == DeliveryRules.DeliverPolicy.BY_START_TIME && deliveredConsumerSeq == 0) {
            deliveredStreamSeq = Math.max(deliveredStreamSeq, source.firstSeqAtOrAfter(rules.optStartTimeNanos()) - 1);
        }
    }

    public DeliveryRules rules() {
        return rules;
    }

    // ---- inputs ------------------------------------------------------------------------------------------------

    /** A pull request arrived on $JS.API.CONSUMER.MSG.NEXT with this reply subject. */
    public void onPull(String reply, byte[] body) {
        if (stopped || reply == null || reply.isEmpty()) {
            return;
        }
        lastActiveNanos = clock.getAsLong();
        if (rules.isPush()) {
            out.status(reply, null, "NATS/1.0 409 Consumer is push based\r\n");
            return;
        }
        PullRequest request;
        try {
            request = PullRequest.parse(body);
        } catch (IllegalArgumentException e) {
            out.status(reply, null, "NATS/1.0 400 Bad Request\r\n");
            return;
        }
        if (rules.maxBatch() > 0 && request.batch() > rules.maxBatch()) {
            out.status(reply, null, "NATS/1.0 409 Exceeded MaxRequestBatch of " + rules.maxBatch() + "\r\n");
            return;
        }
        if (!rules.maxExpires().isZero() && request.expiresNanos() > rules.maxExpires().toNanos()) {
            out.status(reply, null, "NATS/1.0 409 Exceeded MaxRequestExpires of "
                    + io.jetraft.config.GoDuration.format(rules.maxExpires()) + "\r\n");
            return;
        }
        if (rules.maxBytes() > 0 && request.maxBytes() > rules.maxBytes()) {
            out.status(reply, null, "NATS/1.0 409 Exceeded MaxRequestMaxBytes of " + rules.maxBytes() + "\r\n");
            return;
        }
        if (request.heartbeatNanos() > 0 && request.expiresNanos() > 0
                && request.heartbeatNanos() * 2 > request.expiresNanos()) {
            out.status(reply, null, "NATS/1.0 400 Bad Request - heartbeat value too large\r\n");
            return;
        }
        Waiting w = new Waiting(reply, request, lastActiveNanos);
        if (request.noWait()) {
            serve(w);
            if (w.batch > 0) {
                out.status(reply, null, "NATS/1.0 404 No Messages\r\n");
            }
            return;
        }
        if (rules.maxWaiting() > 0 && waiting.size() >= rules.maxWaiting()) {
            // the requests of clients that went away (or moved to another node) do not count
            waiting.removeIf(old -> !out.hasInterest(old.reply));
        }
        if (rules.maxWaiting() > 0 && waiting.size() >= rules.maxWaiting()) {
            out.status(reply, null, "NATS/1.0 409 Exceeded MaxWaiting\r\n");
            return;
        }
        serve(w);
        if (w.batch > 0) {
            waiting.addLast(w);
        }
    }

    /** New messages were applied to the stream: deliver what is owed. */
    public void onMessagesAvailable() {
        if (stopped) {
            return;
        }
        if (rules.isPush()) {
            push();
        } else {
            serveWaiting();
        }
    }

    /**
     * An acknowledgement on {@code $JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>}.
     *
     * @param reply where to answer once the ack is replicated (AckSync), or null
     */
    public void onAck(String ackSubject, byte[] body, String reply) {
        if (stopped) {
            return;
        }
        String[] t = ackSubject.split("\\.");
        if (t.length < 9) {
            return;
        }
        long sseq;
        long dseq;
        try {
            sseq = Long.parseLong(t[5]);
            dseq = Long.parseLong(t[6]);
        } catch (NumberFormatException e) {
            return;
        }
        lastActiveNanos = clock.getAsLong();
        String text = new String(body, StandardCharsets.UTF_8).trim();
        if (text.isEmpty() || text.startsWith("+ACK") || text.equals("+OK")) {
            ack(sseq, dseq, reply);
        } else if (text.startsWith("-NAK")) {
            nak(sseq, text.substring(4).trim());
            replyIfAsked(reply);
        } else if (text.startsWith("+WPI")) {
            Pending p = pending.get(sseq);
            if (p != null) {
                p.sentNanos = clock.getAsLong();
            }
            replyIfAsked(reply);
        } else if (text.startsWith("+TERM")) {
            ack(sseq, dseq, reply);
        } else if (text.startsWith("+NXT")) {
            ack(sseq, dseq, null);
            if (reply != null) {
                String rest = text.substring(4).trim();
                onPull(reply, rest.getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /** The client answered a flow-control request: push may go on. */
    public void onFlowControlReply(String subject) {
        if (subject.equals(flowControlReply)) {
            flowControlReply = null;
            bytesSinceFlowControl = 0;
            messagesSinceFlowControl = 0;
            lastActiveNanos = clock.getAsLong();
            push();
        }
    }

    /** Timers: expired pull requests, heartbeats, redeliveries after ack_wait. Call often (every ~50 ms). */
    public void tick() {
        if (stopped) {
            return;
        }
        long now = clock.getAsLong();
        expireRequests(now);
        queueExpiredAcks(now);
        if (rules.isPush()) {
            if (flowControlReply != null && now - flowControlSentNanos > FLOW_CONTROL_RESEND_NANOS) {
                sendFlowControl(now);
            }
            push();
            long hb = rules.idleHeartbeat().toNanos();
            if (hb > 0 && now - lastPushActivityNanos >= hb && out.hasInterest(rules.deliverSubject())) {
                String block = HEARTBEAT + "Nats-Last-Consumer: " + deliveredConsumerSeq + "\r\nNats-Last-Stream: "
                        + deliveredStreamSeq + "\r\n" + (flowControlReply != null ? "Nats-Consumer-Stalled: "
                        + flowControlReply + "\r\n" : "");
                out.status(rules.deliverSubject(), null, block);
                lastPushActivityNanos = now;
            }
        } else {
            serveWaiting();
        }
    }

    /** This node no longer leads the stream: waiting pulls are told, nothing more is delivered here. */
    public void leadershipLost() {
        endWaiting("NATS/1.0 409 Leadership Change\r\n");
        stopped = true;
    }

    /** The consumer was deleted: waiting pulls are told. */
    public void deleted() {
        endWaiting("NATS/1.0 409 Consumer Deleted\r\n");
        stopped = true;
    }

    private void endWaiting(String status) {
        for (Waiting w : waiting) {
            out.status(w.reply, null, status);
        }
        waiting.clear();
    }

    // ---- acks --------------------------------------------------------------------------------------------------

    private void ack(long sseq, long dseq, String reply) {
        if (rules.ackPolicy() == AckPolicy.NONE) {
            replyIfAsked(reply);
            return;
        }
        boolean wasFull = rules.maxAckPending() > 0 && pending.size() >= rules.maxAckPending();
        if (rules.ackPolicy() == AckPolicy.ALL) {
            if (sseq <= ackFloorStreamSeq) {
                replyIfAsked(reply);
                return;
            }
            pending.headMap(sseq, true).clear();
            redeliverAt.headMap(sseq, true).clear();
            ackFloorConsumerSeq = Math.max(ackFloorConsumerSeq, dseq);
            ackFloorStreamSeq = sseq;
        } else {
            Pending p = pending.remove(sseq);
            redeliverAt.remove(sseq);
            if (p == null) {
                if (sseq > deliveredStreamSeq && rules.tracksAcks()) {
                    rememberEarlyAck(sseq);
                }
                replyIfAsked(reply);
                return;
            }
            dseq = p.consumerSeq;
            advanceAckFloor();
        }
        long ackedDseq = dseq;
        out.proposeAcked(ackedDseq, sseq).whenComplete((v, err) -> replyIfAsked(reply));
        if (wasFull) {
            onMessagesAvailable();
        }
    }

    private void rememberEarlyAck(long sseq) {
        long now = clock.getAsLong();
        earlyAcks.put(sseq, now);
        while (earlyAcks.size() > MAX_EARLY_ACKS
                || (!earlyAcks.isEmpty() && now - earlyAcks.firstEntry().getValue() > EARLY_ACK_NANOS)) {
            earlyAcks.pollFirstEntry();
        }
    }

    /** A delivery became known here (handed out by this engine, or taken in): an ack that came first applies now. */
    private void applyEarlyAck(long sseq, long dseq) {
        if (!earlyAcks.isEmpty() && earlyAcks.remove(sseq) != null) {
            // the delivery's entry goes before the ack's
            proposeBurst();
            ack(sseq, dseq, null);
        }
    }

    /**
     * Takes in deliveries a previous leader made whose entry reached the replicated state after this engine had
     * started from it (held while the leadership moved, and forwarded to this group): they are pending here too, so
     * that they are not handed out again, and an ack that came before them applies. Without this, the engine
     * delivered them a second time, the client's acks of the first copies were dropped here, and when the second
     * copies were lost (their client was leaving with its node) they came back after ack_wait.
     *
     * @return how many deliveries this took in
     */
    public int takeInReplicatedDeliveries(ConsumerState replicated) {
        if (!rules.tracksAcks() || replicated.delivered().streamSeq() <= deliveredStreamSeq) {
            return 0;
        }
        long from = deliveredStreamSeq;
        deliveredStreamSeq = replicated.delivered().streamSeq();
        deliveredConsumerSeq = Math.max(deliveredConsumerSeq, replicated.delivered().consumerSeq());
        List<long[]> taken = new ArrayList<>();
        for (Map.Entry<Long, ConsumerState.Pending> e : replicated.pending().entrySet()) {
            if (e.getKey() > from && !pending.containsKey(e.getKey())) {
                long redelivered = replicated.redelivered().getOrDefault(e.getKey(), 0L);
                pending.put(e.getKey(), new Pending(e.getValue().consumerSeq(), clock.getAsLong(), 1 + redelivered));
                taken.add(new long[] {e.getKey(), e.getValue().consumerSeq()});
            }
        }
        // acked there already, or acked here first
        earlyAcks.headMap(deliveredStreamSeq, true).keySet().removeIf(seq -> !pending.containsKey(seq)
                && !replicated.pending().containsKey(seq));
        for (long[] t : taken) {
            applyEarlyAck(t[0], t[1]);
        }
        if (rules.maxAckPending() > 0) {
            onMessagesAvailable();
        }
        return taken.size();
    }

    /**
     * Takes in acks that reached the replicated state without passing through this engine: the previous leader's
     * last ones, queued or in flight when the leadership moved, which it forwarded to this node's group after this
     * engine had started from the state then applied. A message delivered before (at or below the replicated
     * delivered sequence) that the replicated state no longer holds pending was acknowledged; without this it stayed
     * pending here and came back after ack_wait.
     *
     * @return how many pending messages this removed
     */
    public int takeInReplicatedAcks(ConsumerState replicated) {
        if (rules.ackPolicy() == AckPolicy.NONE || pending.isEmpty()) {
            return 0;
        }
        long deliveredUpTo = replicated.delivered().streamSeq();
        long floor = replicated.ackFloor().streamSeq();
        int removed = 0;
        java.util.Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator();
        while (it.hasNext()) {
            long seq = it.next().getKey();
            if (seq > deliveredUpTo) {
                break;
            }
            if (seq <= floor || !replicated.pending().containsKey(seq)) {
                it.remove();
                redeliverAt.remove(seq);
                removed++;
            }
        }
        if (removed > 0) {
            advanceAckFloor();
            onMessagesAvailable();
        }
        return removed;
    }

    private void advanceAckFloor() {
        if (pending.isEmpty()) {
            ackFloorConsumerSeq = deliveredConsumerSeq;
            ackFloorStreamSeq = deliveredStreamSeq;
        } else {
            Map.Entry<Long, Pending> first = pending.firstEntry();
            ackFloorConsumerSeq = Math.max(ackFloorConsumerSeq, first.getValue().consumerSeq - 1);
            ackFloorStreamSeq = Math.max(ackFloorStreamSeq, first.getKey() - 1);
        }
    }

    private void nak(long sseq, String delayText) {
        if (!pending.containsKey(sseq)) {
            return;
        }
        long delay = parseNakDelay(delayText);
        redeliverAt.put(sseq, clock.getAsLong() + delay);
        onMessagesAvailable();
    }

    /** "-NAK {"delay": ns}" or "-NAK 5s"; anything else means now. */
    static long parseNakDelay(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        try {
            if (text.startsWith("{")) {
                return Math.max(0, new com.fasterxml.jackson.databind.ObjectMapper().readTree(text).path("delay")
                        .asLong(0));
            }
            return Math.max(0, io.jetraft.config.GoDuration.parse(text).toNanos());
        } catch (Exception e) {
            return 0;
        }
    }

    private void replyIfAsked(String reply) {
        if (reply != null && !reply.isEmpty()) {
            out.reply(reply);
        }
    }

    private void queueExpiredAcks(long now) {
        if (!rules.tracksAcks()) {
            return;
        }
        List<Long> dropped = null;
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            if (redeliverAt.containsKey(e.getKey())) {
                continue;
            }
            if (now - p.sentNanos >= rules.ackWaitFor(p.deliveries).toNanos()) {
                if (rules.maxDeliver() > 0 && p.deliveries >= rules.maxDeliver()) {
                    if (dropped == null) {
                        dropped = new ArrayList<>();
                    }
                    dropped.add(e.getKey());
                } else {
                    redeliverAt.put(e.getKey(), now);
                }
            }
        }
        if (dropped != null) {
            // delivered max_deliver times: no longer waited for, as nats-server gives up on it
            for (Long seq : dropped) {
                pending.remove(seq);
            }
            advanceAckFloor();
        }
    }

    // ---- delivery ----------------------------------------------------------------------------------------------

    /** The next thing to deliver, or null: a due redelivery first, then the next new message. */
    private Next next(long now) {
        Iterator<Map.Entry<Long, Long>> it = redeliverAt.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Long> e = it.next();
            if (e.getValue() > now) {
                continue;
            }
            long sseq = e.getKey();
            Pending p = pending.get(sseq);
            Optional<StoredMessage> m = source.get(sseq);
            if (p == null || m.isEmpty()) {
                it.remove();
                if (p != null) {
                    pending.remove(sseq);
                    advanceAckFloor();
                }
                continue;
            }
            return new Next(m.get(), p.deliveries + 1, true);
        }
        if (rules.tracksAcks() && rules.maxAckPending() > 0 && pending.size() >= rules.maxAckPending()) {
            return null;
        }
        while (!initialSequences.isEmpty()) {
            Optional<StoredMessage> m = source.get(initialSequences.peekFirst());
            if (m.isPresent() && m.get().seq() > deliveredStreamSeq) {
                return new Next(m.get(), 1, false);
            }
            initialSequences.pollFirst();
        }
        long from = Math.max(deliveredStreamSeq + 1, startTail + 1);
        return source.next(rules.filters(), from).map(m -> new Next(m, 1, false)).orElse(null);
    }

    private record Next(StoredMessage message, long deliveries, boolean redelivery) {
    }

    /** Hands out one message: new consumer sequence, pending entry, replication, ack subject. */
    private void send(String to, Next n, long now) {
        StoredMessage m = n.message();
        long dseq = ++deliveredConsumerSeq;
        boolean earlyAcked = false;
        if (n.redelivery()) {
            redeliverAt.remove(m.seq());
            Pending p = pending.get(m.seq());
            p.sentNanos = now;
            p.deliveries = n.deliveries();
        } else {
            if (!initialSequences.isEmpty() && initialSequences.peekFirst() == m.seq()) {
                initialSequences.pollFirst();
            }
            deliveredStreamSeq = Math.max(deliveredStreamSeq, m.seq());
            if (rules.tracksAcks()) {
                pending.put(m.seq(), new Pending(dseq, now, 1));
                earlyAcked = !earlyAcks.isEmpty() && earlyAcks.containsKey(m.seq());
            } else {
                ackFloorConsumerSeq = dseq;
                ackFloorStreamSeq = deliveredStreamSeq;
            }
        }
        long left = source.pendingAfter(rules.filters(), deliveredStreamSeq);
        String ack = "$JS.ACK." + rules.stream() + "." + rules.consumer() + "." + n.deliveries() + "." + m.seq() + "."
                + dseq + "." + m.timestampNanos() + "." + left;
        byte[] headers = m.headers();
        byte[] data = m.payload();
        if (rules.headersOnly()) {
            headers = withHeader(headers, "Nats-Msg-Size", Integer.toString(data.length));
            data = new byte[0];
        }
        out.deliver(to, m.subject(), ack, headers, data);
        burst.add(new Delivery(dseq, m.seq(), n.deliveries(), now));
        if (burst.size() >= MAX_BURST) {
            // a large pull or a push backlog goes in entries of bounded size
            proposeBurst();
        }
        lastActiveNanos = now;
        if (earlyAcked) {
            // its client acked the copy a previous leader handed out: this one needs no ack
            applyEarlyAck(m.seq(), dseq);
        }
    }

    /** Replicates what was handed out since the last call, as one entry (one Raft round per pull request served). */
    private void proposeBurst() {
        if (!burst.isEmpty()) {
            out.proposeDelivered(List.copyOf(burst));
            burst.clear();
        }
    }

    private void serveWaiting() {
        if (waiting.isEmpty()) {
            return;
        }
        Iterator<Waiting> it = waiting.iterator();
        while (it.hasNext()) {
            Waiting w = it.next();
            if (!out.hasInterest(w.reply)) {
                // its requester is gone (disconnected, or moved to another node and asking again there): what it
                // would get is lost on the way and redelivered only after ack_wait, as nats-server drops it too
                it.remove();
                continue;
            }
            serve(w);
            if (w.batch <= 0) {
                it.remove();
            } else if (w.bytesLeft < 0) {
                it.remove();
            } else {
                // the first request still waits: later ones must not overtake it
                break;
            }
        }
    }

    /** Delivers to one pull request as much as it asks for and is available. */
    private void serve(Waiting w) {
        try {
            serveBatch(w);
        } finally {
            proposeBurst();
        }
    }

    private void serveBatch(Waiting w) {
        long now = clock.getAsLong();
        while (w.batch > 0) {
            Next n = next(now);
            if (n == null) {
                return;
            }
            long size = n.message().payload().length + n.message().headers().length
                    + n.message().subject().length();
            if (w.bytesLeft > 0 && size > w.bytesLeft) {
                out.status(w.reply, null, "NATS/1.0 409 Message Size Exceeds MaxBytes\r\n");
                w.bytesLeft = -1;
                w.batch = 0;
                return;
            }
            send(w.reply, n, now);
            w.batch--;
            w.deliveredAny = true;
            w.lastSentNanos = now;
            if (w.bytesLeft > 0) {
                w.bytesLeft -= size;
                if (w.bytesLeft <= 0) {
                    w.batch = 0;
                }
            }
        }
    }

    private void expireRequests(long now) {
        Iterator<Waiting> it = waiting.iterator();
        while (it.hasNext()) {
            Waiting w = it.next();
            if (w.expiresAtNanos > 0 && now >= w.expiresAtNanos) {
                out.status(w.reply, null, "NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: " + w.batch
                        + "\r\nNats-Pending-Bytes: " + Math.max(0, w.bytesLeft) + "\r\n");
                it.remove();
            } else if (!out.hasInterest(w.reply)) {
                it.remove();
            } else if (w.heartbeatNanos > 0 && now - w.lastSentNanos >= w.heartbeatNanos) {
                out.status(w.reply, null, HEARTBEAT);
                w.lastSentNanos = now;
            }
        }
    }

    private void push() {
        try {
            pushRound();
        } finally {
            proposeBurst();
        }
    }

    private void pushRound() {
        if (!rules.isPush() || stopped || flowControlReply != null || !out.hasInterest(rules.deliverSubject())) {
            return;
        }
        long now = clock.getAsLong();
        Next n;
        while ((n = next(now)) != null) {
            send(rules.deliverSubject(), n, now);
            lastPushActivityNanos = now;
            if (rules.flowControl()) {
                bytesSinceFlowControl += n.message().payload().length + n.message().headers().length;
                messagesSinceFlowControl++;
                if (bytesSinceFlowControl >= FLOW_CONTROL_BYTES || messagesSinceFlowControl >= FLOW_CONTROL_MESSAGES) {
                    sendFlowControl(now);
                    return;
                }
            }
        }
    }

    private void sendFlowControl(long now) {
        flowControlReply = "$JS.FC." + rules.stream() + "." + rules.consumer() + "." + (++flowControlCounter);
        flowControlSentNanos = now;
        out.status(rules.deliverSubject(), flowControlReply, "NATS/1.0 100 FlowControl Request\r\n");
    }

    private static byte[] withHeader(byte[] headers, String key, String value) {
        String block = headers.length == 0 ? "NATS/1.0\r\n\r\n" : new String(headers, StandardCharsets.UTF_8);
        int end = block.lastIndexOf("\r\n\r\n");
        String head = end < 0 ? block : block.substring(0, end + 2);
        return (head + key + ": " + value + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    }

    // ---- what consumer info shows ------------------------------------------------------------------------------

    /** The consumer as $JS.API.CONSUMER.INFO shows it. */
    public record Snapshot(long deliveredConsumerSeq, long deliveredStreamSeq, long ackFloorConsumerSeq,
                           long ackFloorStreamSeq, int numAckPending, int numRedelivered, int numWaiting,
                           long numPending, long lastActiveNanos) {
    }

    public Snapshot snapshot() {
        int redelivered = 0;
        for (Pending p : pending.values()) {
            if (p.deliveries > 1) {
                redelivered++;
            }
        }
        long numPending = source.pendingAfter(rules.filters(), Math.max(deliveredStreamSeq, startTail))
                + initialSequences.size();
        return new Snapshot(deliveredConsumerSeq, deliveredStreamSeq, ackFloorConsumerSeq, ackFloorStreamSeq,
                pending.size(), redelivered, waiting.size(), numPending, lastActiveNanos);
    }

    /** When the consumer last had a pull request, delivery or ack (for inactive_threshold of ephemerals). */
    public long lastActiveNanos() {
        return lastActiveNanos;
    }

}
