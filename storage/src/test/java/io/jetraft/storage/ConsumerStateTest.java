package io.jetraft.storage;

import io.jetraft.storage.ConsumerState.Pending;
import io.jetraft.storage.ConsumerState.SequencePair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.jetraft.storage.TestStores.append;
import static org.assertj.core.api.Assertions.assertThat;

class ConsumerStateTest {

    @TempDir
    Path dir;
    NodeStore node;
    StreamStore s;
    final Entries e = new Entries();

    @BeforeEach
    void open() {
        node = TestStores.open(dir);
        s = TestStores.stream(node, "S", StreamLimits.unlimited());
        for (int i = 1; i <= 10; i++) {
            append(s, e, "s", "m" + i, i);
        }
    }

    @AfterEach
    void close() {
        node.close();
    }

    @Test
    void deliveredAckFloorPendingAndRedeliveredFollowDeliveriesAndAcks() {
        assertThat(s.createConsumer(e.next(), "C", ConsumerConfig.explicitAck(), 1).value()).isTrue();
        ConsumerStore c = s.consumer("C").orElseThrow();
        c.delivered(e.next(), 1, 1, 1, 100);
        c.delivered(e.next(), 2, 2, 1, 101);
        c.delivered(e.next(), 3, 3, 1, 102);
        c.delivered(e.next(), 4, 2, 2, 200); // redelivery of stream seq 2

        ConsumerState st = c.state();
        assertThat(st.delivered()).isEqualTo(new SequencePair(4, 3));
        assertThat(st.ackFloor()).isEqualTo(new SequencePair(0, 0));
        assertThat(st.pending()).isEqualTo(Map.of(1L, new Pending(1, 100), 2L, new Pending(2, 200),
                3L, new Pending(3, 102)));
        assertThat(st.redelivered()).isEqualTo(Map.of(2L, 1L));

        c.acked(e.next(), 1, 1);
        assertThat(c.state().ackFloor()).isEqualTo(new SequencePair(1, 1));
        c.acked(e.next(), 3, 3);
        assertThat(c.state().ackFloor()).isEqualTo(new SequencePair(1, 1));
        c.acked(e.next(), 4, 2);
        st = c.state();
        assertThat(st.pending()).isEmpty();
        assertThat(st.redelivered()).isEmpty();
        assertThat(st.ackFloor()).isEqualTo(new SequencePair(4, 3));
    }

    @Test
    void ackAllSettlesEverythingUpToTheSequence() {
        s.createConsumer(e.next(), "ALL", new ConsumerConfig(ConsumerConfig.AckPolicy.ALL, -1, List.of()), 1);
        ConsumerStore c = s.consumer("ALL").orElseThrow();
        for (int i = 1; i <= 4; i++) {
            c.delivered(e.next(), i, i, 1, i);
        }
        c.acked(e.next(), 3, 3);
        assertThat(c.state().pending()).containsOnlyKeys(4L);
        assertThat(c.state().ackFloor()).isEqualTo(new SequencePair(3, 3));
    }

    @Test
    void consumerStateSurvivesARestart() {
        s.createConsumer(e.next(), "C", new ConsumerConfig(ConsumerConfig.AckPolicy.EXPLICIT, 5, List.of("s")), 3);
        ConsumerStore c = s.consumer("C").orElseThrow();
        c.delivered(e.next(), 1, 3, 1, 100);
        c.delivered(e.next(), 2, 4, 1, 101);
        c.delivered(e.next(), 3, 5, 1, 102);
        c.delivered(e.next(), 4, 4, 3, 300);
        c.acked(e.next(), 1, 3);
        ConsumerState before = c.state();
        ConsumerConfig config = c.config();
        AppliedIndex applied = s.appliedIndex();
        node.close();

        node = TestStores.open(dir);
        s = node.stream("S").orElseThrow();
        ConsumerStore again = s.consumer("C").orElseThrow();
        assertThat(again.state()).isEqualTo(before);
        assertThat(before.redelivered()).isEqualTo(Map.of(4L, 2L));
        assertThat(before.pending()).containsOnlyKeys(4L, 5L);
        assertThat(again.config()).isEqualTo(config);
        assertThat(s.appliedIndex()).isEqualTo(applied);
        assertThat(s.state().consumerCount()).isEqualTo(1);
    }

    @Test
    void deletedConsumersAreGoneAfterARestart() {
        s.createConsumer(e.next(), "C", ConsumerConfig.explicitAck(), 1);
        s.consumer("C").orElseThrow().delivered(e.next(), 1, 1, 1, 1);
        assertThat(s.deleteConsumer(e.next(), "C").isDone()).isTrue();
        assertThat(s.deleteConsumer(e.next(), "C")).isEqualTo(new Outcome.Rejected<>(JsError.consumerNotFound()));
        node.close();
        node = TestStores.open(dir);
        s = node.stream("S").orElseThrow();
        assertThat(s.consumerNames()).isEmpty();
        assertThat(s.state().consumerCount()).isZero();
    }

    @Test
    void ackNoneMovesTheFloorWithDeliveriesAndRefusesAcks() {
        s.createConsumer(e.next(), "N", new ConsumerConfig(ConsumerConfig.AckPolicy.NONE, -1, List.of()), 1);
        ConsumerStore c = s.consumer("N").orElseThrow();
        c.delivered(e.next(), 1, 1, 1, 1);
        c.delivered(e.next(), 2, 2, 1, 2);
        assertThat(c.state().ackFloor()).isEqualTo(new SequencePair(2, 2));
        assertThat(c.acked(e.next(), 2, 2)).isEqualTo(new Outcome.Rejected<>(JsError.storeFailed("ack policy is none")));
    }

    @Test
    void aBurstOfDeliveriesInOneEntryLeavesTheSameStateAsOneEntryEach() {
        List<Delivery> burst = List.of(new Delivery(1, 1, 1, 100), new Delivery(2, 2, 1, 101),
                new Delivery(3, 3, 1, 102), new Delivery(4, 2, 2, 200), new Delivery(5, 4, 1, 201));
        s.createConsumer(e.next(), "ONE", ConsumerConfig.explicitAck(), 1);
        s.createConsumer(e.next(), "BURST", ConsumerConfig.explicitAck(), 1);
        ConsumerStore one = s.consumer("ONE").orElseThrow();
        ConsumerStore many = s.consumer("BURST").orElseThrow();
        for (Delivery d : burst) {
            one.delivered(e.next(), d.dseq(), d.sseq(), d.deliveryCount(), d.tsNanos());
        }
        AppliedIndex at = e.next();
        assertThat(many.delivered(at, burst)).isEqualTo(new Outcome.Done<Void>(null));
        assertThat(many.state()).isEqualTo(one.state());
        assertThat(many.state().pending()).containsOnlyKeys(1L, 2L, 3L, 4L);
        assertThat(many.state().redelivered()).isEqualTo(Map.of(2L, 1L));

        // the same entry again (a log replay) changes nothing
        ConsumerState before = many.state();
        many.delivered(at, List.of(new Delivery(6, 5, 1, 300)));
        assertThat(many.state()).isEqualTo(before);

        // and it survives a restart like single deliveries do
        node.close();
        node = TestStores.open(dir);
        s = node.stream("S").orElseThrow();
        assertThat(s.consumer("BURST").orElseThrow().state()).isEqualTo(s.consumer("ONE").orElseThrow().state());
    }

    @Test
    void aBurstWithARedeliveryUnderAckNoneIsRefusedWhole() {
        s.createConsumer(e.next(), "N", new ConsumerConfig(ConsumerConfig.AckPolicy.NONE, -1, List.of()), 1);
        ConsumerStore c = s.consumer("N").orElseThrow();
        assertThat(c.delivered(e.next(), List.of(new Delivery(1, 1, 1, 1), new Delivery(2, 1, 2, 2))))
                .isEqualTo(new Outcome.Rejected<>(JsError.storeFailed("ack policy is none")));
        assertThat(c.state().delivered()).isEqualTo(new SequencePair(0, 0));
        // a burst of first deliveries moves the floor to its last one
        c.delivered(e.next(), List.of(new Delivery(1, 1, 1, 1), new Delivery(2, 2, 1, 2), new Delivery(3, 3, 1, 3)));
        assertThat(c.state().ackFloor()).isEqualTo(new SequencePair(3, 3));
    }

    @Test
    void aBurstOfDeliveriesUnderAckNoneTakesEachMessageOffAWorkQueue() {
        StreamStore wq = TestStores.stream(node, "WQ", StreamLimits.unlimited()
                .withRetention(StreamLimits.Retention.WORK_QUEUE));
        for (int i = 1; i <= 5; i++) {
            append(wq, e, "w", "m" + i, i);
        }
        wq.createConsumer(e.next(), "N", new ConsumerConfig(ConsumerConfig.AckPolicy.NONE, -1, List.of()), 1);
        wq.consumerDelivered(e.next(), "N", List.of(new Delivery(1, 1, 1, 1), new Delivery(2, 2, 1, 2),
                new Delivery(3, 3, 1, 3)));
        assertThat(wq.state().messages()).isEqualTo(2);
        assertThat(wq.state().firstSeq()).isEqualTo(4);
    }

    @Test
    void acknowledgementsInOneEntryLeaveTheSameStateAsOneEntryEach() {
        for (String policy : List.of("EXPLICIT", "ALL")) {
            ConsumerConfig config = new ConsumerConfig(ConsumerConfig.AckPolicy.valueOf(policy), -1, List.of());
            s.createConsumer(e.next(), "ONE" + policy, config, 1);
            s.createConsumer(e.next(), "MANY" + policy, config, 1);
            ConsumerStore one = s.consumer("ONE" + policy).orElseThrow();
            ConsumerStore many = s.consumer("MANY" + policy).orElseThrow();
            List<Delivery> ds = List.of(new Delivery(1, 1, 1, 1), new Delivery(2, 2, 1, 2), new Delivery(3, 3, 1, 3),
                    new Delivery(4, 4, 1, 4), new Delivery(5, 2, 2, 5));
            one.delivered(e.next(), ds);
            many.delivered(e.next(), ds);
            // out of order, one twice, one for a sequence never delivered
            List<Ack> acks = List.of(new Ack(3, 3), new Ack(1, 1), new Ack(1, 1), new Ack(5, 2), new Ack(9, 9));
            for (Ack a : acks) {
                one.acked(e.next(), a.dseq(), a.sseq());
            }
            assertThat(many.acked(e.next(), acks).value()).isTrue();
            assertThat(many.state()).as(policy).isEqualTo(one.state());
            assertThat(many.acked(e.next(), List.of(new Ack(1, 1))).value()).isFalse();
        }
        assertThat(s.consumer("MANYEXPLICIT").orElseThrow().state().pending()).containsOnlyKeys(4L);

        s.createConsumer(e.next(), "N", new ConsumerConfig(ConsumerConfig.AckPolicy.NONE, -1, List.of()), 1);
        assertThat(s.consumerAcked(e.next(), "N", List.of(new Ack(1, 1), new Ack(2, 2))))
                .isEqualTo(new Outcome.Rejected<>(JsError.storeFailed("ack policy is none")));
        assertThat(s.consumerAcked(e.next(), "nobody", List.of(new Ack(1, 1))))
                .isEqualTo(new Outcome.Rejected<>(JsError.consumerNotFound()));
    }
}
