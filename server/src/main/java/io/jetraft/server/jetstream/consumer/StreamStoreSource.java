package io.jetraft.server.jetstream.consumer;

import io.jetraft.storage.StoredMessage;
import io.jetraft.storage.StreamState;
import io.jetraft.storage.StreamStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A consumer's view of its stream backed by this node's RocksDB copy of it. */
public final class StreamStoreSource implements MessageSource {

    private final StreamStore store;

    public StreamStoreSource(StreamStore store) {
        this.store = store;
    }

    @Override
    public Optional<StoredMessage> next(List<String> filters, long fromSeq) {
        if (filters.isEmpty()) {
            return store.nextMessage(">", fromSeq);
        }
        Optional<StoredMessage> best = Optional.empty();
        for (String f : filters) {
            Optional<StoredMessage> m = store.nextMessage(f, fromSeq);
            if (m.isPresent() && (best.isEmpty() || m.get().seq() < best.get().seq())) {
                best = m;
            }
        }
        return best;
    }

    @Override
    public Optional<StoredMessage> get(long seq) {
        return store.message(seq);
    }

    @Override
    public long firstSeq() {
        return store.state().firstSeq();
    }

    @Override
    public long lastSeq() {
        return store.state().lastSeq();
    }

    @Override
    public long firstSeqAtOrAfter(long timeNanos) {
        StreamState st = store.state();
        long lo = st.firstSeq();
        long hi = st.lastSeq() + 1;
        // timestamps grow with sequence numbers (the leader stamps them in order): binary search on stored ones
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            Optional<StoredMessage> m = store.nextMessage(">", mid);
            if (m.isEmpty()) {
                hi = mid;
            } else if (m.get().timestampNanos() < timeNanos) {
                lo = m.get().seq() + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    @Override
    public List<Long> lastPerSubject(List<String> filters) {
        List<String> fs = filters.isEmpty() ? List.of(">") : filters;
        List<Long> seqs = new ArrayList<>();
        for (String f : fs) {
            for (Map.Entry<String, Long> e : store.subjectCounts(f).entrySet()) {
                store.lastMessage(e.getKey()).ifPresent(m -> seqs.add(m.seq()));
            }
        }
        seqs.sort(Long::compare);
        return seqs.stream().distinct().toList();
    }

    @Override
    public long pendingAfter(List<String> filters, long afterSeq) {
        StreamState st = store.state();
        if (st.messages() == 0 || afterSeq >= st.lastSeq()) {
            return 0;
        }
        long from = Math.max(afterSeq + 1, st.firstSeq());
        // an upper bound for filtered consumers; exact for unfiltered ones when nothing was deleted in between
        return Math.min(st.messages(), st.lastSeq() - from + 1);
    }
}
