package io.jetraft.storage;

import io.jetraft.config.ByteSize;
import io.jetraft.config.JetStreamConfig;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to open a {@link NodeStore}: its directory, the memory budget shared by all streams (an LRU block cache of
 * {@code blockCacheSize}; memtables capped at {@code writeBufferSize} and charged to that cache), and whether every
 * write is fsynced ({@code syncWrites}: for a single node, where no Raft log protects acknowledged writes). The WAL
 * is always on.
 */
public record StoreOptions(Path directory, ByteSize blockCacheSize, ByteSize writeBufferSize, boolean syncWrites) {

    /** Below this the RocksDB memtables cannot hold even one entry batch sensibly. */
    static final long MIN_WRITE_BUFFER = 1024 * 1024;

    public StoreOptions {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(blockCacheSize, "blockCacheSize");
        Objects.requireNonNull(writeBufferSize, "writeBufferSize");
        if (writeBufferSize.bytes() < MIN_WRITE_BUFFER) {
            throw new IllegalArgumentException("write_buffer_size must be at least 1MB, got " + writeBufferSize);
        }
    }

    /**
     * The store under {@code <store_dir>/rocksdb}, sized as the {@code jetstream {}} block says. It does not fsync
     * its writes: every JetStream write is first an entry of a Raft log, fsynced before it is acknowledged
     * ({@code sync_interval} governs that log), and a restart replays the log after the applied index this store
     * recorded with its data; the log is only purged behind a snapshot, which syncs this store's WAL first.
     */
    public static StoreOptions from(JetStreamConfig js) {
        Path base = js.storeDir() == null ? JetStreamConfig.DEFAULT_STORE_DIR : js.storeDir();
        ByteSize cache = js.blockCacheSize() == null ? JetStreamConfig.DEFAULT_BLOCK_CACHE : js.blockCacheSize();
        ByteSize wb = js.writeBufferSize() == null ? JetStreamConfig.DEFAULT_WRITE_BUFFER : js.writeBufferSize();
        return new StoreOptions(base.resolve("rocksdb"), cache, wb, false);
    }

    public static StoreOptions defaults(Path directory) {
        return new StoreOptions(directory, JetStreamConfig.DEFAULT_BLOCK_CACHE, JetStreamConfig.DEFAULT_WRITE_BUFFER,
                false);
    }

    public StoreOptions withSyncWrites(boolean sync) {
        return new StoreOptions(directory, blockCacheSize, writeBufferSize, sync);
    }

    public StoreOptions withMemory(ByteSize cache, ByteSize writeBuffer) {
        return new StoreOptions(directory, cache, writeBuffer, syncWrites);
    }
}
