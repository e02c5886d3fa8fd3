package io.jetraft.storage;

import org.rocksdb.WriteBatchWithIndex;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The one RocksDB write that the mutations of a stream group's streams share while its apply thread applies one Raft
 * entry (see {@link GroupStore#inOneWrite}). Each mutation puts its data into this batch (reading its own and the
 * earlier mutations' pending writes through the batch's index) and keeps its stream's new counters pending; the
 * commit adds each touched stream's counters and applied index and the group's applied index once, writes the batch,
 * and only then publishes the streams' new state to readers. A failure drops everything pending (the streams re-read
 * their state from disk) and rethrows: the group halts on that replica.
 */
final class GroupWrite implements AutoCloseable {

    private final NodeStore node;
    private final GroupStore group;
    private final WriteBatchWithIndex batch = new WriteBatchWithIndex(true);
    private final Set<StreamStore> touched = new LinkedHashSet<>();
    private AppliedIndex last;

    GroupWrite(NodeStore node, GroupStore group) {
        this.node = node;
        this.group = group;
        NativeResources.opened();
    }

    WriteBatchWithIndex batch() {
        return batch;
    }

    /** The highest index recorded in this write so far, or null (what {@link GroupStore#covers} must also see). */
    AppliedIndex last() {
        return last;
    }

    /** A mutation of {@code stream} at {@code at} is in the batch; its new state is pending in the stream. */
    void joined(StreamStore stream, AppliedIndex at) {
        touched.add(stream);
        last = at;
    }

    /**
     * Writes what is pending and publishes it. Only called inside {@link GroupStore#inOneWrite}, which abandons the
     * write if this throws.
     */
    void commit() {
        if (last == null) {
            return;
        }
        for (StreamStore s : touched) {
            s.stagePending(this);
        }
        put(group.appliedKey(), Codec.applied(last));
        node.write(batch);
        for (StreamStore s : touched) {
            s.publishPending();
        }
        group.applied(last);
        touched.clear();
        last = null;
        batch.clear();
    }

    /** A key of the meta column family, put straight into the batch. */
    void put(byte[] key, byte[] value) {
        try {
            batch.put(node.meta(), key, value);
        } catch (org.rocksdb.RocksDBException e) {
            throw new StoreException("building a write batch failed: " + e.getMessage(), e);
        }
    }

    /** Drops what is pending: the touched streams re-read their state from disk. */
    void abandon() {
        for (StreamStore s : touched) {
            s.dropPending();
        }
        touched.clear();
        last = null;
        batch.clear();
    }

    @Override
    public void close() {
        batch.close();
        NativeResources.closed();
    }
}
