package io.jetraft.storage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static io.jetraft.storage.TestStores.append;
import static io.jetraft.storage.TestStores.bytes;
import static io.jetraft.storage.TestStores.contents;
import static io.jetraft.storage.TestStores.text;
import static org.assertj.core.api.Assertions.assertThat;

class StreamStoreTest {

    @TempDir
    Path dir;
    NodeStore node;
    StreamStore s;
    final Entries e = new Entries();

    @BeforeEach
    void open() {
        node = TestStores.open(dir);
        s = TestStores.stream(node, "ORDERS", StreamLimits.unlimited());
    }

    @AfterEach
    void close() {
        node.close();
    }

    @Test
    void aBatchAppendsInOrderWithOneResultPerMessageAndOneAppliedIndex() {
        AppliedIndex at = e.next();
        Outcome<java.util.List<Outcome<Appended>>> out = s.appendBatch(at, java.util.List.of(
                Append.of("orders.a", null, bytes("one"), 10).withMsgId("m1"),
                Append.of("orders.b", null, bytes("two"), 11).withExpectedLastSequence(5),
                Append.of("orders.c", null, bytes("three"), 12).withMsgId("m1"),
                Append.of("orders.d", null, bytes("four"), 13)));

        java.util.List<Outcome<Appended>> results = out.value();
        assertThat(results.get(0).value()).isEqualTo(new Appended(1, false));
        assertThat(results.get(1)).isEqualTo(new Outcome.Rejected<Appended>(JsError.wrongLastSequence(1)));
        assertThat(results.get(2).value()).isEqualTo(new Appended(1, true));
        assertThat(results.get(3).value()).isEqualTo(new Appended(2, false));
        assertThat(s.appliedIndex()).isEqualTo(at);
        assertThat(TestStores.contents(s)).containsExactly("1 orders.a one", "2 orders.d four");
        // the same entry again (a Raft replay) changes nothing
        assertThat(s.appendBatch(at, java.util.List.of(Append.of("orders.e", null, bytes("x"), 14))))
                .isInstanceOf(Outcome.Skipped.class);
        assertThat(s.state().messages()).isEqualTo(2);
    }

    @Test
    void appendReturnsSequencesAndMessagesLoadBySequence() {
        Outcome<Appended> first = s.append(e.next(), Append.of("orders.new", bytes("H1"), bytes("one"), 1000));
        long second = append(s, e, "orders.paid", "two", 2000);

        assertThat(first.value()).isEqualTo(new Appended(1, false));
        assertThat(second).isEqualTo(2);
        StoredMessage m = s.message(1).orElseThrow();
        assertThat(m.subject()).isEqualTo("orders.new");
        assertThat(text(m.headers())).isEqualTo("H1");
        assertThat(text(m.payload())).isEqualTo("one");
        assertThat(m.timestampNanos()).isEqualTo(1000);
        assertThat(s.message(3)).isEmpty();
        assertThat(s.message(0)).isEmpty();
    }

    @Test
    void lastMessageOfASubjectOrAFilter() {
        append(s, e, "a.x", "1", 1);
        append(s, e, "a.y", "2", 2);
        append(s, e, "a.x", "3", 3);
        append(s, e, "b.x.z", "4", 4);

        assertThat(s.lastMessage("a.x").orElseThrow().seq()).isEqualTo(3);
        assertThat(s.lastMessage("a.y").orElseThrow().seq()).isEqualTo(2);
        assertThat(s.lastMessage("a.*").orElseThrow().seq()).isEqualTo(3);
        assertThat(s.lastMessage("*.x").orElseThrow().seq()).isEqualTo(3);
        assertThat(s.lastMessage("b.>").orElseThrow().seq()).isEqualTo(4);
        assertThat(s.lastMessage(">").orElseThrow().seq()).isEqualTo(4);
        assertThat(s.lastMessage("c")).isEmpty();
        assertThat(s.lastMessage("a")).isEmpty();
    }

    @Test
    void nextMessageMatchingAFilterFromASequence() {
        append(s, e, "a.x", "1", 1);
        append(s, e, "b.x", "2", 2);
        append(s, e, "a.y.z", "3", 3);
        append(s, e, "a.x", "4", 4);

        assertThat(s.nextMessage("a.x", 1).orElseThrow().seq()).isEqualTo(1);
        assertThat(s.nextMessage("a.x", 2).orElseThrow().seq()).isEqualTo(4);
        assertThat(s.nextMessage("a.*", 2).orElseThrow().seq()).isEqualTo(4);
        assertThat(s.nextMessage("a.>", 2).orElseThrow().seq()).isEqualTo(3);
        assertThat(s.nextMessage("*.x", 2).orElseThrow().seq()).isEqualTo(2);
        assertThat(s.nextMessage(">", 3).orElseThrow().seq()).isEqualTo(3);
        assertThat(s.nextMessage("a.x", 5)).isEmpty();
        assertThat(s.nextMessage("c.*", 1)).isEmpty();
    }

    @Test
    void nextMessageWithAWildcardFindsSparseMatchesFarAhead() {
        for (int i = 0; i < 1000; i++) {
            append(s, e, "noise." + (i % 3), "n", i);
        }
        append(s, e, "rare.one", "r", 2000);

        assertThat(s.nextMessage("rare.*", 1).orElseThrow().seq()).isEqualTo(1001);
        assertThat(s.nextMessage("rare.*", 1002)).isEmpty();
    }

    @Test
    void expectedLastSequencesAreCheckedWithTheAppend() {
        append(s, e, "a", "1", 1);
        append(s, e, "b", "2", 2);

        assertThat(s.append(e.next(), Append.of("a", null, bytes("3"), 3).withExpectedLastSequence(1)))
                .isEqualTo(new Outcome.Rejected<>(new JsError(400, 10071, "wrong last sequence: 2")));
        assertThat(s.append(e.next(), Append.of("a", null, bytes("3"), 3).withExpectedLastSubjectSequence(2)))
                .isEqualTo(new Outcome.Rejected<>(new JsError(400, 10071, "wrong last sequence: 1")));
        assertThat(s.append(e.next(), Append.of("a", null, bytes("3"), 3).withExpectedLastSequence(2)
                .withExpectedLastSubjectSequence(1)).value().seq()).isEqualTo(3);
        assertThat(s.append(e.next(), Append.of("new", null, bytes("4"), 4).withExpectedLastSubjectSequence(0))
                .value().seq()).isEqualTo(4);
        assertThat(s.state().messages()).isEqualTo(4);
    }

    @Test
    void deleteOneMessageLeavesAGapAndCountsIt() {
        for (int i = 1; i <= 5; i++) {
            append(s, e, "s." + i, "m" + i, i * 10);
        }
        assertThat(s.deleteMessage(e.next(), 3).value()).isTrue();
        assertThat(s.deleteMessage(e.next(), 1).value()).isTrue();

        Outcome<Boolean> missing = s.deleteMessage(e.next(), 3);
        assertThat(missing).isEqualTo(new Outcome.Rejected<>(new JsError(400, 10043, "sequence 3 not found")));
        assertThat(s.message(3)).isEmpty();
        StreamState st = s.state();
        assertThat(st.messages()).isEqualTo(3);
        assertThat(st.firstSeq()).isEqualTo(2);
        assertThat(st.firstTimestampNanos()).isEqualTo(20);
        assertThat(st.lastSeq()).isEqualTo(5);
        assertThat(st.numDeleted()).isEqualTo(1);
        assertThat(st.numSubjects()).isEqualTo(3);
    }

    @Test
    void stateReportsMessagesBytesSequencesTimesAndSubjects() {
        s.append(e.next(), Append.of("a", bytes("hdr"), bytes("12345"), 100));
        append(s, e, "bb", "x", 200);
        append(s, e, "a", "", 300);

        StreamState st = s.state();
        assertThat(st.messages()).isEqualTo(3);
        // nats-server file store sizes: 22+subj+msg+8, plus 4+hdr with headers
        assertThat(st.bytes()).isEqualTo((22 + 1 + 4 + 3 + 5 + 8) + (22 + 2 + 1 + 8) + (22 + 1 + 8));
        assertThat(st.firstSeq()).isEqualTo(1);
        assertThat(st.firstTimestampNanos()).isEqualTo(100);
        assertThat(st.lastSeq()).isEqualTo(3);
        assertThat(st.lastTimestampNanos()).isEqualTo(300);
        assertThat(st.numSubjects()).isEqualTo(2);
        assertThat(st.numDeleted()).isZero();
        assertThat(s.subjectCounts(">")).isEqualTo(Map.of("a", 2L, "bb", 1L));
        assertThat(s.subjectCounts("a")).isEqualTo(Map.of("a", 2L));
    }

    @Test
    void stateAndMessagesSurviveReopen() {
        append(s, e, "a.1", "x", 1);
        append(s, e, "a.2", "y", 2);
        s.deleteMessage(e.next(), 1);
        StreamState before = s.state();
        node.close();

        node = TestStores.open(dir);
        s = node.stream("ORDERS").orElseThrow();
        assertThat(s.state()).isEqualTo(before);
        assertThat(contents(s)).containsExactly("2 a.2 y");
        assertThat(s.appliedIndex()).isEqualTo(e.current());
    }

    @Test
    void purgeAllKeepsTheSequenceGoing() {
        for (int i = 0; i < 10; i++) {
            append(s, e, "p." + (i % 3), "m" + i, i);
        }
        assertThat(s.purge(e.next(), PurgeRequest.all()).value()).isEqualTo(10);

        StreamState st = s.state();
        assertThat(st.messages()).isZero();
        assertThat(st.bytes()).isZero();
        assertThat(st.firstSeq()).isEqualTo(11);
        assertThat(st.lastSeq()).isEqualTo(10);
        assertThat(st.numSubjects()).isZero();
        assertThat(s.subjectCounts(">")).isEmpty();
        assertThat(s.lastMessage("p.1")).isEmpty();
        assertThat(append(s, e, "p.1", "after", 99)).isEqualTo(11);
        assertThat(s.state().firstSeq()).isEqualTo(11);
    }

    @Test
    void purgeBySubjectFilter() {
        for (int i = 1; i <= 9; i++) {
            append(s, e, (i % 3 == 0 ? "keep." : "drop.") + i, "m" + i, i);
        }
        assertThat(s.purge(e.next(), PurgeRequest.subject("drop.*")).value()).isEqualTo(6);

        assertThat(contents(s)).containsExactly("3 keep.3 m3", "6 keep.6 m6", "9 keep.9 m9");
        assertThat(s.state().firstSeq()).isEqualTo(3);
        assertThat(s.state().numSubjects()).isEqualTo(3);
    }

    @Test
    void purgeUpToASequence() {
        for (int i = 1; i <= 6; i++) {
            append(s, e, "s", "m" + i, i);
        }
        assertThat(s.purge(e.next(), PurgeRequest.upTo(4)).value()).isEqualTo(3);
        assertThat(contents(s)).containsExactly("4 s m4", "5 s m5", "6 s m6");
        assertThat(s.state().firstSeq()).isEqualTo(4);
        assertThat(s.subjectCounts("s")).containsEntry("s", 3L);

        // past the end: empty, and the next message gets that sequence
        assertThat(s.purge(e.next(), PurgeRequest.upTo(100)).value()).isEqualTo(3);
        assertThat(s.state().firstSeq()).isEqualTo(100);
        assertThat(append(s, e, "s", "n", 7)).isEqualTo(100);
    }

    @Test
    void purgeKeepingTheLastN() {
        for (int i = 1; i <= 6; i++) {
            append(s, e, "s." + (i % 2), "m" + i, i);
        }
        assertThat(s.purge(e.next(), PurgeRequest.keep(2)).value()).isEqualTo(4);
        assertThat(contents(s)).containsExactly("5 s.1 m5", "6 s.0 m6");
        assertThat(s.purge(e.next(), PurgeRequest.keep(5)).value()).isZero();
    }

    @Test
    void purgeCombinationsAsNatsAllows() {
        for (int i = 1; i <= 8; i++) {
            append(s, e, "s." + (i % 2), "m" + i, i);
        }
        // filter + keep: keep the newest 1 of s.0 (2,4,6,8)
        assertThat(s.purge(e.next(), new PurgeRequest("s.0", 0, 1)).value()).isEqualTo(3);
        assertThat(contents(s)).containsExactly("1 s.1 m1", "3 s.1 m3", "5 s.1 m5", "7 s.1 m7", "8 s.0 m8");
        // filter + seq: s.1 below 5
        assertThat(s.purge(e.next(), new PurgeRequest("s.1", 5, 0)).value()).isEqualTo(2);
        assertThat(contents(s)).containsExactly("5 s.1 m5", "7 s.1 m7", "8 s.0 m8");
        // seq and keep together are refused, and change nothing
        Outcome<Long> both = s.purge(e.next(), new PurgeRequest(null, 3, 1));
        assertThat(both).isEqualTo(new Outcome.Rejected<>(new JsError(400, 10003, "bad request")));
        assertThat(contents(s)).hasSize(3);
        assertThat(s.appliedIndex()).isEqualTo(e.current());
    }

    @Test
    void purgeMovesConsumerAckFloorsPastWhatWasPurged() {
        s.createConsumer(e.next(), "C", ConsumerConfig.explicitAck(), 1);
        for (int i = 1; i <= 5; i++) {
            append(s, e, "s", "m" + i, i);
        }
        ConsumerStore c = s.consumer("C").orElseThrow();
        c.delivered(e.next(), 1, 1, 1, 10);
        c.delivered(e.next(), 2, 2, 1, 11);
        s.purge(e.next(), PurgeRequest.upTo(4));

        ConsumerState cs = c.state();
        assertThat(cs.pending()).isEmpty();
        assertThat(cs.ackFloor().streamSeq()).isEqualTo(3);
        assertThat(cs.ackFloor().consumerSeq()).isEqualTo(2);
        assertThat(cs.delivered().streamSeq()).isEqualTo(3);
    }
}
