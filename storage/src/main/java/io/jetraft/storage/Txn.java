package io.jetraft.storage;

import org.rocksdb.AbstractWriteBatch;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBatchWithIndex;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One mutation in the making: the batch that will be written at once (data, counters and applied index) and the
 * stream counters as they will be after it. An indexed transaction reads its own pending writes (RocksDB's
 * WriteBatchWithIndex); a plain one can also hold range deletions (whole-stream purges), which the indexed batch
 * cannot.
 */
final class Txn implements AutoCloseable {

    private final NodeStore node;
    private final WriteBatchWithIndex indexed;
    private final AbstractWriteBatch batch;
    /** False when the batch is a group's shared write ({@link GroupWrite}), which outlives this transaction. */
    private final boolean ownsBatch;
    final Counters c;
    /** {@code c.first} is only a lower bound of the first sequence; resolve it before commit. */
    boolean firstDirty;
    /**
     * Pending writes to the meta column family of an indexed transaction, by key ({@link #TOMBSTONE} for a delete),
     * put into the batch at commit or before a scan of that family. A batch of appends rewrites the same few keys
     * (each subject's count) once per message: kept here, each is read and written in RocksDB once per batch.
     */
    private final Map<ByteBuffer, byte[]> pendingMeta;
    private static final byte[] TOMBSTONE = new byte[0];

    Txn(NodeStore node, Counters working, boolean readsOwnWrites) {
        this.node = node;
        this.c = working;
        if (readsOwnWrites) {
            this.indexed = new WriteBatchWithIndex(true);
            this.batch = indexed;
            this.pendingMeta = new LinkedHashMap<>();
        } else {
            this.indexed = null;
            this.batch = new WriteBatch();
            this.pendingMeta = null;
        }
        this.ownsBatch = true;
        NativeResources.opened();
    }

    /** A transaction writing into {@code shared}, a group's write that other mutations share; it reads through it. */
    Txn(NodeStore node, Counters working, WriteBatchWithIndex shared) {
        this.node = node;
        this.c = working;
        this.indexed = shared;
        this.batch = shared;
        this.pendingMeta = new LinkedHashMap<>();
        this.ownsBatch = false;
    }

    byte[] get(ColumnFamilyHandle cf, byte[] key) {
        if (pendingMeta != null && cf == node.meta()) {
            byte[] pending = pendingMeta.get(ByteBuffer.wrap(key));
            if (pending != null) {
                return pending == TOMBSTONE ? null : pending;
            }
        }
        try {
            if (indexed == null) {
                return node.db().get(cf, key);
            }
            return indexed.getFromBatchAndDB(node.db(), cf, node.readOptions(), key);
        } catch (RocksDBException e) {
            throw new StoreException("reading the store failed: " + e.getMessage(), e);
        }
    }

    Scan scan(ColumnFamilyHandle cf, byte[] lower, byte[] upper) {
        if (indexed == null) {
            return Scan.of(node.db(), cf, lower, upper);
        }
        if (cf == node.meta()) {
            flushPendingMeta();
        }
        return Scan.withBatch(node.db(), indexed, cf, lower, upper);
    }

    void put(ColumnFamilyHandle cf, byte[] key, byte[] value) {
        if (pendingMeta != null && cf == node.meta()) {
            pendingMeta.put(ByteBuffer.wrap(key), value);
            return;
        }
        try {
            batch.put(cf, key, value);
        } catch (RocksDBException e) {
            throw new StoreException("building a write batch failed: " + e.getMessage(), e);
        }
    }

    void delete(ColumnFamilyHandle cf, byte[] key) {
        if (pendingMeta != null && cf == node.meta()) {
            pendingMeta.put(ByteBuffer.wrap(key), TOMBSTONE);
            return;
        }
        try {
            batch.delete(cf, key);
        } catch (RocksDBException e) {
            throw new StoreException("building a write batch failed: " + e.getMessage(), e);
        }
    }

    void deleteRange(ColumnFamilyHandle cf, byte[] from, byte[] to) {
        if (indexed != null) {
            throw new IllegalStateException("range deletes need a plain batch");
        }
        try {
            batch.deleteRange(cf, from, to);
        } catch (RocksDBException e) {
            throw new StoreException("building a write batch failed: " + e.getMessage(), e);
        }
    }

    private void flushPendingMeta() {
        if (pendingMeta.isEmpty()) {
            return;
        }
        try {
            for (Map.Entry<ByteBuffer, byte[]> e : pendingMeta.entrySet()) {
                byte[] key = e.getKey().array();
                if (e.getValue() == TOMBSTONE) {
                    batch.delete(node.meta(), key);
                } else {
                    batch.put(node.meta(), key, e.getValue());
                }
            }
        } catch (RocksDBException e) {
            throw new StoreException("building a write batch failed: " + e.getMessage(), e);
        }
        pendingMeta.clear();
    }

    /** Puts what is pending into the batch without writing it (a shared batch is written by its group). */
    void stage() {
        if (pendingMeta != null) {
            flushPendingMeta();
        }
    }

    void savePoint() {
        batch.setSavePoint();
    }

    /** Drops what this transaction put into its batch since {@link #savePoint}. */
    void rollbackToSavePoint() {
        pendingMeta.clear();
        try {
            batch.rollbackToSavePoint();
        } catch (RocksDBException e) {
            throw new StoreException("rolling back a write batch failed: " + e.getMessage(), e);
        }
    }

    void releaseSavePoint() {
        try {
            batch.popSavePoint();
        } catch (RocksDBException e) {
            throw new StoreException("releasing a write batch save point failed: " + e.getMessage(), e);
        }
    }

    void commit() {
        stage();
        node.write(batch);
    }

    @Override
    public void close() {
        if (ownsBatch) {
            batch.close();
            NativeResources.closed();
        }
    }
}
