package io.jetraft.config;

import io.jetraft.config.parse.ConfValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads {@code jetstream} (a block, or a word: {@code enabled}, {@code disabled}, a boolean) and the top-level
 * {@code store_dir} into a {@link JetStreamConfig}, recording what is wrong in the shared findings.
 */
final class JetStreamBinding {

    private JetStreamBinding() {
    }

    static JetStreamConfig read(TypedBlock top, ConfigFindings findings) {
        Optional<ConfValue.Entry> topStoreDir = top.entry("store_dir", "storedir");
        Path storeDir = top.path("store_dir", "storedir").orElse(JetStreamConfig.DEFAULT_STORE_DIR);
        boolean enabled = false;
        TypedBlock js = null;
        Optional<ConfValue.Entry> entry = top.entry("jetstream");
        if (entry.isPresent()) {
            if (entry.get().value() instanceof ConfValue.Block) {
                js = top.block("jetstream").orElseThrow();
                enabled = js.enabledWord("enabled", "enable").orElse(true);
            } else {
                enabled = top.enabledWord("jetstream").orElse(false);
            }
        }
        ByteSize maxMemory = ByteSize.ofGibibytes(1);
        ByteSize maxFile = ByteSize.ofGibibytes(64);
        boolean syncAlways = true;
        Duration syncInterval = Duration.ofMinutes(2);
        String domain = "";
        ByteSize blockCache = JetStreamConfig.DEFAULT_BLOCK_CACHE;
        ByteSize writeBuffer = JetStreamConfig.DEFAULT_WRITE_BUFFER;
        OptionalInt groupsPerReplicaSet = OptionalInt.empty();
        if (js != null) {
            Optional<ConfValue.Entry> blockStoreDir = js.entry("store_dir", "store", "storedir");
            if (blockStoreDir.isPresent() && topStoreDir.isPresent()) {
                js.reject(blockStoreDir.get(), "Duplicate 'store_dir' configuration (also set at the top level, "
                        + TypedBlock.where(topStoreDir.get().keyPosition()) + ")");
            }
            storeDir = js.path("store_dir", "store", "storedir").orElse(storeDir);
            maxMemory = js.size("max_memory_store", "max_mem_store", "max_mem").orElse(maxMemory);
            maxFile = js.size("max_file_store", "max_file").orElse(maxFile);
            Optional<ConfValue.Entry> sync = js.entry("sync_interval", "sync");
            if (sync.isPresent() && "always".equalsIgnoreCase(sync.get().value().scalarText())) {
                syncAlways = true;
            } else {
                Optional<Duration> interval = js.duration("sync_interval", "sync");
                if (interval.isPresent()) {
                    syncInterval = interval.get();
                    syncAlways = false;
                    findings.warn("jetstream.sync_interval " + GoDuration.format(syncInterval)
                            + " acknowledges writes before they are on disk; jetraft's default is 'always'");
                }
            }
            domain = js.string("domain").orElse(domain);
            blockCache = js.size("block_cache_size").orElse(blockCache);
            writeBuffer = js.size("write_buffer_size").orElse(writeBuffer);
            groupsPerReplicaSet = groupsPerReplicaSet(js);
            js.refuseUnread(NatsServerFields.JETSTREAM);
        }
        return new JetStreamConfig(enabled, storeDir, maxMemory, maxFile, syncAlways, syncInterval, domain,
                blockCache, writeBuffer, groupsPerReplicaSet);
    }

    private static OptionalInt groupsPerReplicaSet(TypedBlock js) {
        Optional<ConfValue.Entry> entry = js.entry("groups_per_replica_set");
        Optional<Long> n = js.integer(Long.MIN_VALUE, Long.MAX_VALUE, "groups_per_replica_set");
        if (entry.isEmpty() || n.isEmpty()) {
            return OptionalInt.empty();
        }
        if (n.get() < 1 || n.get() > JetStreamConfig.MAX_GROUPS_PER_REPLICA_SET) {
            js.reject(entry.get(), "the number of Raft stream groups per replica set must be between 1 and "
                    + JetStreamConfig.MAX_GROUPS_PER_REPLICA_SET + ", got " + n.get());
            return OptionalInt.empty();
        }
        return OptionalInt.of(n.get().intValue());
    }
}
