package io.jetraft.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.jetraft.storage.TestStores.append;
import static io.jetraft.storage.TestStores.bytes;
import static io.jetraft.storage.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class AtomicityTest {

    @TempDir
    Path dir;

    @Test
    void replayingAnAppliedIndexChangesNothing() {
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore s = TestStores.stream(node, "S", StreamLimits.unlimited());
            AppliedIndex five = AppliedIndex.of(2, 5);
            assertThat(s.append(five, Append.of("a", null, bytes("x"), 1)).value().seq()).isEqualTo(1);

            assertThat(s.append(five, Append.of("a", null, bytes("x"), 1)))
                    .isEqualTo(new Outcome.Skipped<>(five));
            assertThat(s.append(AppliedIndex.of(2, 4), Append.of("a", null, bytes("y"), 1)))
                    .isInstanceOf(Outcome.Skipped.class);
            assertThat(s.purge(AppliedIndex.of(1, 3), PurgeRequest.all())).isInstanceOf(Outcome.Skipped.class);
            assertThat(s.state().messages()).isEqualTo(1);
            assertThat(s.appliedIndex()).isEqualTo(five);
        }
    }

    @Test
    void aFirstEntryWithIndexZeroIsApplied() {
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore s = TestStores.stream(node, "S", StreamLimits.unlimited());
            assertThat(s.appliedIndex()).isEqualTo(AppliedIndex.NONE);
            assertThat(s.append(AppliedIndex.of(0, 0), Append.of("a", null, bytes("x"), 1)).value().seq())
                    .isEqualTo(1);
            assertThat(s.appliedIndex()).isEqualTo(AppliedIndex.of(0, 0));
        }
    }

    @Test
    void eachStreamRecordsItsOwnAppliedIndexIncludingRejectionsAndNoOps() {
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore a = TestStores.stream(node, "A", StreamLimits.unlimited().withMaxMsgSize(1));
            StreamStore b = TestStores.stream(node, "B", StreamLimits.unlimited());
            assertThat(a.appliedIndex()).isEqualTo(AppliedIndex.NONE);

            assertThat(a.append(AppliedIndex.of(1, 7), Append.of("a", null, bytes("too big"), 1)))
                    .isInstanceOf(Outcome.Rejected.class);
            assertThat(b.recordApplied(AppliedIndex.of(3, 42)).isDone()).isTrue();
            assertThat(a.appliedIndex()).isEqualTo(AppliedIndex.of(1, 7));
            assertThat(b.appliedIndex()).isEqualTo(AppliedIndex.of(3, 42));
        }
        try (NodeStore node = TestStores.open(dir)) {
            assertThat(node.stream("A").orElseThrow().appliedIndex()).isEqualTo(AppliedIndex.of(1, 7));
            assertThat(node.stream("B").orElseThrow().appliedIndex()).isEqualTo(AppliedIndex.of(3, 42));
        }
    }

    @Test
    void afterKillMinusNineTheStoreIsExactlyAsOfItsRecordedIndex(@TempDir Path replays) throws Exception {
        long recovered = 0;
        // three crashes: the second and third writers go on from what the previous crash left
        for (int round = 1; round <= 3; round++) {
            long target = recovered + 3000;
            long lastReported;
            try (ChildJvm child = ChildJvm.start(CrashWriterMain.class, dir.toString(), "100000000")) {
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> reported(child) >= target || !child.process().isAlive());
                assertThat(child.process().isAlive()).as("writer output: %s", child.lines()).isTrue();
                child.kill();
                lastReported = reported(child);
            }
            recovered = checkAgainstReplay(replays.resolve("round-" + round), lastReported);
        }
    }

    private static long reported(ChildJvm child) {
        return child.lines().stream().filter(l -> l.startsWith("applied "))
                .mapToLong(l -> Long.parseLong(l.substring(8))).max().orElse(0);
    }

    /** Replays 1..applied into a fresh store and compares everything; returns the recovered applied index. */
    private long checkAgainstReplay(Path replayDir, long lastReported) {
        try (NodeStore crashed = CrashWriterMain.open(dir); NodeStore replay = CrashWriterMain.open(replayDir)) {
            StreamStore c = crashed.stream(CrashWriterMain.STREAM).orElseThrow();
            long applied = c.appliedIndex().index();
            System.out.println("killed after reporting " + lastReported + ", recovered at applied index " + applied);
            // the WAL is written before a write returns: a process kill loses nothing that was reported
            assertThat(applied).isGreaterThanOrEqualTo(lastReported);

            StreamStore r = replay.createStream(CrashWriterMain.STREAM, CrashWriterMain.limits()).value();
            for (long i = 1; i <= applied; i++) {
                CrashWriterMain.apply(r, i);
            }
            assertThat(c.appliedIndex()).isEqualTo(r.appliedIndex());
            assertThat(c.state()).isEqualTo(r.state());
            assertThat(c.state().messages()).isPositive();
            assertThat(fullContents(c)).isEqualTo(fullContents(r));
            assertThat(c.subjectCounts(">")).isEqualTo(r.subjectCounts(">"));
            assertThat(c.consumer("C").orElseThrow().state()).isEqualTo(r.consumer("C").orElseThrow().state());
            long lastTs = c.state().lastTimestampNanos();
            assertThat(c.duplicateOf("id-" + (applied / 6), lastTs))
                    .isEqualTo(r.duplicateOf("id-" + (applied / 6), lastTs));
            return applied;
        }
    }

    private static List<String> fullContents(StreamStore s) {
        return contents(s).stream().map(line -> {
            long seq = Long.parseLong(line.substring(0, line.indexOf(' ')));
            StoredMessage m = s.message(seq).orElseThrow();
            return line + " " + TestStores.text(m.headers()) + " " + m.timestampNanos();
        }).toList();
    }

    @Test
    void syncWritesFsyncsEveryWriteAndFlushWalSyncsOnDemand() {
        try (NodeStore node = NodeStore.open(TestStores.options(dir))) {
            StreamStore s = TestStores.stream(node, "S", StreamLimits.unlimited());
            Entries e = new Entries();
            long before = node.walSyncs();
            for (int i = 0; i < 20; i++) {
                append(s, e, "a", "x", i);
            }
            assertThat(node.walSyncs()).isEqualTo(before);
            node.flushWal(true);
            assertThat(node.walSyncs()).isGreaterThan(before);
        }
        try (NodeStore node = NodeStore.open(TestStores.options(dir).withSyncWrites(true))) {
            StreamStore s = node.stream("S").orElseThrow();
            Entries e = new Entries();
            for (int i = 0; i < 20; i++) {
                e.next();
            }
            long before = node.walSyncs();
            for (int i = 0; i < 20; i++) {
                append(s, e, "a", "y", i);
            }
            assertThat(node.walSyncs() - before).isGreaterThanOrEqualTo(20);
            assertThat(s.subjectCounts("a")).isEqualTo(Map.of("a", 40L));
        }
    }
}
