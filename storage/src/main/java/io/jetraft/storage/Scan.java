package io.jetraft.storage;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatchWithIndex;

import java.util.Arrays;

/**
 * A bounded iterator over [lower, upper) of one column family, optionally seeing a pending batch's own writes, with
 * the native objects it needs (read options, bound slices) closed together.
 */
final class Scan implements AutoCloseable {

    private final ReadOptions options;
    private final Slice lowerSlice;
    private final Slice upperSlice;
    private final RocksIterator it;
    private final byte[] lower;
    private final byte[] upper;

    private Scan(RocksDB db, WriteBatchWithIndex batch, ColumnFamilyHandle cf, byte[] lower, byte[] upper,
                 Snapshot snapshot, boolean fillCache) {
        this.lower = lower;
        this.upper = upper;
        this.options = new ReadOptions().setFillCache(fillCache);
        this.lowerSlice = new Slice(lower);
        this.upperSlice = new Slice(upper);
        options.setIterateLowerBound(lowerSlice).setIterateUpperBound(upperSlice);
        if (snapshot != null) {
            options.setSnapshot(snapshot);
        }
        RocksIterator base = db.newIterator(cf, options);
        this.it = batch == null ? base : batch.newIteratorWithBase(cf, base, options);
        NativeResources.opened();
    }

    static Scan of(RocksDB db, ColumnFamilyHandle cf, byte[] lower, byte[] upper) {
        return new Scan(db, null, cf, lower, upper, null, true);
    }

    static Scan ofSnapshot(RocksDB db, ColumnFamilyHandle cf, byte[] lower, byte[] upper, Snapshot snapshot) {
        return new Scan(db, null, cf, lower, upper, snapshot, false);
    }

    static Scan withBatch(RocksDB db, WriteBatchWithIndex batch, ColumnFamilyHandle cf, byte[] lower, byte[] upper) {
        return new Scan(db, batch, cf, lower, upper, null, true);
    }

    static Scan prefix(RocksDB db, ColumnFamilyHandle cf, byte[] prefix) {
        return of(db, cf, prefix, Keys.prefixEnd(prefix));
    }

    Scan seekToFirst() {
        it.seek(lower);
        return this;
    }

    Scan seekToLast() {
        it.seekForPrev(upper);
        // seekForPrev lands on the upper bound itself only if it exists; valid() excludes it
        if (it.isValid() && Arrays.compareUnsigned(it.key(), upper) >= 0) {
            it.prev();
        }
        return this;
    }

    Scan seek(byte[] key) {
        it.seek(key);
        return this;
    }

    Scan seekForPrev(byte[] key) {
        it.seekForPrev(key);
        return this;
    }

    boolean valid() {
        if (!it.isValid()) {
            try {
                it.status();
            } catch (RocksDBException e) {
                throw new StoreException("reading the store failed: " + e.getMessage(), e);
            }
            return false;
        }
        byte[] k = it.key();
        return Arrays.compareUnsigned(k, upper) < 0 && Arrays.compareUnsigned(k, lower) >= 0;
    }

    byte[] key() {
        return it.key();
    }

    byte[] value() {
        return it.value();
    }

    void next() {
        it.next();
    }

    void prev() {
        it.prev();
    }

    @Override
    public void close() {
        it.close();
        options.close();
        lowerSlice.close();
        upperSlice.close();
        NativeResources.closed();
    }
}
