package io.jetraft.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.jetraft.storage.TestStores.append;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A store another process (here: another handle) has open is read as it is now, read-only and without its lock. */
class SecondaryReadTest {

    @TempDir
    Path dir;

    @Test
    void aSecondaryReadsWhatTheOwnerHasWrittenSoFarAndWritesNothing() {
        Entries e = new Entries();
        try (NodeStore owner = TestStores.open(dir.resolve("store"))) {
            StreamStore s = TestStores.stream(owner, "ORDERS", StreamLimits.unlimited());
            append(s, e, "orders.a", "one", 1);
            append(s, e, "orders.b", "two", 1);

            try (NodeStore reader = NodeStore.openSecondary(StoreOptions.defaults(dir.resolve("store")),
                    dir.resolve("reader"))) {
                assertThat(reader.streamNames()).containsExactly("ORDERS");
                assertThat(TestStores.contents(reader.stream("ORDERS").orElseThrow()))
                        .containsExactly("1 orders.a one", "2 orders.b two");
                // read-only: a write is refused with an error, and the owner's store is untouched
                assertThatThrownBy(() -> reader.createStream("OTHER", StreamLimits.unlimited()))
                        .isInstanceOf(StoreException.class);
            }
            append(s, e, "orders.c", "three", 1);
            try (NodeStore reader = NodeStore.openSecondary(StoreOptions.defaults(dir.resolve("store")),
                    dir.resolve("reader"))) {
                assertThat(TestStores.contents(reader.stream("ORDERS").orElseThrow()))
                        .containsExactly("1 orders.a one", "2 orders.b two", "3 orders.c three");
            }
            assertThat(owner.streamNames()).containsExactly("ORDERS");
            append(s, e, "orders.d", "four", 1);
            assertThat(s.state().messages()).isEqualTo(4);
        }
    }

    @Test
    void thereMustBeAStoreToRead() {
        assertThatThrownBy(() -> NodeStore.openSecondary(StoreOptions.defaults(dir.resolve("none")),
                dir.resolve("reader"))).isInstanceOf(StoreException.class).hasMessageContaining("there is no store");
    }
}
