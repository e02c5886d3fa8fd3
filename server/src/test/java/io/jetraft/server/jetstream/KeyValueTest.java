package io.jetraft.server.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.Nats;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;

/** jnats's KeyValue API against one node. */
class KeyValueTest {

    @TempDir
    Path dir;

    private JetraftNode node;
    private Connection nc;

    @BeforeEach
    void start() throws Exception {
        node = JetraftNode.start(TestConfigs.node().name("kv1").jetstream(dir).build());
        nc = Nats.connect("nats://127.0.0.1:" + node.clientPort());
    }

    @AfterEach
    void stop() throws InterruptedException {
        nc.close();
        node.shutdown();
    }

    @Test
    void putGetUpdateDeletePurgeHistoryKeysAndWatch() throws Exception {
        KeyValueManagement kvm = nc.keyValueManagement();
        kvm.create(KeyValueConfiguration.builder().name("config").maxHistoryPerKey(5).build());
        KeyValue kv = nc.keyValue("config");
        List<KeyValueEntry> watched = new CopyOnWriteArrayList<>();
        kv.watchAll(new KeyValueWatcher() {
            @Override
            public void watch(KeyValueEntry entry) {
                watched.add(entry);
            }

            @Override
            public void endOfData() {
            }
        });
        long r1 = kv.put("colour", "red".getBytes());
        assertThat(kv.get("colour").getValueAsString()).isEqualTo("red");
        long r2 = kv.update("colour", "blue".getBytes(), r1);
        assertThat(r2).isGreaterThan(r1);
        assertThatThrownBy(() -> kv.update("colour", "green".getBytes(), r1))
                .isInstanceOf(JetStreamApiException.class).hasMessageContaining("10071");
        assertThat(kv.create("size", "L".getBytes())).isPositive();
        assertThatThrownBy(() -> kv.create("size", "M".getBytes())).isInstanceOf(JetStreamApiException.class);
        assertThat(kv.keys()).containsExactlyInAnyOrder("colour", "size");
        assertThat(kv.history("colour")).extracting(KeyValueEntry::getValueAsString).containsExactly("red", "blue");
        kv.delete("size");
        assertThat(kv.get("size")).isNull();
        assertThat(kv.keys()).containsExactly("colour");
        kv.purge("colour");
        assertThat(kv.history("colour")).singleElement()
                .extracting(KeyValueEntry::getOperation).isEqualTo(KeyValueOperation.PURGE);
        await().atMost(Duration.ofSeconds(5)).until(() -> watched.size() >= 5);
        assertThat(watched).extracting(KeyValueEntry::getKey).contains("colour", "size");
        assertThat(watched.get(0).getValueAsString()).isEqualTo("red");
    }
}
