package io.jetraft.storage;

import io.jetraft.storage.ConsumerState.Pending;
import io.jetraft.storage.ConsumerState.SequencePair;
import io.jetraft.storage.StreamLimits.Discard;
import io.jetraft.storage.StreamLimits.Retention;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * One stream of a {@link NodeStore}: its messages, per-subject and time indexes, limits, de-duplication window and
 * consumers' state. Every mutation takes the Raft {@link AppliedIndex} of the entry it applies and is one RocksDB
 * write that also records that index (or, inside {@link GroupStore#inOneWrite}, part of the one write its group's
 * Raft entry makes); an index not newer than the recorded one is skipped. User errors come back as
 * {@link Outcome.Rejected}, never as exceptions; a {@link StoreException} means the disk or RocksDB failed.
 *
 * <p>Thread-safety: mutations are serialised by a per-stream lock (the Raft apply thread is the one writer); reads
 * may run concurrently from any thread and see each mutation whole or not at all for single-key reads; the state
 * and applied index are published after the write.
 */
public final class StreamStore {

    private static final Logger LOG = LoggerFactory.getLogger(StreamStore.class);
    /** How many sequences a bulk removal collects per scan (scans must not see their own batch change). */
    private static final int CHUNK = 4096;
    /** Wildcard next-message lookups first scan this many messages before switching to per-subject seeks. */
    private static final int LINEAR_SCAN = 256;
    /** What one acknowledgement did: nothing, changed the consumer, or settled a pending message. */
    private static final int ACK_NOTHING = 0;
    private static final int ACK_CHANGED = 1;
    private static final int ACK_SETTLED = 2;

    private final NodeStore node;
    private final String name;
    /** The stream group this stream belongs to, or null: its applied index is the one that counts. */
    private final GroupStore group;
    private final ReentrantLock lock = new ReentrantLock();
    private final TreeMap<String, ConsumerMem> consumers = new TreeMap<>();
    private volatile long sid;
    private volatile StreamLimits limits;
    private volatile Counters counters;
    private volatile AppliedIndex applied;
    private volatile int consumerCount;
    private volatile String gone;
    /**
     * While the group's apply thread shares one write among a Raft entry's mutations ({@link GroupStore#inOneWrite}):
     * this stream's counters and applied index as they will be after that write, published when it is done. Only
     * that thread touches them, under the lock.
     */
    private Counters pending;
    private AppliedIndex pendingApplied;

    StreamStore(NodeStore node, String name, long sid, GroupStore group) {
        this.node = node;
        this.name = name;
        this.group = group;
        load(sid);
    }

    // ================================================================== reads

    public String name() {
        return name;
    }

    public StreamLimits limits() {
        return limits;
    }

    /**
     * The Raft index whose effects this stream's data includes (what a state machine reports after a restart): its
     * group's, when it belongs to one.
     */
    public AppliedIndex appliedIndex() {
        ensureLive();
        return group == null ? applied : group.appliedIndex();
    }

    public StreamState state() {
        ensureLive();
        Counters c = counters;
        if (group != null && group.openWrite() != null && pending != null) {
            c = pending; // the apply thread sees what the entry it applies changed so far
        }
        return c.toState(consumerCount);
    }

    public Optional<StoredMessage> message(long seq) {
        ensureLive();
        if (seq < 1) {
            return Optional.empty();
        }
        byte[] v = node.get(node.msgs(), Keys.msg(sid, seq));
        return v == null ? Optional.empty() : Optional.of(Codec.decodeMessage(seq, v));
    }

    /** The newest message whose subject matches {@code filter} (a literal subject, a wildcard filter, or all). */
    public Optional<StoredMessage> lastMessage(String filter) {
        ensureLive();
        SubjectFilter f = SubjectFilter.of(filter);
        long s = sid;
        if (f.matchesAll()) {
            try (Scan scan = Scan.of(node.db(), node.msgs(), Keys.streamStart(s), Keys.streamEnd(s)).seekToLast()) {
                return scan.valid() ? Optional.of(Codec.decodeMessage(Keys.msgSeq(scan.key()), scan.value()))
                        : Optional.empty();
            }
        }
        long best = 0;
        for (String subject : matchingSubjects(f)) {
            best = Math.max(best, lastSeqOfSubject(null, s, subject));
        }
        return best == 0 ? Optional.empty() : message(best);
    }

    /** The first message at or after {@code fromSeq} whose subject matches {@code filter}. */
    public Optional<StoredMessage> nextMessage(String filter, long fromSeq) {
        ensureLive();
        SubjectFilter f = SubjectFilter.of(filter);
        long s = sid;
        long start = Math.max(fromSeq, counters.first);
        if (f.isLiteral()) {
            long seq = nextSeqOfSubject(s, f.text(), start);
            return seq == 0 ? Optional.empty() : message(seq);
        }
        try (Scan scan = Scan.of(node.db(), node.msgs(), Keys.msg(s, start), Keys.streamEnd(s)).seekToFirst()) {
            for (int i = 0; scan.valid() && (f.matchesAll() || i < LINEAR_SCAN); scan.next(), i++) {
                Codec.MessageHead head = Codec.decodeHead(scan.value());
                if (f.matches(head.subject())) {
                    return Optional.of(Codec.decodeMessage(Keys.msgSeq(scan.key()), scan.value()));
                }
            }
            if (f.matchesAll() || !scan.valid()) {
                return Optional.empty();
            }
        }
        long best = 0;
        for (String subject : matchingSubjects(f)) {
            long seq = nextSeqOfSubject(s, subject, start);
            if (seq != 0 && (best == 0 || seq < best)) {
                best = seq;
            }
        }
        return best == 0 ? Optional.empty() : message(best);
    }

    /** Messages per subject for the subjects matching {@code filter}, sorted by subject. */
    public Map<String, Long> subjectCounts(String filter) {
        ensureLive();
        SubjectFilter f = SubjectFilter.of(filter);
        long s = sid;
        TreeMap<String, Long> counts = new TreeMap<>();
        byte[] prefix = Keys.kindWith(s, Keys.META_SUBJECT_COUNT, Keys.utf8(f.matchesAll() ? "" : f.literalPrefix()));
        int skip = Keys.SID + 1;
        if (f.isLiteral()) {
            byte[] v = node.get(node.meta(), prefix);
            if (v != null) {
                counts.put(f.text(), Keys.u64(v));
            }
            return counts;
        }
        try (Scan scan = Scan.prefix(node.db(), node.meta(), prefix).seekToFirst()) {
            for (; scan.valid(); scan.next()) {
                byte[] k = scan.key();
                String subject = new String(k, skip, k.length - skip, StandardCharsets.UTF_8);
                if (f.matches(subject)) {
                    counts.put(subject, Keys.u64(scan.value()));
                }
            }
        }
        return counts;
    }

    /**
     * The sequences of messages older than max_age as of {@code nowNanos} (timestamp ≤ now − max_age), oldest
     * first, at most {@code max}. Empty when the stream has no max_age. The leader proposes their removal through
     * the Raft log; {@link #removeExpired} applies it.
     */
    public List<Long> expiredSequences(long nowNanos, int max) {
        ensureLive();
        StreamLimits l = limits;
        if (l.maxAge().isZero()) {
            return List.of();
        }
        long cutoff = nowNanos - l.maxAge().toNanos();
        return timeIndexUpTo(null, sid, cutoff, max);
    }

    /** When the oldest message reaches max_age (ns since epoch), or empty without max_age or messages. */
    public OptionalLong nextExpiryNanos() {
        ensureLive();
        StreamLimits l = limits;
        if (l.maxAge().isZero()) {
            return OptionalLong.empty();
        }
        byte[] prefix = Keys.kind(sid, Keys.IDX_TIME);
        try (Scan scan = Scan.prefix(node.db(), node.index(), prefix).seekToFirst()) {
            return scan.valid() ? OptionalLong.of(Keys.longAfterKind(scan.key()) + l.maxAge().toNanos())
                    : OptionalLong.empty();
        }
    }

    /**
     * The first sequence stored with this Nats-Msg-Id if it is still inside the duplicate window at {@code nowNanos}
     * (for a leader that wants to answer a duplicate without a Raft round trip).
     */
    public OptionalLong duplicateOf(String msgId, long nowNanos) {
        ensureLive();
        byte[] v = node.get(node.meta(), Keys.kindWith(sid, Keys.META_DEDUPE_ID, Keys.utf8(msgId)));
        if (v == null) {
            return OptionalLong.empty();
        }
        long seq = java.nio.ByteBuffer.wrap(v).getLong();
        long ts = java.nio.ByteBuffer.wrap(v).getLong(8);
        return nowNanos - ts < limits.duplicateWindow().toNanos() ? OptionalLong.of(seq) : OptionalLong.empty();
    }

    public Set<String> consumerNames() {
        lock.lock();
        try {
            return Set.copyOf(consumers.keySet());
        } finally {
            lock.unlock();
        }
    }

    /** A handle on one consumer's state; empty when the consumer does not exist. */
    public Optional<ConsumerStore> consumer(String consumer) {
        lock.lock();
        try {
            return consumers.containsKey(consumer) ? Optional.of(new ConsumerStore(this, consumer)) : Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    Optional<ConsumerState> consumerState(String consumer) {
        lock.lock();
        try {
            ConsumerMem cm = consumers.get(consumer);
            if (cm == null) {
                return Optional.empty();
            }
            return Optional.of(new ConsumerState(cm.delivered, cm.ackFloor,
                    Collections.unmodifiableMap(new TreeMap<>(cm.pending)),
                    Collections.unmodifiableMap(new TreeMap<>(cm.redelivered))));
        } finally {
            lock.unlock();
        }
    }

    Optional<ConsumerActivity> consumerActivity(String consumer) {
        lock.lock();
        try {
            ConsumerMem cm = consumers.get(consumer);
            return cm == null ? Optional.empty()
                    : Optional.of(new ConsumerActivity(cm.lastDeliveredNanos, cm.lastAckedNanos));
        } finally {
            lock.unlock();
        }
    }

    private static long epochNanosNow() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    Optional<ConsumerConfig> consumerConfig(String consumer) {
        lock.lock();
        try {
            ConsumerMem cm = consumers.get(consumer);
            return cm == null ? Optional.empty() : Optional.of(cm.config);
        } finally {
            lock.unlock();
        }
    }

    // ================================================================== mutations: messages

    /**
     * Appends a message: checks the duplicate window (a duplicate returns the first sequence with
     * {@code duplicate=true} and stores nothing), max_msg_size (10054), the expectations (10071) and, with discard
     * new, the limits (10077); then stores it, enforces max_msgs_per_subject, max_msgs and max_bytes by removing the
     * oldest messages (discard old), and drops it at once from an interest stream that no consumer wants.
     */
    public Outcome<Appended> append(AppliedIndex at, Append m) {
        return mutate(at, Shared.YES, t -> doAppend(t, m));
    }

    /**
     * Appends several messages (one Raft entry carrying a publish batch) in one write that records {@code at} once:
     * each message gets its own result, exactly as {@link #append} would give it in order (a refused message changes
     * nothing and the others still go in). Skipped as a whole when {@code at} was applied already.
     */
    public Outcome<List<Outcome<Appended>>> appendBatch(AppliedIndex at, List<Append> batch) {
        return mutate(at, Shared.YES, t -> {
            List<Outcome<Appended>> results = new ArrayList<>(batch.size());
            for (Append m : batch) {
                results.add(doAppend(t, m));
            }
            return new Outcome.Done<>(List.copyOf(results));
        });
    }

    /** Removes one message; 10043 when there is no message with that sequence. */
    public Outcome<Boolean> deleteMessage(AppliedIndex at, long seq) {
        return mutate(at, Shared.NO_INDEXED, t -> removeMsg(t, seq) ? new Outcome.Done<>(true)
                : new Outcome.Rejected<>(JsError.sequenceNotFound(seq)));
    }

    /**
     * Purges as {@code $JS.API.STREAM.PURGE} does and returns how many messages went. Without a filter: everything
     * (the next message gets the next sequence), everything below {@code seq} (a {@code seq} past the end also moves
     * the next sequence there), or all but the newest {@code keep}; consumers' ack floors move up past what was
     * purged. With a filter: the matching messages, limited by {@code seq} or {@code keep} the same way.
     */
    public Outcome<Long> purge(AppliedIndex at, PurgeRequest req) {
        SubjectFilter filter;
        try {
            filter = SubjectFilter.of(req.filter());
        } catch (IllegalArgumentException e) {
            return rejectInvalid(at, JsError.badRequest());
        }
        if (req.seq() > 0 && req.keep() > 0) {
            return rejectInvalid(at, JsError.badRequest());
        }
        Counters now = counters;
        if (filter.matchesAll()) {
            if (req.seq() == 0 && req.keep() == 0) {
                return mutate(at, Shared.NO_PLAIN, t -> new Outcome.Done<>(purgeAll(t, t.c.last + 1)));
            }
            if (req.seq() > 1) {
                if (req.seq() > now.last) {
                    return mutate(at, Shared.NO_PLAIN, t -> new Outcome.Done<>(purgeAll(t, req.seq())));
                }
                return mutate(at, Shared.NO_INDEXED, t -> new Outcome.Done<>(compact(t, req.seq())));
            }
            if (req.keep() > 0) {
                return mutate(at, Shared.NO_INDEXED, t -> new Outcome.Done<>(
                        req.keep() >= t.c.msgs ? 0L : compact(t, t.c.last - req.keep() + 1)));
            }
            return mutate(at, Shared.NO_INDEXED, t -> new Outcome.Done<>(0L));
        }
        return mutate(at, Shared.NO_INDEXED, t -> new Outcome.Done<>(purgeFiltered(t, filter, req.seq(), req.keep())));
    }

    /**
     * Removes every message older than max_age as of {@code nowNanos} (the time the leader proposed, carried in the
     * log entry, so every replica removes the same ones), and forgets message ids older than the duplicate window.
     */
    public Outcome<Long> removeExpired(AppliedIndex at, long nowNanos) {
        return mutate(at, Shared.NO_INDEXED, t -> {
            pruneDuplicates(t, nowNanos);
            StreamLimits l = limits;
            if (l.maxAge().isZero()) {
                return new Outcome.Done<>(0L);
            }
            long cutoff = nowNanos - l.maxAge().toNanos();
            long removed = 0;
            List<Long> seqs;
            do {
                seqs = timeIndexUpTo(t, sid, cutoff, CHUNK);
                for (long seq : seqs) {
                    if (removeMsg(t, seq)) {
                        removed++;
                    }
                }
            } while (seqs.size() == CHUNK);
            return new Outcome.Done<>(removed);
        });
    }

    /**
     * Changes the limits (not the retention policy) and enforces the new ones at once: max_msgs_per_subject, and with
     * discard old max_msgs and max_bytes. max_age is enforced by the next {@link #removeExpired}.
     */
    public Outcome<Void> updateLimits(AppliedIndex at, StreamLimits newLimits) {
        StreamLimits.Validated v = newLimits.validate();
        if (v.error() != null) {
            return rejectInvalid(at, v.error());
        }
        if (v.limits().retention() != limits.retention()) {
            return rejectInvalid(at, JsError.invalidStreamConfig(
                    "stream configuration update can not change retention policy"));
        }
        return mutate(at, Shared.NO_INDEXED, t -> {
            StreamLimits old = limits;
            StreamLimits l = v.limits();
            t.put(node.meta(), Keys.kind(sid, Keys.META_CONFIG), Codec.streamConfig(name, l));
            limits = l;
            try {
                if (l.maxMsgsPerSubject() > 0) {
                    for (Map.Entry<String, Long> e : subjectCountsIn(t).entrySet()) {
                        if (e.getValue() > l.maxMsgsPerSubject()) {
                            trimSubject(t, e.getKey(), e.getValue() - l.maxMsgsPerSubject());
                        }
                    }
                }
                enforceMsgAndByteLimits(t, l);
            } catch (RuntimeException e) {
                limits = old;
                throw e;
            }
            return new Outcome.Done<>(null);
        });
    }

    /** Records an applied index that changes no data (a Raft no-op or configuration entry). */
    public Outcome<Void> recordApplied(AppliedIndex at) {
        return mutate(at, Shared.YES, t -> new Outcome.Done<>(null));
    }

    // ================================================================== mutations: consumers

    /**
     * Creates a consumer whose first message will be {@code startSeq} (delivered and ack floor start just below it),
     * or changes the configuration of an existing one (its state is kept). Done(true) when it was created.
     */
    public Outcome<Boolean> createConsumer(AppliedIndex at, String consumer, ConsumerConfig config, long startSeq) {
        if (!isValidConsumerName(consumer)) {
            return rejectInvalid(at, new JsError(400, 10103, "durable name can not contain '.', '*', '>'"));
        }
        for (String f : config.filterSubjects()) {
            try {
                SubjectFilter.of(f);
            } catch (IllegalArgumentException e) {
                return rejectInvalid(at, JsError.badRequest());
            }
        }
        return mutate(at, Shared.NO_INDEXED, t -> {
            ConsumerMem cm = consumers.get(consumer);
            if (cm != null) {
                cm.config = config;
                saveConsumer(t, cm);
                return new Outcome.Done<>(false);
            }
            cm = new ConsumerMem(consumer);
            cm.config = config;
            long below = Math.max(0, startSeq - 1);
            cm.delivered = new SequencePair(0, below);
            cm.ackFloor = new SequencePair(0, below);
            consumers.put(consumer, cm);
            consumerCount = consumers.size();
            saveConsumer(t, cm);
            return new Outcome.Done<>(true);
        });
    }

    /**
     * Deletes a consumer and its state (10014 when there is none). In an interest stream, messages that no remaining
     * consumer needs are removed in the same write.
     */
    public Outcome<Void> deleteConsumer(AppliedIndex at, String consumer) {
        return mutate(at, Shared.NO_INDEXED, t -> {
            ConsumerMem cm = consumers.get(consumer);
            if (cm == null) {
                return new Outcome.Rejected<>(JsError.consumerNotFound());
            }
            for (long seq : cm.pending.keySet()) {
                t.delete(node.meta(), Keys.kindNameSeq(sid, Keys.META_PENDING, cm.nameBytes, seq));
            }
            for (long seq : cm.redelivered.keySet()) {
                t.delete(node.meta(), Keys.kindNameSeq(sid, Keys.META_REDELIVERED, cm.nameBytes, seq));
            }
            t.delete(node.meta(), Keys.kindWith(sid, Keys.META_CONSUMER, cm.nameBytes));
            consumers.remove(consumer);
            consumerCount = consumers.size();
            if (limits.retention() == Retention.INTEREST) {
                removeUninteresting(t);
            }
            return new Outcome.Done<>(null);
        });
    }

    /**
     * Records a delivery (nats-server's UpdateDelivered): consumer sequence {@code dseq} carried stream sequence
     * {@code sseq} for the {@code dc}-th time at {@code tsNanos}.
     */
    public Outcome<Void> consumerDelivered(AppliedIndex at, String consumer, long dseq, long sseq, long dc,
                                           long tsNanos) {
        return consumerDelivered(at, consumer, List.of(new Delivery(dseq, sseq, dc, tsNanos)));
    }

    /**
     * Records several deliveries of one consumer, in order, in one write that records {@code at} once (one Raft
     * entry carrying a burst of deliveries): the same state as recording each in turn. Refused as a whole (nothing
     * changes) when one of them would be refused.
     */
    public Outcome<Void> consumerDelivered(AppliedIndex at, String consumer, List<Delivery> deliveries) {
        return mutate(at, Shared.YES, t -> {
            ConsumerMem cm = consumers.get(consumer);
            if (cm == null) {
                return new Outcome.Rejected<>(JsError.consumerNotFound());
            }
            boolean ackNone = cm.config.ackPolicy() == ConsumerConfig.AckPolicy.NONE;
            for (Delivery d : deliveries) {
                if (d.deliveryCount() != 1 && ackNone) {
                    return new Outcome.Rejected<>(JsError.storeFailed("ack policy is none"));
                }
            }
            // every refusal is found before anything changes: a batch is taken whole or not at all
            boolean changed = false;
            for (Delivery d : deliveries) {
                changed |= delivered(t, cm, ackNone, d.dseq(), d.sseq(), d.deliveryCount(), d.tsNanos());
                cm.lastDeliveredNanos = Math.max(cm.lastDeliveredNanos, d.tsNanos());
            }
            if (changed) {
                saveConsumer(t, cm);
            }
            return new Outcome.Done<>(null);
        });
    }

    /** One delivery applied to the consumer in {@code t}; false when it was at or below the ack floor (no change). */
    private boolean delivered(Txn t, ConsumerMem cm, boolean ackNone, long dseq, long sseq, long dc, long tsNanos) {
        if (dseq <= cm.ackFloor.consumerSeq()) {
            return false;
        }
        if (!ackNone) {
            if (sseq <= cm.delivered.streamSeq()) {
                Pending p = cm.pending.get(sseq);
                if (p != null) {
                    putPending(t, cm, sseq, new Pending(p.consumerSeq(), tsNanos));
                }
            } else {
                putPending(t, cm, sseq, new Pending(dseq, tsNanos));
            }
            cm.delivered = new SequencePair(Math.max(dseq, cm.delivered.consumerSeq()),
                    Math.max(sseq, cm.delivered.streamSeq()));
            if (dc > 1) {
                int maxDeliver = cm.config.maxDeliver();
                if (maxDeliver > 0 && dc > maxDeliver) {
                    removePending(t, cm, sseq);
                }
                Long had = cm.redelivered.get(sseq);
                if (had == null || had < dc - 1) {
                    cm.redelivered.put(sseq, dc - 1);
                    t.put(node.meta(), Keys.kindNameSeq(sid, Keys.META_REDELIVERED, cm.nameBytes, sseq),
                            Keys.u64(dc - 1));
                }
            }
        } else {
            long c = cm.delivered.consumerSeq();
            long s = cm.delivered.streamSeq();
            long fc = cm.ackFloor.consumerSeq();
            long fs = cm.ackFloor.streamSeq();
            if (dseq > c) {
                c = dseq;
                fc = dseq;
            }
            if (sseq > s) {
                s = sseq;
                fs = sseq;
            }
            cm.delivered = new SequencePair(c, s);
            cm.ackFloor = new SequencePair(fc, fs);
            removeIfAcknowledged(t, sseq);
        }
        return true;
    }

    /**
     * Records an acknowledgement (nats-server's UpdateAcks) and, for work-queue and interest streams, removes the
     * messages it settled (interest: once no consumer needs them). Done(false) when it acknowledged nothing pending.
     */
    public Outcome<Boolean> consumerAcked(AppliedIndex at, String consumer, long dseq, long sseq) {
        return consumerAcked(at, consumer, List.of(new Ack(dseq, sseq)));
    }

    /**
     * Records several acknowledgements of one consumer, in order, in one write that records {@code at} once: the same
     * state as recording each in turn. Done(true) when any of them settled a pending message; refused as a whole
     * (nothing changes) for a consumer that does not exist or does not take acknowledgements.
     */
    public Outcome<Boolean> consumerAcked(AppliedIndex at, String consumer, List<Ack> acks) {
        return mutate(at, Shared.YES, t -> {
            ConsumerMem cm = consumers.get(consumer);
            if (cm == null) {
                return new Outcome.Rejected<>(JsError.consumerNotFound());
            }
            if (cm.config.ackPolicy() == ConsumerConfig.AckPolicy.NONE) {
                return new Outcome.Rejected<>(JsError.storeFailed("ack policy is none"));
            }
            int most = ACK_NOTHING;
            for (Ack a : acks) {
                most = Math.max(most, acked(t, cm, a.dseq(), a.sseq()));
            }
            if (most != ACK_NOTHING) {
                saveConsumer(t, cm);
                cm.lastAckedNanos = epochNanosNow();
            }
            return new Outcome.Done<>(most == ACK_SETTLED);
        });
    }

    /** One acknowledgement applied to the consumer in {@code t}: nothing, a change, or a settled pending message. */
    private int acked(Txn t, ConsumerMem cm, long dseq, long sseq) {
        if (dseq <= cm.ackFloor.consumerSeq()) {
            return ACK_NOTHING;
        }
        if (sseq > cm.delivered.streamSeq()) {
            cm.delivered = new SequencePair(cm.delivered.consumerSeq(), sseq);
        }
        if (!cm.pending.containsKey(sseq)) {
            removeRedelivered(t, cm, sseq);
            return ACK_CHANGED;
        }
        List<Long> settled = new ArrayList<>();
        if (cm.config.ackPolicy() == ConsumerConfig.AckPolicy.ALL) {
            settled.addAll(cm.pending.headMap(sseq, true).keySet());
            for (long s : settled) {
                removePending(t, cm, s);
                removeRedelivered(t, cm, s);
            }
            cm.ackFloor = new SequencePair(dseq, sseq);
        } else {
            Pending p = cm.pending.get(sseq);
            removePending(t, cm, sseq);
            settled.add(sseq);
            long d = dseq;
            if (d > p.consumerSeq() && p.consumerSeq() > 0) {
                d = p.consumerSeq();
            }
            if (cm.pending.isEmpty()) {
                cm.ackFloor = cm.delivered;
            } else if (d == cm.ackFloor.consumerSeq() + 1) {
                cm.ackFloor = new SequencePair(d, sseq);
                Long nextPending = cm.pending.higherKey(sseq);
                if (cm.delivered.consumerSeq() > d && nextPending != null) {
                    Pending np = cm.pending.get(nextPending);
                    if (np.consumerSeq() > 0) {
                        cm.ackFloor = new SequencePair(np.consumerSeq() - 1, nextPending - 1);
                    }
                }
            }
            removeRedelivered(t, cm, sseq);
        }
        for (long s : settled) {
            removeIfAcknowledged(t, s);
        }
        return ACK_SETTLED;
    }

    // ================================================================== the mutation frame

    /**
     * How a mutation is written: into the write its group's apply thread shares among a Raft entry's mutations when
     * one is open (the hot entries: publishes, deliveries, acks), or alone, reading its own writes (indexed) or
     * holding range deletes (plain); a mutation written alone first commits what the shared write holds.
     */
    private enum Shared { YES, NO_INDEXED, NO_PLAIN }

    private <T> Outcome<T> mutate(AppliedIndex at, Shared shared, Function<Txn, Outcome<T>> body) {
        node.ensureOpen();
        GroupWrite w = group == null ? null : group.openWrite();
        if (w != null && shared != Shared.YES) {
            w.commit();
            w = null;
        }
        lock.lock();
        try {
            ensureLive();
            if (covered(at)) {
                return new Outcome.Skipped<>(appliedIndex());
            }
            if (w != null) {
                return mutateShared(w, at, body);
            }
            try (Txn t = new Txn(node, counters.copy(), shared != Shared.NO_PLAIN)) {
                Outcome<T> out;
                try {
                    out = body.apply(t);
                } catch (RuntimeException e) {
                    reloadAfterFailure();
                    throw e;
                }
                if (out instanceof Outcome.Rejected<T>) {
                    // rejections are decided before anything changes: record only that the entry was applied
                    writeAppliedOnly(at);
                    return out;
                }
                commit(t, at);
                return out;
            }
        } finally {
            lock.unlock();
        }
    }

    /** One mutation into the group's shared write; its effects are published when that write is done. */
    private <T> Outcome<T> mutateShared(GroupWrite w, AppliedIndex at, Function<Txn, Outcome<T>> body) {
        Counters base = pending != null ? pending : counters;
        try (Txn t = new Txn(node, base.copy(), w.batch())) {
            Outcome<T> out;
            t.savePoint();
            try {
                out = body.apply(t);
                if (!(out instanceof Outcome.Rejected<T>)) {
                    resolveFirst(t);
                    t.stage();
                }
            } catch (RuntimeException e) {
                t.rollbackToSavePoint();
                reloadAfterFailure();
                throw e;
            }
            if (out instanceof Outcome.Rejected<T>) {
                // nothing of a refused entry is kept but its applied index
                t.rollbackToSavePoint();
            } else {
                t.releaseSavePoint();
                pending = t.c;
            }
            joinApplied(w, at);
            return out;
        }
    }

    /** The entry at {@code at} is applied to this stream as part of the shared write. */
    private void joinApplied(GroupWrite w, AppliedIndex at) {
        pendingApplied = at;
        w.joined(this, at);
    }

    /** Puts this stream's pending counters and applied index into the shared write (on its commit). */
    void stagePending(GroupWrite w) {
        lock.lock();
        try {
            if (pending != null) {
                w.put(Keys.kind(sid, Keys.META_STATE), Codec.counters(pending));
            }
            if (pendingApplied != null) {
                w.put(Keys.kind(sid, Keys.META_APPLIED), Codec.applied(pendingApplied));
            }
        } finally {
            lock.unlock();
        }
    }

    /** After the shared write: readers see this stream's new state. */
    void publishPending() {
        lock.lock();
        try {
            if (pending != null) {
                counters = pending;
            }
            if (pendingApplied != null) {
                applied = pendingApplied;
            }
            pending = null;
            pendingApplied = null;
        } finally {
            lock.unlock();
        }
    }

    /** The shared write failed or was abandoned: forget what was pending and re-read the state from disk. */
    void dropPending() {
        lock.lock();
        try {
            pending = null;
            pendingApplied = null;
            reloadAfterFailure();
        } finally {
            lock.unlock();
        }
    }

    /** A request refused before it reached the store's state still consumes its log entry. */
    private <T> Outcome<T> rejectInvalid(AppliedIndex at, JsError error) {
        node.ensureOpen();
        lock.lock();
        try {
            ensureLive();
            if (covered(at)) {
                return new Outcome.Skipped<>(appliedIndex());
            }
            GroupWrite w = group == null ? null : group.openWrite();
            if (w != null) {
                joinApplied(w, at);
            } else {
                writeAppliedOnly(at);
            }
            return new Outcome.Rejected<>(error);
        } finally {
            lock.unlock();
        }
    }

    /** Whether the entry at {@code at} was applied already (by this stream, or by its group). */
    private boolean covered(AppliedIndex at) {
        return group == null ? at.isCoveredBy(applied) : group.covers(at);
    }

    private void writeAppliedOnly(AppliedIndex at) {
        try (Txn t = new Txn(node, counters, false)) {
            recordApplied(t, at);
            t.commit();
        }
        applied(at);
    }

    /** The applied index goes in the same write as the data: the stream's own and its group's. */
    private void recordApplied(Txn t, AppliedIndex at) {
        t.put(node.meta(), Keys.kind(sid, Keys.META_APPLIED), Codec.applied(at));
        if (group != null) {
            t.put(node.meta(), group.appliedKey(), Codec.applied(at));
        }
    }

    private void applied(AppliedIndex at) {
        applied = at;
        if (group != null) {
            group.applied(at);
        }
    }

    private void commit(Txn t, AppliedIndex at) {
        try {
            resolveFirst(t);
            t.put(node.meta(), Keys.kind(sid, Keys.META_STATE), Codec.counters(t.c));
            recordApplied(t, at);
            t.commit();
        } catch (RuntimeException e) {
            reloadAfterFailure();
            throw e;
        }
        counters = t.c;
        applied(at);
    }

    /** After a failed mutation the in-memory consumer state may be ahead of the disk: read it back. */
    private void reloadAfterFailure() {
        try {
            load(sid);
        } catch (RuntimeException e) {
            LOG.error("Stream '{}' could not re-read its state after a failed write; reopen the store", name, e);
            gone = "the stream '" + name + "' failed to write and must be reopened";
        }
    }

    // ================================================================== append internals

    private Outcome<Appended> doAppend(Txn t, Append m) {
        StreamLimits l = limits;
        Counters c = t.c;
        String subject = m.subject();
        if (!isValidPublishSubject(subject)) {
            return new Outcome.Rejected<>(JsError.badRequest());
        }
        long ts = m.timestampNanos();
        if (m.msgId() != null) {
            pruneDuplicates(t, ts);
            byte[] v = t.get(node.meta(), Keys.kindWith(sid, Keys.META_DEDUPE_ID, Keys.utf8(m.msgId())));
            if (v != null) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(v);
                long firstSeq = b.getLong();
                long firstTs = b.getLong();
                if (ts - firstTs < l.duplicateWindow().toNanos()) {
                    return new Outcome.Done<>(new Appended(firstSeq, true));
                }
            }
        }
        int hl = m.headers().length;
        int pl = m.payload().length;
        if (l.maxMsgSize() >= 0 && (long) hl + pl > l.maxMsgSize()) {
            return new Outcome.Rejected<>(JsError.messageExceedsMaximum());
        }
        if (m.expectedLastSequence().isPresent() && m.expectedLastSequence().getAsLong() != c.last) {
            return new Outcome.Rejected<>(JsError.wrongLastSequence(c.last));
        }
        if (m.expectedLastSubjectSequence().isPresent()) {
            long lastOfSubject = lastSeqOfSubject(t, sid, subject);
            if (m.expectedLastSubjectSequence().getAsLong() != lastOfSubject) {
                return new Outcome.Rejected<>(JsError.wrongLastSequence(lastOfSubject));
            }
        }
        byte[] subjectBytes = Keys.utf8(subject);
        long size = Counters.messageSize(subjectBytes.length, hl, pl);
        byte[] countKey = Keys.kindWith(sid, Keys.META_SUBJECT_COUNT, subjectBytes);
        byte[] countValue = t.get(node.meta(), countKey);
        long subjectCount = countValue == null ? 0 : Keys.u64(countValue);
        boolean atSubjectLimit = l.maxMsgsPerSubject() > 0 && subjectCount >= l.maxMsgsPerSubject();
        if (l.discard() == Discard.NEW) {
            if (atSubjectLimit && l.discardNewPerSubject()) {
                return new Outcome.Rejected<>(JsError.maximumMessagesPerSubjectExceeded());
            }
            // at the subject limit the new message replaces that subject's oldest, so totals do not grow
            if (l.maxMsgs() > 0 && c.msgs >= l.maxMsgs() && !atSubjectLimit) {
                return new Outcome.Rejected<>(JsError.maximumMessagesExceeded());
            }
            if (l.maxBytes() > 0 && c.bytes + size >= l.maxBytes()) {
                if (!atSubjectLimit) {
                    return new Outcome.Rejected<>(JsError.maximumBytesExceeded());
                }
                long oldest = firstSeqOfSubject(t, sid, subject);
                byte[] ov = oldest == 0 ? null : t.get(node.msgs(), Keys.msg(sid, oldest));
                if (ov == null || Codec.decodeHead(ov).size() < size) {
                    return new Outcome.Rejected<>(JsError.maximumBytesExceeded());
                }
            }
        }

        long seq = c.last + 1;
        t.put(node.msgs(), Keys.msg(sid, seq), Codec.message(subjectBytes, m.headers(), m.payload(), ts));
        t.put(node.index(), Keys.kindNameSeq(sid, Keys.IDX_SUBJECT, subjectBytes, seq), new byte[0]);
        t.put(node.index(), Keys.kindTimeSeq(sid, Keys.IDX_TIME, ts, seq), new byte[0]);
        t.put(node.meta(), countKey, Keys.u64(subjectCount + 1));
        if (subjectCount == 0) {
            c.numSubjects++;
        }
        if (c.msgs == 0) {
            c.first = seq;
            c.firstTs = ts;
            t.firstDirty = false;
        }
        c.msgs++;
        c.bytes += size;
        c.last = seq;
        c.lastTs = ts;
        if (m.msgId() != null) {
            byte[] id = Keys.utf8(m.msgId());
            t.put(node.meta(), Keys.kindWith(sid, Keys.META_DEDUPE_ID, id), Codec.dedupe(seq, ts));
            t.put(node.meta(), Keys.kindTimeSeq(sid, Keys.META_DEDUPE_TIME, ts, seq), id);
        }

        Rollup rollup = Rollup.of(m.headers());
        if (rollup == Rollup.SUBJECT && subjectCount > 0) {
            trimSubject(t, subject, subjectCount);
        } else if (rollup == Rollup.ALL) {
            for (long q = c.first; q < seq; q++) {
                removeMsg(t, q);
            }
        } else if (l.maxMsgsPerSubject() > 0 && subjectCount + 1 > l.maxMsgsPerSubject()) {
            trimSubject(t, subject, subjectCount + 1 - l.maxMsgsPerSubject());
        }
        enforceMsgAndByteLimits(t, l);
        if (l.retention() == Retention.INTEREST && !anyConsumerWants(subject, seq)) {
            removeMsg(t, seq);
        }
        return new Outcome.Done<>(new Appended(seq, false));
    }

    private void enforceMsgAndByteLimits(Txn t, StreamLimits l) {
        if (l.discard() != Discard.OLD) {
            return;
        }
        while (l.maxMsgs() > 0 && t.c.msgs > l.maxMsgs()) {
            if (!removeOldest(t)) {
                break;
            }
        }
        while (l.maxBytes() > 0 && t.c.bytes > l.maxBytes()) {
            if (!removeOldest(t)) {
                break;
            }
        }
    }

    private boolean removeOldest(Txn t) {
        long seq;
        try (Scan s = t.scan(node.msgs(), Keys.msg(sid, t.c.first), Keys.streamEnd(sid)).seekToFirst()) {
            if (!s.valid()) {
                return false;
            }
            seq = Keys.msgSeq(s.key());
        }
        t.c.first = seq;
        return removeMsg(t, seq);
    }

    /** Removes the {@code n} oldest messages of one subject. */
    private void trimSubject(Txn t, String subject, long n) {
        byte[] prefix = Keys.kindNamePrefix(sid, Keys.IDX_SUBJECT, Keys.utf8(subject));
        List<Long> seqs = new ArrayList<>();
        try (Scan s = t.scan(node.index(), prefix, Keys.prefixEnd(prefix)).seekToFirst()) {
            for (; s.valid() && seqs.size() < n; s.next()) {
                seqs.add(Keys.trailingLong(s.key()));
            }
        }
        for (long seq : seqs) {
            removeMsg(t, seq);
        }
    }

    /** Removes one message with its index entries and counts; false when it is not there. */
    private boolean removeMsg(Txn t, long seq) {
        if (seq < 1) {
            return false;
        }
        byte[] key = Keys.msg(sid, seq);
        byte[] v = t.get(node.msgs(), key);
        if (v == null) {
            return false;
        }
        Codec.MessageHead head = Codec.decodeHead(v);
        byte[] subjectBytes = Keys.utf8(head.subject());
        t.delete(node.msgs(), key);
        t.delete(node.index(), Keys.kindNameSeq(sid, Keys.IDX_SUBJECT, subjectBytes, seq));
        t.delete(node.index(), Keys.kindTimeSeq(sid, Keys.IDX_TIME, head.ts(), seq));
        byte[] countKey = Keys.kindWith(sid, Keys.META_SUBJECT_COUNT, subjectBytes);
        byte[] cv = t.get(node.meta(), countKey);
        long count = cv == null ? 0 : Keys.u64(cv);
        if (count <= 1) {
            t.delete(node.meta(), countKey);
            if (count == 1) {
                t.c.numSubjects--;
            }
        } else {
            t.put(node.meta(), countKey, Keys.u64(count - 1));
        }
        Counters c = t.c;
        c.msgs--;
        c.bytes = Math.max(0, c.bytes - head.size());
        if (seq == c.first) {
            c.first = seq + 1;
            t.firstDirty = true;
        }
        return true;
    }

    /** Turns the lower bound kept during a mutation into the real first sequence and its time. */
    private void resolveFirst(Txn t) {
        Counters c = t.c;
        if (c.msgs == 0) {
            c.first = c.last + 1;
            c.firstTs = 0;
            return;
        }
        if (!t.firstDirty) {
            return;
        }
        try (Scan s = t.scan(node.msgs(), Keys.msg(sid, c.first), Keys.streamEnd(sid)).seekToFirst()) {
            if (s.valid()) {
                c.first = Keys.msgSeq(s.key());
                c.firstTs = Codec.decodeHead(s.value()).ts();
            }
        }
    }

    // ================================================================== purge internals

    private long purgeAll(Txn t, long nextSeq) {
        Counters c = t.c;
        long purged = c.msgs;
        t.deleteRange(node.msgs(), Keys.streamStart(sid), Keys.streamEnd(sid));
        t.deleteRange(node.index(), Keys.streamStart(sid), Keys.streamEnd(sid));
        byte[] counts = Keys.kind(sid, Keys.META_SUBJECT_COUNT);
        t.deleteRange(node.meta(), counts, Keys.prefixEnd(counts));
        c.msgs = 0;
        c.bytes = 0;
        c.numSubjects = 0;
        c.last = Math.max(c.last, nextSeq - 1);
        c.first = c.last + 1;
        c.firstTs = 0;
        moveConsumersPast(t, c.first);
        return purged;
    }

    /** Removes every message below {@code seq} (which is ≤ last). */
    private long compact(Txn t, long seq) {
        long removed = 0;
        long from = t.c.first;
        while (from < seq) {
            List<Long> seqs = new ArrayList<>();
            try (Scan s = t.scan(node.msgs(), Keys.msg(sid, from), Keys.msg(sid, seq)).seekToFirst()) {
                for (; s.valid() && seqs.size() < CHUNK; s.next()) {
                    seqs.add(Keys.msgSeq(s.key()));
                }
            }
            if (seqs.isEmpty()) {
                break;
            }
            for (long q : seqs) {
                t.c.first = Math.min(t.c.first, q);
                if (removeMsg(t, q)) {
                    removed++;
                }
            }
            from = seqs.get(seqs.size() - 1) + 1;
        }
        t.c.first = Math.max(t.c.first, seq);
        t.firstDirty = true;
        moveConsumersPast(t, seq);
        return removed;
    }

    private long purgeFiltered(Txn t, SubjectFilter f, long seq, long keep) {
        List<Long> matching = new ArrayList<>();
        for (String subject : matchingSubjectsIn(t, f)) {
            byte[] prefix = Keys.kindNamePrefix(sid, Keys.IDX_SUBJECT, Keys.utf8(subject));
            try (Scan s = t.scan(node.index(), prefix, Keys.prefixEnd(prefix)).seekToFirst()) {
                for (; s.valid(); s.next()) {
                    matching.add(Keys.trailingLong(s.key()));
                }
            }
        }
        Collections.sort(matching);
        long limit = matching.size();
        if (keep > 0) {
            if (keep >= matching.size()) {
                return 0;
            }
            limit = matching.size() - keep;
        }
        long upTo = seq > 1 ? seq - 1 : Long.MAX_VALUE;
        long purged = 0;
        for (long q : matching) {
            if (purged >= limit || q > upTo) {
                break;
            }
            if (removeMsg(t, q)) {
                purged++;
            }
        }
        return purged;
    }

    /** After a purge without a filter, consumers do not wait for what was purged (as nats-server's o.purge). */
    private void moveConsumersPast(Txn t, long firstSeq) {
        long floor = firstSeq - 1;
        for (ConsumerMem cm : consumers.values()) {
            if (cm.ackFloor.streamSeq() >= floor) {
                continue;
            }
            long floorConsumerSeq = cm.ackFloor.consumerSeq();
            for (Map.Entry<Long, Pending> e : new ArrayList<>(cm.pending.headMap(floor, true).entrySet())) {
                floorConsumerSeq = Math.max(floorConsumerSeq, e.getValue().consumerSeq());
                t.delete(node.meta(), Keys.kindNameSeq(sid, Keys.META_PENDING, cm.nameBytes, e.getKey()));
                cm.pending.remove(e.getKey());
            }
            for (long s : new ArrayList<>(cm.redelivered.headMap(floor, true).keySet())) {
                removeRedelivered(t, cm, s);
            }
            cm.ackFloor = new SequencePair(floorConsumerSeq, floor);
            cm.delivered = new SequencePair(Math.max(cm.delivered.consumerSeq(), floorConsumerSeq),
                    Math.max(cm.delivered.streamSeq(), floor));
            saveConsumer(t, cm);
        }
    }

    // ================================================================== retention internals

    /** Work queue: an acknowledged message goes. Interest: it goes once no consumer needs it. */
    private void removeIfAcknowledged(Txn t, long seq) {
        Retention r = limits.retention();
        if (r == Retention.LIMITS) {
            return;
        }
        if (r == Retention.WORK_QUEUE) {
            removeMsg(t, seq);
            return;
        }
        byte[] v = t.get(node.msgs(), Keys.msg(sid, seq));
        if (v != null && !anyConsumerWants(Codec.decodeHead(v).subject(), seq)) {
            removeMsg(t, seq);
        }
    }

    private boolean anyConsumerWants(String subject, long seq) {
        for (ConsumerMem cm : consumers.values()) {
            if (cm.needsAck(seq, subject)) {
                return true;
            }
        }
        return false;
    }

    private void removeUninteresting(Txn t) {
        long from = t.c.first;
        while (true) {
            List<Long> drop = new ArrayList<>();
            long lastSeen = -1;
            try (Scan s = t.scan(node.msgs(), Keys.msg(sid, from), Keys.streamEnd(sid)).seekToFirst()) {
                for (int i = 0; s.valid() && i < CHUNK; s.next(), i++) {
                    long seq = Keys.msgSeq(s.key());
                    lastSeen = seq;
                    if (!anyConsumerWants(Codec.decodeHead(s.value()).subject(), seq)) {
                        drop.add(seq);
                    }
                }
            }
            for (long seq : drop) {
                removeMsg(t, seq);
            }
            if (lastSeen < 0) {
                return;
            }
            from = lastSeen + 1;
        }
    }

    // ================================================================== de-duplication internals

    /** Forgets message ids at least a duplicate window older than {@code nowNanos}. */
    private void pruneDuplicates(Txn t, long nowNanos) {
        long cutoff = nowNanos - limits.duplicateWindow().toNanos();
        if (cutoff < 0) {
            return;
        }
        byte[] prefix = Keys.kind(sid, Keys.META_DEDUPE_TIME);
        byte[] upper = Keys.kindTimeSeq(sid, Keys.META_DEDUPE_TIME, cutoff + 1, 0);
        List<byte[][]> expired = new ArrayList<>();
        try (Scan s = t.scan(node.meta(), prefix, upper).seekToFirst()) {
            for (; s.valid() && expired.size() < CHUNK; s.next()) {
                expired.add(new byte[][] {s.key(), s.value()});
            }
        }
        for (byte[][] e : expired) {
            t.delete(node.meta(), e[0]);
            byte[] idKey = Keys.kindWith(sid, Keys.META_DEDUPE_ID, e[1]);
            byte[] current = t.get(node.meta(), idKey);
            // the id may have been used again after this entry expired: only drop it if it is this entry
            if (current != null && java.nio.ByteBuffer.wrap(current).getLong() == Keys.trailingLong(e[0])) {
                t.delete(node.meta(), idKey);
            }
        }
    }

    // ================================================================== index helpers

    private long lastSeqOfSubject(Txn t, long s, String subject) {
        byte[] prefix = Keys.kindNamePrefix(s, Keys.IDX_SUBJECT, Keys.utf8(subject));
        try (Scan scan = t == null ? Scan.prefix(node.db(), node.index(), prefix).seekToLast()
                : t.scan(node.index(), prefix, Keys.prefixEnd(prefix)).seekToLast()) {
            return scan.valid() ? Keys.trailingLong(scan.key()) : 0;
        }
    }

    private long firstSeqOfSubject(Txn t, long s, String subject) {
        byte[] prefix = Keys.kindNamePrefix(s, Keys.IDX_SUBJECT, Keys.utf8(subject));
        try (Scan scan = t.scan(node.index(), prefix, Keys.prefixEnd(prefix)).seekToFirst()) {
            return scan.valid() ? Keys.trailingLong(scan.key()) : 0;
        }
    }

    private long nextSeqOfSubject(long s, String subject, long from) {
        byte[] subjectBytes = Keys.utf8(subject);
        byte[] prefix = Keys.kindNamePrefix(s, Keys.IDX_SUBJECT, subjectBytes);
        try (Scan scan = Scan.prefix(node.db(), node.index(), prefix)
                .seek(Keys.kindNameSeq(s, Keys.IDX_SUBJECT, subjectBytes, from))) {
            return scan.valid() ? Keys.trailingLong(scan.key()) : 0;
        }
    }

    private List<Long> timeIndexUpTo(Txn t, long s, long cutoff, int max) {
        if (cutoff < 0) {
            return List.of();
        }
        byte[] prefix = Keys.kind(s, Keys.IDX_TIME);
        byte[] upper = Keys.kindTimeSeq(s, Keys.IDX_TIME, cutoff + 1, 0);
        List<Long> seqs = new ArrayList<>();
        try (Scan scan = t == null ? Scan.of(node.db(), node.index(), prefix, upper).seekToFirst()
                : t.scan(node.index(), prefix, upper).seekToFirst()) {
            for (; scan.valid() && seqs.size() < max; scan.next()) {
                seqs.add(Keys.trailingLong(scan.key()));
            }
        }
        return seqs;
    }

    private List<String> matchingSubjects(SubjectFilter f) {
        if (f.isLiteral()) {
            return List.of(f.text());
        }
        return List.copyOf(subjectCounts(f.text()).keySet());
    }

    private List<String> matchingSubjectsIn(Txn t, SubjectFilter f) {
        if (f.isLiteral()) {
            return List.of(f.text());
        }
        List<String> out = new ArrayList<>();
        for (String subject : subjectCountsIn(t).keySet()) {
            if (f.matches(subject)) {
                out.add(subject);
            }
        }
        return out;
    }

    private Map<String, Long> subjectCountsIn(Txn t) {
        byte[] prefix = Keys.kind(sid, Keys.META_SUBJECT_COUNT);
        int skip = prefix.length;
        TreeMap<String, Long> counts = new TreeMap<>();
        try (Scan scan = t.scan(node.meta(), prefix, Keys.prefixEnd(prefix)).seekToFirst()) {
            for (; scan.valid(); scan.next()) {
                byte[] k = scan.key();
                counts.put(new String(k, skip, k.length - skip, StandardCharsets.UTF_8), Keys.u64(scan.value()));
            }
        }
        return counts;
    }

    // ================================================================== consumer persistence

    private void saveConsumer(Txn t, ConsumerMem cm) {
        t.put(node.meta(), Keys.kindWith(sid, Keys.META_CONSUMER, cm.nameBytes),
                Codec.consumer(cm.config, cm.delivered, cm.ackFloor));
    }

    private void putPending(Txn t, ConsumerMem cm, long sseq, Pending p) {
        cm.pending.put(sseq, p);
        t.put(node.meta(), Keys.kindNameSeq(sid, Keys.META_PENDING, cm.nameBytes, sseq), Codec.pending(p));
    }

    private void removePending(Txn t, ConsumerMem cm, long sseq) {
        if (cm.pending.remove(sseq) != null) {
            t.delete(node.meta(), Keys.kindNameSeq(sid, Keys.META_PENDING, cm.nameBytes, sseq));
        }
    }

    private void removeRedelivered(Txn t, ConsumerMem cm, long sseq) {
        if (cm.redelivered.remove(sseq) != null) {
            t.delete(node.meta(), Keys.kindNameSeq(sid, Keys.META_REDELIVERED, cm.nameBytes, sseq));
        }
    }

    /** A consumer's state as the writer keeps it; guarded by the stream lock. */
    private static final class ConsumerMem {
        final String name;
        final byte[] nameBytes;
        ConsumerConfig config;
        SequencePair delivered = new SequencePair(0, 0);
        SequencePair ackFloor = new SequencePair(0, 0);
        final TreeMap<Long, Pending> pending = new TreeMap<>();
        final TreeMap<Long, Long> redelivered = new TreeMap<>();
        /** See {@link ConsumerActivity}: kept in memory only. */
        long lastDeliveredNanos;
        long lastAckedNanos;

        ConsumerMem(String name) {
            this.name = name;
            this.nameBytes = Keys.utf8(name);
        }

        boolean needsAck(long seq, String subject) {
            if (!config.wants(subject)) {
                return false;
            }
            if (seq <= ackFloor.streamSeq()) {
                return false;
            }
            if (seq > delivered.streamSeq()) {
                return true;
            }
            return config.ackPolicy() != ConsumerConfig.AckPolicy.NONE && pending.containsKey(seq);
        }
    }

    // ================================================================== lifecycle

    long sid() {
        return sid;
    }

    /** Reads everything the handle caches from RocksDB (open, restore, after a failed write). */
    private void load(long newSid) {
        byte[] config = node.get(node.meta(), Keys.kind(newSid, Keys.META_CONFIG));
        if (config == null) {
            throw new StoreException("stream '" + name + "' (id " + newSid + ") has no configuration record");
        }
        Codec.NamedLimits named = Codec.decodeStreamConfig(config);
        byte[] state = node.get(node.meta(), Keys.kind(newSid, Keys.META_STATE));
        Counters c = state == null ? new Counters() : Codec.decodeCounters(state);
        AppliedIndex a = Codec.decodeApplied(node.get(node.meta(), Keys.kind(newSid, Keys.META_APPLIED)));
        TreeMap<String, ConsumerMem> loaded = new TreeMap<>();
        byte[] cp = Keys.kind(newSid, Keys.META_CONSUMER);
        try (Scan s = Scan.prefix(node.db(), node.meta(), cp).seekToFirst()) {
            for (; s.valid(); s.next()) {
                String cname = Keys.nameOf(s.key(), false);
                Codec.ConsumerRecord r = Codec.decodeConsumer(s.value());
                ConsumerMem cm = new ConsumerMem(cname);
                cm.config = r.config();
                cm.delivered = r.delivered();
                cm.ackFloor = r.ackFloor();
                loaded.put(cname, cm);
            }
        }
        byte[] pp = Keys.kind(newSid, Keys.META_PENDING);
        try (Scan s = Scan.prefix(node.db(), node.meta(), pp).seekToFirst()) {
            for (; s.valid(); s.next()) {
                ConsumerMem cm = loaded.get(Keys.nameOf(s.key(), true));
                if (cm != null) {
                    cm.pending.put(Keys.trailingLong(s.key()), Codec.decodePending(s.value()));
                }
            }
        }
        byte[] rp = Keys.kind(newSid, Keys.META_REDELIVERED);
        try (Scan s = Scan.prefix(node.db(), node.meta(), rp).seekToFirst()) {
            for (; s.valid(); s.next()) {
                ConsumerMem cm = loaded.get(Keys.nameOf(s.key(), true));
                if (cm != null) {
                    cm.redelivered.put(Keys.trailingLong(s.key()), Keys.u64(s.value()));
                }
            }
        }
        lock.lock();
        try {
            this.sid = newSid;
            this.limits = named.limits();
            this.counters = c;
            this.applied = a;
            consumers.clear();
            consumers.putAll(loaded);
            consumerCount = consumers.size();
        } finally {
            lock.unlock();
        }
    }

    void reload(long newSid) {
        lock.lock();
        try {
            load(newSid);
            gone = null;
        } finally {
            lock.unlock();
        }
    }

    /** Waits for a mutation in flight, then refuses all further use. */
    void markDeleted() {
        retire("the stream '" + name + "' was deleted");
    }

    void markClosed() {
        retire("the store holding stream '" + name + "' is closed");
    }

    private void retire(String why) {
        lock.lock();
        try {
            gone = why;
        } finally {
            lock.unlock();
        }
    }

    /** False once the stream was deleted or its store closed (every use then fails). */
    public boolean isLive() {
        return gone == null;
    }

    private void ensureLive() {
        String why = gone;
        if (why != null) {
            throw new IllegalStateException(why);
        }
    }

    static boolean isValidPublishSubject(String subject) {
        if (subject.isEmpty() || subject.length() > 4096) {
            return false;
        }
        int tokenStart = 0;
        for (int i = 0; i <= subject.length(); i++) {
            char ch = i < subject.length() ? subject.charAt(i) : '.';
            if (ch == '.') {
                if (i == tokenStart) {
                    return false;
                }
                if (i - tokenStart == 1) {
                    char only = subject.charAt(tokenStart);
                    if (only == '*' || only == '>') {
                        return false;
                    }
                }
                tokenStart = i + 1;
            } else if (ch == 0 || Character.isWhitespace(ch)) {
                return false;
            }
        }
        return true;
    }

    static boolean isValidConsumerName(String name) {
        return NodeStore.isValidName(name);
    }

    @Override
    public String toString() {
        return "StreamStore[" + name + ", id " + sid + ", applied " + applied + "]";
    }
}
