package io.jetraft.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code jetstream {}} block: {@code store_dir} [store], {@code max_memory_store} [max_mem_store, max_mem],
 * {@code max_file_store} [max_file], {@code sync_interval} [sync] ({@code always} or a duration), {@code domain};
 * plus jetraft's storage memory budget {@code block_cache_size} and {@code write_buffer_size}.
 * {@code enabled} is false when the block is absent and {@code -js} was not given.
 */
public record JetStreamConfig(
        boolean enabled,
        Path storeDir,
        ByteSize maxMemoryStore,
        ByteSize maxFileStore,
        boolean syncAlways,
        Duration syncInterval,
        String domain,
        ByteSize blockCacheSize,
        ByteSize writeBufferSize) {

    public static final Path DEFAULT_STORE_DIR = Path.of("data");
    /**
     * The file in {@code store_dir} where a node keeps the server id and name it took on its first start (written by
     * the server): with it, a JetStream cluster node may be restarted without {@code server_name}.
     */
    public static final String NODE_IDENTITY_FILE = "node.json";
    public static final ByteSize DEFAULT_BLOCK_CACHE = ByteSize.ofMebibytes(64);
    public static final ByteSize DEFAULT_WRITE_BUFFER = ByteSize.ofMebibytes(32);
}
