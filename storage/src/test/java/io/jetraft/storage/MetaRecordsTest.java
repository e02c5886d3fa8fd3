package io.jetraft.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.jetraft.storage.TestStores.bytes;
import static io.jetraft.storage.TestStores.text;
import static org.assertj.core.api.Assertions.assertThat;

class MetaRecordsTest {

    @TempDir
    Path dir;

    @Test
    void recordsAndTheirAppliedIndexAreWrittenTogetherAndSurviveAReopen() {
        Entries e = new Entries();
        try (NodeStore node = TestStores.open(dir)) {
            MetaRecords meta = node.metaRecords();
            assertThat(meta.appliedIndex()).isEqualTo(AppliedIndex.NONE);
            assertThat(meta.apply(e.next(), Map.of("stream/A", bytes("a1"), "stream/B", bytes("b1")), List.of())
                    .isDone()).isTrue();
            assertThat(meta.apply(e.next(), Map.of("stream/A", bytes("a2")), List.of("stream/B")).isDone()).isTrue();
        }
        try (NodeStore node = TestStores.open(dir)) {
            MetaRecords meta = node.metaRecords();
            assertThat(meta.appliedIndex()).isEqualTo(AppliedIndex.of(1, 2));
            assertThat(meta.records()).containsOnlyKeys("stream/A");
            assertThat(text(meta.record("stream/A").orElseThrow())).isEqualTo("a2");
            assertThat(meta.record("stream/B")).isEmpty();
        }
    }

    @Test
    void aReplayedEntryChangesNothing() {
        try (NodeStore node = TestStores.open(dir)) {
            MetaRecords meta = node.metaRecords();
            meta.apply(AppliedIndex.of(1, 5), Map.of("k", bytes("new")), List.of());
            Outcome<Void> replay = meta.apply(AppliedIndex.of(1, 4), Map.of("k", bytes("old")), List.of());
            assertThat(replay).isInstanceOf(Outcome.Skipped.class);
            assertThat(text(meta.record("k").orElseThrow())).isEqualTo("new");
            assertThat(meta.appliedIndex()).isEqualTo(AppliedIndex.of(1, 5));
        }
    }

    @Test
    void replaceAllSwapsEverythingEvenForALowerIndex() {
        try (NodeStore node = TestStores.open(dir)) {
            MetaRecords meta = node.metaRecords();
            meta.apply(AppliedIndex.of(2, 9), Map.of("a", bytes("1"), "b", bytes("2")), List.of());
            meta.replaceAll(AppliedIndex.of(1, 7), Map.of("c", bytes("3")));
            assertThat(meta.records()).containsOnlyKeys("c");
            assertThat(meta.appliedIndex()).isEqualTo(AppliedIndex.of(1, 7));
        }
    }

    @Test
    void metaRecordsLiveBesideStreamsWithoutTouchingThem() {
        Entries e = new Entries();
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore s = TestStores.stream(node, "S", StreamLimits.unlimited());
            TestStores.append(s, e, "a", "x", 1);
            node.metaRecords().apply(AppliedIndex.of(1, 1), Map.of("stream/S", bytes("assignment")), List.of());
            node.metaRecords().replaceAll(AppliedIndex.of(1, 2), Map.of());
            assertThat(node.strayKeys()).isZero();
            assertThat(s.state().messages()).isEqualTo(1);
            assertThat(node.deleteStream("S")).isTrue();
            assertThat(node.metaRecords().appliedIndex()).isEqualTo(AppliedIndex.of(1, 2));
        }
    }
}
