package io.jetraft.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * The {@code jetstream {}} block: {@code store_dir} [store, storedir] (or the top-level {@code store_dir}, not
 * both), {@code max_memory_store} [max_mem_store, max_mem], {@code max_file_store} [max_file], {@code sync_interval}
 * [sync] ({@code always} or a duration), {@code domain}; plus jetraft's own keys: the storage memory budget
 * {@code block_cache_size} and {@code write_buffer_size}, and {@code groups_per_replica_set}, how many Raft stream
 * groups each replica set gets (an integer from 1 to {@value #MAX_GROUPS_PER_REPLICA_SET}; absent: one per member
 * of the set, the empty {@link #groupsPerReplicaSet()}). {@code enabled} is false when the block is absent and
 * {@code -js} was not given.
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
        ByteSize writeBufferSize,
        OptionalInt groupsPerReplicaSet) {

    public static final Path DEFAULT_STORE_DIR = Path.of("data");
    /**
     * The file in {@code store_dir} where a node keeps the server id and name it took on its first start (written by
     * the server): with it, a JetStream cluster node may be restarted without {@code server_name}.
     */
    public static final String NODE_IDENTITY_FILE = "node.json";
    public static final ByteSize DEFAULT_BLOCK_CACHE = ByteSize.ofMebibytes(64);
    public static final ByteSize DEFAULT_WRITE_BUFFER = ByteSize.ofMebibytes(32);
    /** More groups than this per replica set is refused: each group is a Raft log, a leader and a state machine. */
    public static final int MAX_GROUPS_PER_REPLICA_SET = 1024;

    public JetStreamConfig {
        groupsPerReplicaSet = groupsPerReplicaSet == null ? OptionalInt.empty() : groupsPerReplicaSet;
    }

    /** A configuration without {@code groups_per_replica_set} (one group per member of each replica set). */
    public JetStreamConfig(boolean enabled, Path storeDir, ByteSize maxMemoryStore, ByteSize maxFileStore,
            boolean syncAlways, Duration syncInterval, String domain, ByteSize blockCacheSize,
            ByteSize writeBufferSize) {
        this(enabled, storeDir, maxMemoryStore, maxFileStore, syncAlways, syncInterval, domain, blockCacheSize,
                writeBufferSize, OptionalInt.empty());
    }
}
