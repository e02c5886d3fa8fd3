package io.jetraft.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.jetraft.storage.TestStores.append;
import static io.jetraft.storage.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnapshotTest {

    @TempDir
    Path dir;
    @TempDir
    Path otherDir;
    @TempDir
    Path files;

    /** A stream with messages, a gap, a consumer with pending state and a de-duplication entry. */
    private static Entries fill(StreamStore s, int n, String tag) {
        Entries e = new Entries();
        s.createConsumer(e.next(), "C", ConsumerConfig.explicitAck(), 1);
        for (int i = 1; i <= n; i++) {
            s.append(e.next(), Append.of("snap." + (i % 4), TestStores.bytes("h"), TestStores.bytes(tag + i), i)
                    .withMsgId(tag + "-id-" + i));
        }
        s.deleteMessage(e.next(), 2);
        s.consumer("C").orElseThrow().delivered(e.next(), 1, 1, 1, 5);
        s.consumer("C").orElseThrow().delivered(e.next(), 2, 3, 2, 6);
        return e;
    }

    private record Picture(StreamState state, List<String> contents, Object subjects, ConsumerState consumer,
                           AppliedIndex applied, StreamLimits limits) {
    }

    private static Picture picture(StreamStore s) {
        return new Picture(s.state(), contents(s), s.subjectCounts(">"), s.consumer("C").orElseThrow().state(),
                s.appliedIndex(), s.limits());
    }

    @Test
    void aStreamRestoresIntoAnEmptyStoreWithAllItsState() {
        Path file = files.resolve("s.snap");
        Picture original;
        SnapshotInfo info;
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore s = TestStores.stream(node, "S", StreamLimits.unlimited().withMaxMsgsPerSubject(100));
            fill(s, 50, "a");
            TestStores.stream(node, "OTHER", StreamLimits.unlimited());
            original = picture(s);
            info = node.exportStream("S", file);
        }
        assertThat(info.applied()).isEqualTo(original.applied());
        assertThat(info.sha256()).hasSize(64);
        assertThat(info.sizeBytes()).isEqualTo(sizeOf(file));
        assertThat(NodeStore.verifySnapshot(file)).isEqualTo(info);

        try (NodeStore node = TestStores.open(otherDir)) {
            TestStores.stream(node, "FIRST", StreamLimits.unlimited());
            StreamStore restored = node.restoreStream("S", file);
            assertThat(picture(restored)).isEqualTo(original);
            // the de-duplication window came along
            assertThat(restored.duplicateOf("a-id-7", 10)).hasValue(7);
            assertThat(node.streamNames()).containsExactly("FIRST", "S");
        }
        try (NodeStore node = TestStores.open(otherDir)) {
            assertThat(picture(node.stream("S").orElseThrow())).isEqualTo(original);
        }
    }

    @Test
    void aRestoreReplacesAnExistingCopyAndItsHandleSeesTheNewData() {
        Path file = files.resolve("s.snap");
        Picture wanted;
        try (NodeStore source = TestStores.open(otherDir)) {
            StreamStore s = TestStores.stream(source, "S", StreamLimits.unlimited());
            fill(s, 30, "new");
            wanted = picture(s);
            source.exportStream("S", file);
        }
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore stale = TestStores.stream(node, "S", StreamLimits.unlimited());
            Entries e = fill(stale, 80, "old");
            append(stale, e, "only.old", "x", 1);
            assertThat(stale.appliedIndex().index()).isGreaterThan(wanted.applied().index());

            StreamStore restored = node.restoreStream("S", file);
            assertThat(restored).isSameAs(stale);
            assertThat(picture(stale)).isEqualTo(wanted);
            assertThat(stale.lastMessage("only.old")).isEmpty();
            assertThat(stale.subjectCounts(">")).doesNotContainKey("only.old");
        }
    }

    @Test
    void corruptTruncatedOrForeignSnapshotsAreRefusedAndChangeNothing() throws IOException {
        Path good = files.resolve("good.snap");
        try (NodeStore source = TestStores.open(otherDir)) {
            fill(TestStores.stream(source, "S", StreamLimits.unlimited()), 40, "new");
            source.exportStream("S", good);
            fill(TestStores.stream(source, "T", StreamLimits.unlimited()), 5, "t");
            source.exportStream("T", files.resolve("t.snap"));
        }
        Path flipped = files.resolve("flipped.snap");
        Files.copy(good, flipped);
        try (RandomAccessFile f = new RandomAccessFile(flipped.toFile(), "rw")) {
            long pos = f.length() / 2;
            f.seek(pos);
            int b = f.read();
            f.seek(pos);
            f.write(b ^ 0x01);
        }
        Path truncated = files.resolve("truncated.snap");
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(good), (int) sizeOf(good) - 100));
        Path empty = files.resolve("empty.snap");
        Files.write(empty, new byte[0]);

        try (NodeStore node = TestStores.open(dir)) {
            StreamStore s = TestStores.stream(node, "S", StreamLimits.unlimited());
            fill(s, 10, "mine");
            Picture before = picture(s);
            long sstBefore = node.liveSstBytes();

            assertThatThrownBy(() -> node.restoreStream("S", flipped))
                    .isInstanceOf(SnapshotRejectedException.class)
                    .hasMessageContaining("corrupt").hasMessageContaining(flipped.toString())
                    .hasMessageContaining("nothing changed");
            assertThatThrownBy(() -> node.restoreStream("S", truncated))
                    .isInstanceOf(SnapshotRejectedException.class).hasMessageContaining("truncated");
            assertThatThrownBy(() -> node.restoreStream("S", empty))
                    .isInstanceOf(SnapshotRejectedException.class).hasMessageContaining("truncated");
            assertThatThrownBy(() -> node.restoreStream("S", files.resolve("t.snap")))
                    .isInstanceOf(SnapshotRejectedException.class)
                    .hasMessageContaining("holds stream 'T', not 'S'");

            assertThat(picture(s)).isEqualTo(before);
            assertThat(node.liveSstBytes()).isEqualTo(sstBefore);
            assertThat(node.streamNames()).containsExactly("S");
            assertThat(node.strayKeys()).isZero();
        }
    }

    @Test
    void aRestoreThatFailsAfterIngestingLeavesTheOldCopyAndNoStrayKeys() {
        Path file = files.resolve("s.snap");
        try (NodeStore source = TestStores.open(otherDir)) {
            fill(TestStores.stream(source, "S", StreamLimits.unlimited()), 30, "new");
            source.exportStream("S", file);
        }
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore s = TestStores.stream(node, "S", StreamLimits.unlimited());
            fill(s, 10, "old");
            Picture before = picture(s);
            node.restoreFault = () -> {
                throw new IllegalStateException("disk full (injected)");
            };

            assertThatThrownBy(() -> node.restoreStream("S", file))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("old copy is unchanged").hasMessageContaining("disk full (injected)");
            assertThat(picture(s)).isEqualTo(before);
            assertThat(node.strayKeys()).isZero();

            node.restoreFault = () -> { };
            assertThat(node.restoreStream("S", file).state().messages()).isEqualTo(29);
        }
    }

    @Test
    void aRestoreInterruptedByACrashIsCleanedUpAtTheNextOpen() {
        Path file = files.resolve("s.snap");
        try (NodeStore source = TestStores.open(otherDir)) {
            fill(TestStores.stream(source, "S", StreamLimits.unlimited()), 30, "new");
            source.exportStream("S", file);
        }
        Picture before;
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore s = TestStores.stream(node, "S", StreamLimits.unlimited());
            fill(s, 10, "old");
            before = picture(s);
            // an Error stands in for the process dying between ingest and switch: no cleanup runs
            node.restoreFault = () -> {
                throw new OutOfMemoryError("simulated crash");
            };
            assertThatThrownBy(() -> node.restoreStream("S", file)).isInstanceOf(OutOfMemoryError.class);
            assertThat(node.strayKeys()).isPositive();
        }
        try (NodeStore node = TestStores.open(dir)) {
            assertThat(node.strayKeys()).isZero();
            assertThat(picture(node.stream("S").orElseThrow())).isEqualTo(before);
        }
    }

    @Test
    void deletingAStreamFreesItsKeysAndTheirSpace() {
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore doomed = TestStores.stream(node, "DOOMED", StreamLimits.unlimited());
            StreamStore kept = TestStores.stream(node, "KEPT", StreamLimits.unlimited());
            Entries e = new Entries();
            java.util.Random random = new java.util.Random(1);
            for (int i = 0; i < 3000; i++) {
                byte[] payload = new byte[1024];
                random.nextBytes(payload);
                doomed.append(e.next(), Append.of("d." + (i % 10), null, payload, i));
            }
            append(kept, new Entries(), "k", "keep me", 1);
            node.flushMemTables();
            long withBoth = node.liveSstBytes();
            assertThat(withBoth).isGreaterThan(3000L * 1024);

            assertThat(node.deleteStream("DOOMED")).isTrue();
            assertThat(node.deleteStream("DOOMED")).isFalse();
            assertThat(node.strayKeys()).isZero();

            node.awaitReclaimed();
            assertThat(node.liveSstBytes()).isLessThan(withBoth / 10);
            assertThat(node.stream("DOOMED")).isEmpty();
            assertThatThrownBy(doomed::state).isInstanceOf(IllegalStateException.class);
            assertThat(contents(kept)).containsExactly("1 k keep me");
            // a new stream of the same name starts empty, under a new id
            StreamStore again = TestStores.stream(node, "DOOMED", StreamLimits.unlimited());
            assertThat(again.state().messages()).isZero();
            assertThat(again.consumerNames()).isEmpty();
            assertThat(again.sid()).isNotEqualTo(doomed.sid());
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
