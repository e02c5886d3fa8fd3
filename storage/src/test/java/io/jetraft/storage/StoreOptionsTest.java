package io.jetraft.storage;

import io.jetraft.config.ByteSize;
import io.jetraft.config.JetStreamConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreOptionsTest {

    @Test
    void theJetStreamBlockSizesTheStoreAndLeavesFsyncToTheRaftLog() {
        JetStreamConfig js = new JetStreamConfig(true, Path.of("/var/lib/jetraft"), ByteSize.ofGibibytes(1),
                ByteSize.ofGibibytes(10), true, Duration.ofMinutes(2), null, ByteSize.ofMebibytes(512),
                ByteSize.ofMebibytes(128));

        StoreOptions o = StoreOptions.from(js);

        assertThat(o.directory()).isEqualTo(Path.of("/var/lib/jetraft/rocksdb"));
        assertThat(o.blockCacheSize()).isEqualTo(ByteSize.ofMebibytes(512));
        assertThat(o.writeBufferSize()).isEqualTo(ByteSize.ofMebibytes(128));
        // sync_interval: always governs the Raft log, fsynced before an entry counts as written; the store's writes
        // are applied entries of that log, replayed after a crash
        assertThat(o.syncWrites()).isFalse();
    }

    @Test
    void defaultsApplyWhenTheBlockLeavesThemOut() {
        StoreOptions o = StoreOptions.from(new JetStreamConfig(true, null, null, null, false, null, null, null, null));

        assertThat(o.directory()).isEqualTo(Path.of("data/rocksdb"));
        assertThat(o.blockCacheSize()).isEqualTo(JetStreamConfig.DEFAULT_BLOCK_CACHE);
        assertThat(o.writeBufferSize()).isEqualTo(JetStreamConfig.DEFAULT_WRITE_BUFFER);
        assertThat(o.syncWrites()).isFalse();
    }

    @Test
    void aWriteBufferBelowOneMegabyteIsRefused() {
        assertThatThrownBy(() -> new StoreOptions(Path.of("x"), ByteSize.ofMebibytes(8), ByteSize.ofKibibytes(64),
                false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("write_buffer_size");
    }
}
