package io.jetraft.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.jetraft.storage.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GroupStoreTest {

    @TempDir
    Path dir;
    @TempDir
    Path otherDir;
    @TempDir
    Path files;

    private static long append(StreamStore s, Entries e, String subject, String payload) {
        return s.append(e.next(), Append.of(subject, null, TestStores.bytes(payload), e.current().index()))
                .value().seq();
    }

    private record Picture(StreamState state, List<String> contents, ConsumerState consumer, StreamLimits limits) {
    }

    private static Picture picture(StreamStore s) {
        return new Picture(s.state(), contents(s), s.consumer("C").map(ConsumerStore::state).orElse(null),
                s.limits());
    }

    private static List<Append> messages(String subject, int n) {
        List<Append> list = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(Append.of(subject, null, TestStores.bytes(subject + " " + i), 1000 + i));
        }
        return list;
    }

    /** One message that expects the last sequence to be 99: refused (10071) by these short streams. */
    private static List<Append> expectingSequence99() {
        return List.of(new Append("a.3", new byte[0], TestStores.bytes("x"), 2000, null,
                java.util.OptionalLong.of(99), java.util.OptionalLong.empty()));
    }

    @Test
    void oneRaftEntryCarryingManyStreamsIsOneWriteThatOtherThreadsSeeOnlyWhenItIsDone() throws Exception {
        Entries e = new Entries();
        List<StreamStore> streams = new java.util.ArrayList<>();
        AppliedIndex at;
        java.util.concurrent.ExecutorService reader = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (NodeStore node = TestStores.open(dir)) {
            GroupStore g = node.group("g1");
            for (int i = 0; i < 20; i++) {
                streams.add(g.attach(e.next(), "S" + i, StreamLimits.unlimited()).value());
            }
            at = e.next();
            long writesBefore = node.writes();
            g.inOneWrite(() -> {
                for (int i = 0; i < 20; i++) {
                    StreamStore s = streams.get(i);
                    // the same stream twice in the entry: the second sees what the first did
                    assertThat(s.appendBatch(at.at(2 * i), messages("s" + i + ".a", 2)).value()).hasSize(2);
                    assertThat(s.appendBatch(at.at(2 * i + 1), messages("s" + i + ".b", 1)).value().get(0).value()
                            .seq()).isEqualTo(3);
                }
                // the applying thread sees the entry's changes so far; another thread sees none of them yet
                assertThat(streams.get(19).state().lastSeq()).isEqualTo(3);
                try {
                    assertThat(reader.submit(() -> streams.get(19).state().lastSeq()).get()).isZero();
                    assertThat(reader.submit(() -> streams.get(0).message(1)).get()).isEmpty();
                    assertThat(reader.submit(g::appliedIndex).get()).isNotEqualTo(at.at(39));
                } catch (Exception ex) {
                    throw new AssertionError(ex);
                }
                return null;
            });
            assertThat(node.writes() - writesBefore).as("RocksDB writes for one Raft entry of 20 streams")
                    .isEqualTo(1);
            assertThat(g.appliedIndex()).isEqualTo(at.at(39));
            for (int i = 0; i < 20; i++) {
                StreamStore s = streams.get(i);
                assertThat(reader.submit(() -> s.state().messages()).get()).isEqualTo(3);
                assertThat(s.message(3).orElseThrow().subject()).isEqualTo("s" + i + ".b");
            }
            // the entry applied again (a replay) changes nothing
            long writesAfter = node.writes();
            g.inOneWrite(() -> {
                assertThat(streams.get(7).appendBatch(at.at(14), messages("s7.a", 2)))
                        .isInstanceOf(Outcome.Skipped.class);
                return null;
            });
            assertThat(node.writes()).isEqualTo(writesAfter);
            assertThat(streams.get(7).state().messages()).isEqualTo(3);
        } finally {
            reader.shutdownNow();
        }
        try (NodeStore node = TestStores.open(dir)) {
            GroupStore g = node.group("g1");
            assertThat(g.appliedIndex()).isEqualTo(at.at(39));
            StreamStore s = g.stream("S11").orElseThrow();
            assertThat(s.state().messages()).isEqualTo(3);
            assertThat(s.state().lastSeq()).isEqualTo(3);
            assertThat(contents(s)).hasSize(3);
        }
    }

    @Test
    void aFailureWhileApplyingAnEntryKeepsNothingOfItAndTheEntryCanBeAppliedAgain() {
        Entries e = new Entries();
        try (NodeStore node = TestStores.open(dir)) {
            GroupStore g = node.group("g1");
            StreamStore a = g.attach(e.next(), "A", StreamLimits.unlimited()).value();
            StreamStore b = g.attach(e.next(), "B", StreamLimits.unlimited()).value();
            append(a, e, "a.1", "kept");
            Picture aBefore = picture(a);
            Picture bBefore = picture(b);
            AppliedIndex appliedBefore = g.appliedIndex();
            AppliedIndex at = e.next();
            assertThatThrownBy(() -> g.inOneWrite(() -> {
                a.appendBatch(at.at(0), messages("a.2", 3));
                b.appendBatch(at.at(1), messages("b.1", 1));
                throw new IllegalStateException("the disk went away");
            })).isInstanceOf(IllegalStateException.class);
            assertThat(picture(a)).isEqualTo(aBefore);
            assertThat(picture(b)).isEqualTo(bBefore);
            assertThat(g.appliedIndex()).isEqualTo(appliedBefore);
            // retried, as Ratis retries an entry after a restart: applied, not skipped
            g.inOneWrite(() -> {
                assertThat(a.appendBatch(at.at(0), messages("a.2", 3))).isInstanceOf(Outcome.Done.class);
                assertThat(b.appendBatch(at.at(1), messages("b.1", 1))).isInstanceOf(Outcome.Done.class);
                return null;
            });
            assertThat(a.state().messages()).isEqualTo(4);
            assertThat(b.state().lastSeq()).isEqualTo(1);
        }
    }

    @Test
    void entriesThatCannotShareTheWriteSeeEverythingBeforeThemAndTheResultIsAsIfAppliedOneByOne() {
        Entries e = new Entries();
        Picture shared;
        Picture alone;
        try (NodeStore node = TestStores.open(dir)) {
            GroupStore g = node.group("g1");
            StreamStore a = g.attach(e.next(), "A", StreamLimits.unlimited()).value();
            AppliedIndex at = e.next();
            g.inOneWrite(() -> {
                a.appendBatch(at.at(0), messages("a.1", 5));
                // a purge of everything is a range delete: it commits the pending appends first
                assertThat(a.purge(at.at(1), PurgeRequest.all()).value()).isEqualTo(5);
                a.appendBatch(at.at(2), messages("a.2", 2));
                // a refused message in a shared write keeps nothing but its applied index
                assertThat(a.appendBatch(at.at(3), expectingSequence99()).value().get(0))
                        .isInstanceOf(Outcome.Rejected.class);
                // and so does an entry refused as a whole
                assertThat(a.consumerAcked(at.at(4), "NOPE", List.of(new Ack(1, 1))))
                        .isInstanceOf(Outcome.Rejected.class);
                return null;
            });
            assertThat(g.appliedIndex()).isEqualTo(at.at(4));
            shared = picture(a);
        }
        Entries e2 = new Entries();
        try (NodeStore node = TestStores.open(otherDir)) {
            GroupStore g = node.group("g1");
            StreamStore a = g.attach(e2.next(), "A", StreamLimits.unlimited()).value();
            AppliedIndex at = e2.next();
            a.appendBatch(at.at(0), messages("a.1", 5));
            a.purge(at.at(1), PurgeRequest.all());
            a.appendBatch(at.at(2), messages("a.2", 2));
            a.appendBatch(at.at(3), expectingSequence99());
            a.consumerAcked(at.at(4), "NOPE", List.of(new Ack(1, 1)));
            alone = picture(a);
        }
        assertThat(shared).isEqualTo(alone);
        assertThat(shared.state().messages()).isEqualTo(2);
        assertThat(shared.state().firstSeq()).isEqualTo(6);
    }

    @Test
    void streamsOfAGroupShareItsAppliedIndexAndAReplayedEntryOfAnyStreamIsSkipped() {
        Entries e = new Entries();
        try (NodeStore node = TestStores.open(dir)) {
            GroupStore g = node.group("g1");
            StreamStore a = g.attach(e.next(), "A", StreamLimits.unlimited()).value();
            StreamStore b = g.attach(e.next(), "B", StreamLimits.unlimited()).value();
            append(a, e, "a.1", "one");
            append(b, e, "b.1", "two");
            assertThat(g.appliedIndex()).isEqualTo(e.current());
            assertThat(a.appliedIndex()).isEqualTo(e.current());
            // an entry of A at an index the group applied (for B) is a replay
            AppliedIndex appliedForB = e.current();
            assertThat(a.append(appliedForB, Append.of("a.2", null, TestStores.bytes("x"), 1)))
                    .isInstanceOf(Outcome.Skipped.class);
            assertThat(g.recordApplied(appliedForB)).isInstanceOf(Outcome.Skipped.class);
            assertThat(g.attach(appliedForB, "C", StreamLimits.unlimited())).isInstanceOf(Outcome.Skipped.class);
            assertThat(g.recordApplied(e.next())).isInstanceOf(Outcome.Done.class);
            assertThat(g.streamNames()).containsExactly("A", "B");
            // a stream of no group and a stream of another group are not this group's
            TestStores.stream(node, "LONE", StreamLimits.unlimited());
            node.group("g2").attach(AppliedIndex.of(1, 1), "OTHER", StreamLimits.unlimited());
            assertThat(g.stream("LONE")).isEmpty();
            assertThat(g.stream("OTHER")).isEmpty();
            assertThat(g.attach(e.next(), "OTHER", StreamLimits.unlimited()))
                    .isInstanceOf(Outcome.Rejected.class);
        }
        try (NodeStore node = TestStores.open(dir)) {
            assertThat(node.groupIds()).containsExactly("g1", "g2");
            GroupStore g = node.group("g1");
            assertThat(g.appliedIndex()).isEqualTo(e.current());
            assertThat(g.streamNames()).containsExactly("A", "B");
            assertThat(contents(g.stream("A").orElseThrow())).containsExactly("1 a.1 one");
            assertThat(node.group("g2").streamNames()).containsExactly("OTHER");
        }
    }

    @Test
    void severalStreamEntriesOfOneRaftEntryApplyOneAfterAnotherAndAReplayOfAnyOfThemIsSkipped() {
        AppliedIndex batch = AppliedIndex.of(2, 10);
        try (NodeStore node = TestStores.open(dir)) {
            GroupStore g = node.group("g1");
            StreamStore a = g.attach(AppliedIndex.of(1, 1), "A", StreamLimits.unlimited()).value();
            StreamStore b = g.attach(AppliedIndex.of(1, 2), "B", StreamLimits.unlimited()).value();
            // one Raft entry (a group commit) carrying three stream entries
            assertThat(a.append(batch.at(0), Append.of("a", null, TestStores.bytes("1"), 1)).value().seq())
                    .isEqualTo(1);
            assertThat(b.append(batch.at(1), Append.of("b", null, TestStores.bytes("2"), 1)).value().seq())
                    .isEqualTo(1);
            assertThat(a.append(batch.at(2), Append.of("a", null, TestStores.bytes("3"), 1)).value().seq())
                    .isEqualTo(2);
            assertThat(g.appliedIndex()).isEqualTo(batch.at(2));
            // replayed (a crash after the second one was written): the first two are skipped, the rest applies
            assertThat(a.append(batch.at(0), Append.of("a", null, TestStores.bytes("1"), 1)))
                    .isInstanceOf(Outcome.Skipped.class);
            assertThat(b.append(batch.at(1), Append.of("b", null, TestStores.bytes("2"), 1)))
                    .isInstanceOf(Outcome.Skipped.class);
            assertThat(g.recordApplied(AppliedIndex.of(2, 11))).isInstanceOf(Outcome.Done.class);
        }
        try (NodeStore node = TestStores.open(dir)) {
            GroupStore g = node.group("g1");
            assertThat(g.appliedIndex()).isEqualTo(AppliedIndex.of(2, 11));
            assertThat(contents(g.stream("A").orElseThrow())).containsExactly("1 a 1", "2 a 3");
            assertThat(contents(g.stream("B").orElseThrow())).containsExactly("1 b 2");
        }
    }

    @Test
    void aDetachedStreamLeavesNoKeyBehindAndTheGroupAndItsOtherStreamsCarryOn() {
        Entries e = new Entries();
        try (NodeStore node = TestStores.open(dir)) {
            GroupStore g = node.group("g1");
            StreamStore a = g.attach(e.next(), "A", StreamLimits.unlimited()).value();
            StreamStore b = g.attach(e.next(), "B", StreamLimits.unlimited()).value();
            a.createConsumer(e.next(), "C", ConsumerConfig.explicitAck(), 1);
            for (int i = 0; i < 100; i++) {
                append(a, e, "a." + (i % 5), "m" + i);
                a.append(e.next(), Append.of("a.x", null, TestStores.bytes("d"), i).withMsgId("id" + i));
            }
            append(b, e, "b.1", "kept");
            assertThat(g.detach(e.next(), "A").value()).isTrue();
            assertThat(g.appliedIndex()).isEqualTo(e.current());
            assertThat(node.strayKeys()).isZero();
            assertThat(node.streamNames()).containsExactly("B");
            assertThat(g.stream("A")).isEmpty();
            assertThatThrownBy(a::state).isInstanceOf(IllegalStateException.class);
            // detaching what is not there is recorded, and says so
            assertThat(g.detach(e.next(), "A").value()).isFalse();
            append(b, e, "b.2", "more");
        }
        try (NodeStore node = TestStores.open(dir)) {
            assertThat(node.strayKeys()).isZero();
            GroupStore g = node.group("g1");
            assertThat(g.streamNames()).containsExactly("B");
            assertThat(contents(g.stream("B").orElseThrow())).containsExactly("1 b.1 kept", "2 b.2 more");
            assertThat(g.appliedIndex()).isEqualTo(e.current());
            assertThat(node.deleteGroup("g1")).isTrue();
            assertThat(node.streamNames()).isEmpty();
            assertThat(node.groupIds()).isEmpty();
            assertThat(node.strayKeys()).isZero();
        }
    }

    @Test
    void aGroupSnapshotRestoresEveryStreamOfTheGroupAtOneAppliedIndex() {
        Path file = files.resolve("g.snap");
        Picture a;
        Picture b;
        GroupSnapshotInfo info;
        Entries e = new Entries();
        try (NodeStore node = TestStores.open(dir)) {
            GroupStore g = node.group("g1");
            StreamStore sa = g.attach(e.next(), "A", StreamLimits.unlimited().withMaxMsgsPerSubject(10)).value();
            StreamStore sb = g.attach(e.next(), "B", StreamLimits.unlimited()).value();
            sb.createConsumer(e.next(), "C", ConsumerConfig.explicitAck(), 1);
            for (int i = 0; i < 40; i++) {
                append(i % 2 == 0 ? sa : sb, e, "s." + (i % 3), "m" + i);
            }
            sb.consumer("C").orElseThrow().delivered(e.next(), 1, 1, 1, 5);
            node.group("g2").attach(AppliedIndex.of(1, 1), "ELSEWHERE", StreamLimits.unlimited());
            a = picture(sa);
            b = picture(sb);
            info = g.export(file);
        }
        assertThat(info.groupId()).isEqualTo("g1");
        assertThat(info.applied()).isEqualTo(e.current());
        assertThat(info.streams()).containsExactly("A", "B");
        assertThat(NodeStore.verifyGroupSnapshot(file)).isEqualTo(info);

        try (NodeStore node = TestStores.open(otherDir)) {
            // the replica had an older copy of A and a stream C the leader has since detached
            GroupStore g = node.group("g1");
            Entries old = new Entries();
            append(g.attach(old.next(), "A", StreamLimits.unlimited()).value(), old, "old", "stale");
            append(g.attach(old.next(), "C", StreamLimits.unlimited()).value(), old, "c", "gone");
            StreamStore handleOfA = g.stream("A").orElseThrow();
            TestStores.stream(node, "UNRELATED", StreamLimits.unlimited());

            assertThat(g.restore(file)).isEqualTo(info);
            assertThat(g.streamNames()).containsExactly("A", "B");
            assertThat(g.appliedIndex()).isEqualTo(info.applied());
            assertThat(picture(g.stream("A").orElseThrow())).isEqualTo(a);
            assertThat(picture(handleOfA)).isEqualTo(a);
            assertThat(picture(g.stream("B").orElseThrow())).isEqualTo(b);
            assertThat(node.streamNames()).containsExactly("A", "B", "UNRELATED");
            assertThat(node.strayKeys()).isZero();
            // the restored streams go on from the snapshot's index
            assertThat(g.stream("A").orElseThrow().append(info.applied(),
                    Append.of("late", null, new byte[0], 1))).isInstanceOf(Outcome.Skipped.class);
        }
        try (NodeStore node = TestStores.open(otherDir)) {
            GroupStore g = node.group("g1");
            assertThat(picture(g.stream("A").orElseThrow())).isEqualTo(a);
            assertThat(picture(g.stream("B").orElseThrow())).isEqualTo(b);
            assertThat(g.appliedIndex()).isEqualTo(info.applied());
        }
    }

    @Test
    void aCorruptTruncatedOrForeignGroupSnapshotIsRefusedAndChangesNothing() throws IOException {
        Path file = files.resolve("g.snap");
        Entries e = new Entries();
        try (NodeStore node = TestStores.open(dir)) {
            GroupStore g = node.group("g1");
            StreamStore s = g.attach(e.next(), "A", StreamLimits.unlimited()).value();
            for (int i = 0; i < 20; i++) {
                append(s, e, "a", "m" + i);
            }
            g.export(file);
        }
        Path corrupt = files.resolve("corrupt.snap");
        Files.copy(file, corrupt);
        try (RandomAccessFile f = new RandomAccessFile(corrupt.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0x40);
        }
        Path truncated = files.resolve("truncated.snap");
        byte[] all = Files.readAllBytes(file);
        Files.write(truncated, java.util.Arrays.copyOf(all, all.length - 100));
        Path tiny = files.resolve("tiny.snap");
        Files.write(tiny, java.util.Arrays.copyOf(all, 10));

        try (NodeStore node = TestStores.open(otherDir)) {
            GroupStore g = node.group("g1");
            Entries mine = new Entries();
            append(g.attach(mine.next(), "MINE", StreamLimits.unlimited()).value(), mine, "x", "keep me");
            for (Path bad : List.of(corrupt, truncated, tiny)) {
                assertThatThrownBy(() -> g.restore(bad)).isInstanceOf(SnapshotRejectedException.class)
                        .hasMessageContaining("refused, nothing changed");
            }
            assertThatThrownBy(() -> node.group("g2").restore(file)).isInstanceOf(SnapshotRejectedException.class)
                    .hasMessageContaining("holds stream group 'g1', not 'g2'");
            // a stream snapshot is not a group snapshot
            Path streamFile = files.resolve("stream.snap");
            node.exportStream("MINE", streamFile);
            assertThatThrownBy(() -> g.restore(streamFile)).isInstanceOf(SnapshotRejectedException.class);

            assertThat(g.streamNames()).containsExactly("MINE");
            assertThat(g.appliedIndex()).isEqualTo(mine.current());
            assertThat(contents(g.stream("MINE").orElseThrow())).containsExactly("1 x keep me");
            assertThat(node.strayKeys()).isZero();
        }
    }
}
