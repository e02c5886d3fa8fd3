package io.jetraft.storage;

import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The node's copy of the cluster metadata that the Raft meta group replicates (which streams and consumers exist and
 * where): opaque records by key, and the meta group's applied index, written together in one atomic RocksDB write
 * exactly like a stream's data. The store does not interpret the records; the Raft layer encodes them.
 *
 * <p>Thread-safety: one writer (the meta group's apply thread), reads from any thread.
 */
public final class MetaRecords {

    private final NodeStore node;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile AppliedIndex applied;

    MetaRecords(NodeStore node) {
        this.node = node;
        this.applied = Codec.decodeApplied(node.get(node.meta(), Keys.global(Keys.GLOBAL_META_APPLIED)));
    }

    /** The meta log index whose effects the records include ({@link AppliedIndex#NONE} on a new store). */
    public AppliedIndex appliedIndex() {
        node.ensureOpen();
        return applied;
    }

    /** All records, sorted by key (a copy). */
    public SortedMap<String, byte[]> records() {
        node.ensureOpen();
        SortedMap<String, byte[]> all = new TreeMap<>();
        byte[] prefix = Keys.global(Keys.GLOBAL_META_RECORD);
        try (Scan s = Scan.prefix(node.db(), node.meta(), prefix).seekToFirst()) {
            for (; s.valid(); s.next()) {
                byte[] k = s.key();
                all.put(new String(k, prefix.length, k.length - prefix.length, java.nio.charset.StandardCharsets.UTF_8),
                        s.value());
            }
        }
        return Collections.unmodifiableSortedMap(all);
    }

    public Optional<byte[]> record(String key) {
        node.ensureOpen();
        return Optional.ofNullable(node.get(node.meta(), Keys.globalMetaRecord(key)));
    }

    /**
     * Puts and deletes records and records {@code at} in one atomic write. {@link Outcome.Skipped} (nothing changed)
     * when {@code at} is not newer than the recorded index: a replayed entry.
     */
    public Outcome<Void> apply(AppliedIndex at, Map<String, byte[]> puts, Collection<String> deletes) {
        Objects.requireNonNull(at, "at");
        node.ensureOpen();
        lock.lock();
        try {
            if (at.isCoveredBy(applied)) {
                return new Outcome.Skipped<>(applied);
            }
            try (WriteBatch b = new WriteBatch()) {
                for (String key : deletes) {
                    b.delete(node.meta(), Keys.globalMetaRecord(key));
                }
                for (Map.Entry<String, byte[]> e : puts.entrySet()) {
                    b.put(node.meta(), Keys.globalMetaRecord(e.getKey()), e.getValue());
                }
                b.put(node.meta(), Keys.global(Keys.GLOBAL_META_APPLIED), Codec.applied(at));
                node.write(b);
            } catch (RocksDBException e) {
                throw new StoreException("building the meta records' write batch failed: " + e.getMessage(), e);
            }
            applied = at;
            return new Outcome.Done<>(null);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Replaces every record with {@code records} as of {@code at} in one atomic write (a Raft snapshot install); the
     * index may be lower than the recorded one.
     */
    public void replaceAll(AppliedIndex at, Map<String, byte[]> records) {
        Objects.requireNonNull(at, "at");
        node.ensureOpen();
        lock.lock();
        try (WriteBatch b = new WriteBatch()) {
            byte[] from = Keys.global(Keys.GLOBAL_META_RECORD);
            b.deleteRange(node.meta(), from, Keys.prefixEnd(from));
            for (Map.Entry<String, byte[]> e : records.entrySet()) {
                b.put(node.meta(), Keys.globalMetaRecord(e.getKey()), e.getValue());
            }
            b.put(node.meta(), Keys.global(Keys.GLOBAL_META_APPLIED), Codec.applied(at));
            node.write(b);
            applied = at;
        } catch (RocksDBException e) {
            throw new StoreException("building the meta records' write batch failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }
}
