package io.jetraft.storage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.jetraft.storage.TestStores.append;
import static io.jetraft.storage.TestStores.bytes;
import static io.jetraft.storage.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;

class LimitsTest {

    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path dir;
    NodeStore node;
    final Entries e = new Entries();

    @BeforeEach
    void open() {
        node = TestStores.open(dir);
    }

    @AfterEach
    void close() {
        node.close();
    }

    private StreamStore stream(StreamLimits limits) {
        return TestStores.stream(node, "S", limits);
    }

    @Test
    void maxMsgsWithDiscardOldRemovesTheOldest() {
        StreamStore s = stream(StreamLimits.unlimited().withMaxMsgs(3));
        for (int i = 1; i <= 5; i++) {
            append(s, e, "s." + i, "m" + i, i);
        }
        assertThat(contents(s)).containsExactly("3 s.3 m3", "4 s.4 m4", "5 s.5 m5");
        assertThat(s.state().firstSeq()).isEqualTo(3);
        assertThat(s.state().firstTimestampNanos()).isEqualTo(3);
        assertThat(s.state().numSubjects()).isEqualTo(3);
    }

    @Test
    void maxBytesWithDiscardOldRemovesUntilUnderTheLimit() {
        // each message: 22 + 1 + 10 + 8 = 41 bytes
        StreamStore s = stream(StreamLimits.unlimited().withMaxBytes(100));
        for (int i = 0; i < 4; i++) {
            append(s, e, "s", "0123456789", i);
        }
        assertThat(s.state().messages()).isEqualTo(2);
        assertThat(s.state().bytes()).isEqualTo(82);
        assertThat(s.state().firstSeq()).isEqualTo(3);
    }

    @Test
    void discardNewRefusesWithTheJetStreamErrors() {
        StreamStore s = stream(StreamLimits.unlimited().withMaxMsgs(2).withDiscard(StreamLimits.Discard.NEW));
        append(s, e, "s", "1", 1);
        append(s, e, "s", "2", 2);
        Outcome<Appended> third = s.append(e.next(), Append.of("s", null, bytes("3"), 3));
        assertThat(third).isEqualTo(new Outcome.Rejected<>(new JsError(503, 10077, "maximum messages exceeded")));
        assertThat(s.state().messages()).isEqualTo(2);
        assertThat(s.appliedIndex()).isEqualTo(e.current());

        StreamStore b = TestStores.stream(node, "B",
                StreamLimits.unlimited().withMaxBytes(100).withDiscard(StreamLimits.Discard.NEW));
        append(b, e, "s", "0123456789", 1);
        Outcome<Appended> over = b.append(e.next(), Append.of("s", null, bytes("0123456789"), 2));
        // nats-server refuses once stored + new would reach the limit (41 + 41 >= 100 is false; 3rd is refused)
        assertThat(over.isDone()).isTrue();
        Outcome<Appended> third2 = b.append(e.next(), Append.of("s", null, bytes("0123456789"), 3));
        assertThat(third2).isEqualTo(new Outcome.Rejected<>(new JsError(503, 10077, "maximum bytes exceeded")));
        assertThat(b.state().messages()).isEqualTo(2);
    }

    @Test
    void maxMsgsPerSubjectKeepsTheNewestOfEachSubject() {
        StreamStore s = stream(StreamLimits.unlimited().withMaxMsgsPerSubject(2));
        for (int i = 1; i <= 6; i++) {
            append(s, e, "k." + (i % 2), "m" + i, i);
        }
        assertThat(contents(s)).containsExactly("3 k.1 m3", "4 k.0 m4", "5 k.1 m5", "6 k.0 m6");
        assertThat(s.subjectCounts(">")).containsEntry("k.0", 2L).containsEntry("k.1", 2L);
        assertThat(s.lastMessage("k.1").orElseThrow().seq()).isEqualTo(5);
    }

    @Test
    void discardNewAtTheSubjectLimitReplacesOrRefusesPerSubject() {
        StreamLimits limits = StreamLimits.unlimited().withMaxMsgs(2).withMaxMsgsPerSubject(1)
                .withDiscard(StreamLimits.Discard.NEW);
        StreamStore s = stream(limits);
        append(s, e, "a", "1", 1);
        append(s, e, "b", "2", 2);
        // at max_msgs, but "a" is at its subject limit: the new one replaces the old one
        assertThat(s.append(e.next(), Append.of("a", null, bytes("3"), 3)).isDone()).isTrue();
        assertThat(contents(s)).containsExactly("2 b 2", "3 a 3");
        assertThat(s.append(e.next(), Append.of("c", null, bytes("4"), 4)))
                .isEqualTo(new Outcome.Rejected<>(JsError.maximumMessagesExceeded()));

        StreamStore per = TestStores.stream(node, "PER", limits.withMaxMsgs(-1).withDiscardNewPerSubject(true));
        append(per, e, "a", "1", 1);
        assertThat(per.append(e.next(), Append.of("a", null, bytes("2"), 2)))
                .isEqualTo(new Outcome.Rejected<>(new JsError(503, 10077, "maximum messages per subject exceeded")));
    }

    @Test
    void maxMsgSizeRefusesLargerMessages() {
        StreamStore s = stream(StreamLimits.unlimited().withMaxMsgSize(8));
        assertThat(s.append(e.next(), Append.of("s", bytes("hdr"), bytes("12345"), 1)).isDone()).isTrue();
        Outcome<Appended> big = s.append(e.next(), Append.of("s", bytes("hdr"), bytes("123456"), 2));
        assertThat(big).isEqualTo(new Outcome.Rejected<>(new JsError(400, 10054,
                "message size exceeds maximum allowed")));
        assertThat(s.state().messages()).isEqualTo(1);
    }

    @Test
    void maxAgeExpiryIsAQueryAndAMutationDrivenByTheGivenTime() {
        StreamStore s = stream(StreamLimits.unlimited().withMaxAge(Duration.ofSeconds(10)));
        append(s, e, "s", "1", 1 * SECOND);
        append(s, e, "s", "2", 5 * SECOND);
        // a leader clock that stepped back: an older timestamp after a newer one
        append(s, e, "s", "3", 3 * SECOND);
        append(s, e, "s", "4", 20 * SECOND);

        assertThat(s.nextExpiryNanos()).hasValue(11 * SECOND);
        assertThat(s.expiredSequences(9 * SECOND, 100)).isEmpty();
        assertThat(s.expiredSequences(13 * SECOND, 100)).containsExactly(1L, 3L);
        assertThat(s.state().messages()).isEqualTo(4);

        assertThat(s.removeExpired(e.next(), 15 * SECOND).value()).isEqualTo(3);
        assertThat(contents(s)).containsExactly("4 s 4");
        assertThat(s.state().firstSeq()).isEqualTo(4);
        assertThat(s.removeExpired(e.next(), 15 * SECOND).value()).isZero();
    }

    @Test
    void expiryRemovesTheSameMessagesOnEveryReplica(@TempDir Path other) {
        try (NodeStore replica = TestStores.open(other)) {
            StreamLimits limits = StreamLimits.unlimited().withMaxAge(Duration.ofSeconds(1)).withMaxMsgs(50);
            StreamStore a = TestStores.stream(node, "S", limits);
            StreamStore b = TestStores.stream(replica, "S", limits);
            Entries ea = new Entries();
            Entries eb = new Entries();
            java.util.Random r = new java.util.Random(7);
            for (int i = 0; i < 300; i++) {
                long ts = (i * 20L + r.nextInt(50)) * 1_000_000L;
                String subj = "s." + r.nextInt(5);
                append(a, ea, subj, "m" + i, ts);
                append(b, eb, subj, "m" + i, ts);
                if (i % 37 == 0) {
                    a.removeExpired(ea.next(), ts);
                    b.removeExpired(eb.next(), ts);
                }
            }
            assertThat(contents(a)).isEqualTo(contents(b)).isNotEmpty();
            assertThat(a.state()).isEqualTo(b.state());
        }
    }

    @Test
    void workQueueRemovesAcknowledgedMessages() {
        StreamStore s = stream(StreamLimits.unlimited().withRetention(StreamLimits.Retention.WORK_QUEUE));
        s.createConsumer(e.next(), "W", ConsumerConfig.explicitAck(), 1);
        for (int i = 1; i <= 3; i++) {
            append(s, e, "jobs", "j" + i, i);
        }
        ConsumerStore w = s.consumer("W").orElseThrow();
        w.delivered(e.next(), 1, 1, 1, 10);
        w.delivered(e.next(), 2, 2, 1, 11);
        assertThat(w.acked(e.next(), 2, 2).value()).isTrue();

        assertThat(contents(s)).containsExactly("1 jobs j1", "3 jobs j3");
        assertThat(w.acked(e.next(), 1, 1).value()).isTrue();
        assertThat(contents(s)).containsExactly("3 jobs j3");
        assertThat(s.state().firstSeq()).isEqualTo(3);
    }

    @Test
    void interestKeepsAMessageUntilEveryInterestedConsumerAcknowledgedIt() {
        StreamStore s = stream(StreamLimits.unlimited().withRetention(StreamLimits.Retention.INTEREST));
        // no consumer: nobody is interested, the message is not kept (its sequence is used)
        append(s, e, "ev.a", "lost", 1);
        assertThat(s.state().messages()).isZero();
        assertThat(s.state().lastSeq()).isEqualTo(1);

        s.createConsumer(e.next(), "A", ConsumerConfig.explicitAck(), 2);
        s.createConsumer(e.next(), "B", new ConsumerConfig(ConsumerConfig.AckPolicy.EXPLICIT, -1, List.of("ev.b")), 2);
        append(s, e, "ev.a", "only A", 2);
        append(s, e, "ev.b", "A and B", 3);
        ConsumerStore a = s.consumer("A").orElseThrow();
        ConsumerStore b = s.consumer("B").orElseThrow();
        a.delivered(e.next(), 1, 2, 1, 1);
        a.delivered(e.next(), 2, 3, 1, 2);
        b.delivered(e.next(), 1, 3, 1, 3);

        a.acked(e.next(), 1, 2);
        assertThat(contents(s)).containsExactly("3 ev.b A and B");
        a.acked(e.next(), 2, 3);
        assertThat(contents(s)).containsExactly("3 ev.b A and B");
        b.acked(e.next(), 1, 3);
        assertThat(contents(s)).isEmpty();

        append(s, e, "ev.b", "not yet delivered", 4);
        s.deleteConsumer(e.next(), "B");
        // A (all subjects) has not been delivered seq 4 yet: it stays until the last interested consumer goes
        assertThat(contents(s)).containsExactly("4 ev.b not yet delivered");
        s.deleteConsumer(e.next(), "A");
        assertThat(contents(s)).isEmpty();
    }

    @Test
    void tighterLimitsAreEnforcedAtUpdate() {
        StreamStore s = stream(StreamLimits.unlimited());
        for (int i = 1; i <= 6; i++) {
            append(s, e, "k." + (i % 2), "m" + i, i);
        }
        assertThat(s.updateLimits(e.next(), StreamLimits.unlimited().withMaxMsgsPerSubject(2)).isDone()).isTrue();
        assertThat(s.state().messages()).isEqualTo(4);
        assertThat(s.updateLimits(e.next(), StreamLimits.unlimited().withMaxMsgs(1)).isDone()).isTrue();
        assertThat(contents(s)).containsExactly("6 k.0 m6");
        assertThat(s.updateLimits(e.next(),
                StreamLimits.unlimited().withRetention(StreamLimits.Retention.INTEREST)))
                .isEqualTo(new Outcome.Rejected<>(JsError.invalidStreamConfig(
                        "stream configuration update can not change retention policy")));
    }
}
