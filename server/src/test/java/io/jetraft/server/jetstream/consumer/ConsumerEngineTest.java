package io.jetraft.server.jetstream.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.jetraft.config.ByteSize;
import io.jetraft.server.jetstream.consumer.DeliveryRules.AckPolicy;
import io.jetraft.server.jetstream.consumer.DeliveryRules.DeliverPolicy;
import io.jetraft.storage.Append;
import io.jetraft.storage.AppliedIndex;
import io.jetraft.storage.ConsumerConfig;
import io.jetraft.storage.Delivery;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.StoreOptions;
import io.jetraft.storage.StreamLimits;
import io.jetraft.storage.StreamStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consumer engine over a real RocksDB stream, with an injected clock. Its outbox records what it sends and
 * applies what it replicates straight to the store, as a one-replica group would.
 */
class ConsumerEngineTest {

    @TempDir
    Path dir;

    private NodeStore node;
    private StreamStore stream;
    private final AtomicLong index = new AtomicLong();
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final Recorder out = new Recorder();

    /** What the engine sent, in order, and what it replicated. */
    private final class Recorder implements ConsumerOutbox {
        final List<String> sent = new ArrayList<>();
        final Set<String> interest = new HashSet<>();
        /** How many deliveries each replicated entry carried. */
        final List<Integer> proposedBursts = new ArrayList<>();
        String consumer = "C";

        @Override
        public void deliver(String to, String storedSubject, String ackReply, byte[] headers, byte[] data) {
            sent.add("MSG " + to + " " + storedSubject + " " + ackReply + " " + new String(data, StandardCharsets.UTF_8)
                    + (headers.length > 0 ? " H[" + new String(headers, StandardCharsets.UTF_8).trim() + "]" : ""));
        }

        @Override
        public void status(String to, String reply, String headerBlock) {
            sent.add("STATUS " + to + (reply == null ? "" : " " + reply) + " " + headerBlock.trim()
                    .replace("\r\n", " | "));
        }

        @Override
        public void reply(String to) {
            sent.add("REPLY " + to);
        }

        @Override
        public boolean hasInterest(String subject) {
            return interest.contains(subject) || subject.startsWith("_INBOX");
        }

        @Override
        public CompletableFuture<Void> proposeDelivered(List<Delivery> deliveries) {
            proposedBursts.add(deliveries.size());
            stream.consumerDelivered(next(), consumer, deliveries);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> proposeAcked(long dseq, long sseq) {
            stream.consumerAcked(next(), consumer, dseq, sseq);
            return CompletableFuture.completedFuture(null);
        }

        List<String> take() {
            List<String> copy = new ArrayList<>(sent);
            sent.clear();
            return copy;
        }
    }

    private AppliedIndex next() {
        return AppliedIndex.of(1, index.incrementAndGet());
    }

    @BeforeEach
    void open() {
        node = NodeStore.open(new StoreOptions(dir, ByteSize.ofMebibytes(8), ByteSize.ofMebibytes(4), false));
        stream = node.createStream("ORDERS", StreamLimits.unlimited()).value();
    }

    @AfterEach
    void close() {
        node.close();
    }

    private long append(String subject, String data) {
        now.addAndGet(1_000);
        return stream.append(next(), Append.of(subject, null, data.getBytes(StandardCharsets.UTF_8), now.get()))
                .value().seq();
    }

    private DeliveryRules pull(AckPolicy ack, int maxDeliver, Duration ackWait, int maxAckPending, String... filters) {
        return new DeliveryRules("ORDERS", "C", DeliverPolicy.ALL, 0, 0, ack, ackWait, maxDeliver, List.of(),
                List.of(filters), maxAckPending, 512, false, null, Duration.ZERO, false, 0, Duration.ZERO, 0);
    }

    private ConsumerEngine engine(DeliveryRules rules) {
        stream.createConsumer(next(), "C", new ConsumerConfig(ConsumerConfig.AckPolicy.valueOf(rules.ackPolicy().name()),
                rules.maxDeliver(), rules.filters()), 1);
        return new ConsumerEngine(rules, new StreamStoreSource(stream), out, now::get,
                stream.consumer("C").orElseThrow().state());
    }

    private static byte[] body(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void deliveriesAndAcksOfThePreviousLeaderThatReachThisNodeAfterTheEngineStartedAreTakenIn() {
        for (int i = 1; i <= 5; i++) {
            append("orders.new", "o" + i);
        }
        ConsumerEngine e = engine(pull(AckPolicy.EXPLICIT, -1, Duration.ofSeconds(30), 1000));
        // the previous leader handed out 1-3 just before it stepped down; its client's ack of 2 comes here first,
        // the entry that says 1-3 were delivered after it
        e.onAck("$JS.ACK.ORDERS.C.1.2.2." + now.get() + ".3", body("+ACK"), null);
        stream.consumerDelivered(next(), "C", List.of(new Delivery(1, 1, 1, now.get()), new Delivery(2, 2, 1,
                now.get()), new Delivery(3, 3, 1, now.get())));
        assertThat(e.takeInReplicatedDeliveries(stream.consumer("C").orElseThrow().state())).isEqualTo(3);

        // 1-3 are not handed out again; 2 counts as acknowledged, here and in the replicated state
        e.onPull("_INBOX.p", body("{\"batch\":5}"));
        List<String> sent = out.take();
        assertThat(sent).hasSize(2);
        assertThat(sent.get(0)).endsWith(" o4");
        assertThat(sent.get(1)).endsWith(" o5");
        assertThat(e.snapshot().numAckPending()).isEqualTo(4);
        assertThat(stream.consumer("C").orElseThrow().state().pending()).containsOnlyKeys(1L, 3L, 4L, 5L);
        // an ack of one of them now is taken as any other
        e.onAck("$JS.ACK.ORDERS.C.1.3.3." + now.get() + ".2", body("+ACK"), null);
        assertThat(stream.consumer("C").orElseThrow().state().pending()).containsOnlyKeys(1L, 4L, 5L);
    }

    @Test
    void aPullRequestGetsItsBatchWithNatsAckSubjects() {
        for (int i = 1; i <= 5; i++) {
            append("orders.new", "o" + i);
        }
        ConsumerEngine e = engine(pull(AckPolicy.EXPLICIT, -1, Duration.ofSeconds(30), 1000));
        e.onPull("_INBOX.a", body("{\"batch\":3}"));
        List<String> sent = out.take();
        assertThat(sent).hasSize(3);
        assertThat(sent.get(0)).startsWith("MSG _INBOX.a orders.new $JS.ACK.ORDERS.C.1.1.1.").endsWith(".4 o1");
        assertThat(sent.get(2)).contains("$JS.ACK.ORDERS.C.1.3.3.").endsWith(".2 o3");
        ConsumerEngine.Snapshot s = e.snapshot();
        assertThat(s.numAckPending()).isEqualTo(3);
        assertThat(s.numPending()).isEqualTo(2);
        assertThat(stream.consumer("C").orElseThrow().state().pending()).hasSize(3);
    }

    @Test
    void whatOnePullRequestGetsIsReplicatedAsOneEntryAndLeavesTheSameState() {
        for (int i = 1; i <= 5; i++) {
            append("orders.new", "o" + i);
        }
        ConsumerEngine e = engine(pull(AckPolicy.EXPLICIT, -1, Duration.ofSeconds(30), 1000));
        e.onPull("_INBOX.a", body("{\"batch\":4}"));
        assertThat(out.take()).hasSize(4);
        // one Raft round for the whole batch, not one per message
        assertThat(out.proposedBursts).containsExactly(4);
        var state = stream.consumer("C").orElseThrow().state();
        assertThat(state.delivered().consumerSeq()).isEqualTo(4);
        assertThat(state.delivered().streamSeq()).isEqualTo(4);
        assertThat(state.pending()).containsOnlyKeys(1L, 2L, 3L, 4L);
        // a waiting request served as messages arrive: one entry per round, none for a round that sends nothing
        e.onPull("_INBOX.b", body("{\"batch\":3,\"expires\":1000000000}"));
        assertThat(out.proposedBursts).containsExactly(4, 1);
        e.onMessagesAvailable();
        assertThat(out.proposedBursts).containsExactly(4, 1);
        append("orders.new", "o6");
        append("orders.new", "o7");
        e.onMessagesAvailable();
        assertThat(out.proposedBursts).containsExactly(4, 1, 2);
        assertThat(stream.consumer("C").orElseThrow().state().delivered().streamSeq()).isEqualTo(7);
    }

    @Test
    void aPullLargerThanOneEntryTakesIsReplicatedInEntriesOfBoundedSize() {
        for (int i = 0; i < ConsumerEngine.MAX_BURST + 10; i++) {
            append("orders.new", "m" + i);
        }
        ConsumerEngine e = engine(pull(AckPolicy.NONE, -1, Duration.ofSeconds(30), 1000));
        e.onPull("_INBOX.c", body("{\"batch\":" + (ConsumerEngine.MAX_BURST + 10) + "}"));
        assertThat(out.take()).hasSize(ConsumerEngine.MAX_BURST + 10);
        assertThat(out.proposedBursts).containsExactly(ConsumerEngine.MAX_BURST, 10);
        assertThat(stream.consumer("C").orElseThrow().state().ackFloor().streamSeq())
                .isEqualTo(ConsumerEngine.MAX_BURST + 10);
    }

    @Test
    void aWaitingRequestIsServedAsMessagesArriveAndExpiresWith408() {
        ConsumerEngine e = engine(pull(AckPolicy.EXPLICIT, -1, Duration.ofSeconds(30), 1000));
        e.onPull("_INBOX.w", body("{\"batch\":2,\"expires\":1000000000}"));
        assertThat(out.take()).isEmpty();
        append("orders.new", "late");
        e.onMessagesAvailable();
        assertThat(out.take()).singleElement().asString().contains(" late");
        advance(Duration.ofMillis(1001));
        e.tick();
        assertThat(out.take()).containsExactly(
                "STATUS _INBOX.w NATS/1.0 408 Request Timeout | Nats-Pending-Messages: 1 | Nats-Pending-Bytes: 0");
    }

    @Test
    void aWaitingRequestWhoseRequesterIsGoneGetsNothingAndTheNextOneGetsTheMessage() {
        ConsumerEngine e = engine(pull(AckPolicy.EXPLICIT, -1, Duration.ofSeconds(30), 1000));
        out.interest.add("gone.1");
        e.onPull("gone.1", body("{\"batch\":5,\"expires\":5000000000}"));
        // its requester disconnected (or moved to another node) before anything arrived
        out.interest.remove("gone.1");
        append("orders.new", "one");
        e.onMessagesAvailable();
        assertThat(out.take()).as("nothing sent into the void (it would come back only after ack_wait)").isEmpty();
        e.onPull("_INBOX.again", body("{\"batch\":1,\"expires\":5000000000}"));
        assertThat(out.take()).singleElement().asString().startsWith("MSG _INBOX.again ").contains(" one");
    }

    @Test
    void waitingRequestsOfRequestersThatAreGoneDoNotCountAgainstMaxWaiting() {
        ConsumerEngine e = engine(new DeliveryRules("ORDERS", "C", DeliverPolicy.ALL, 0, 0, AckPolicy.EXPLICIT,
                Duration.ofSeconds(30), -1, List.of(), List.of(), 1000, 1, false, null, Duration.ZERO, false, 10,
                Duration.ofSeconds(5), 0));
        out.interest.add("dead.1");
        e.onPull("dead.1", body("{\"batch\":1,\"expires\":4000000000}"));
        // its client reconnected to another node and pulls again from there, with a new inbox
        out.interest.remove("dead.1");
        e.onPull("_INBOX.again", body("{\"batch\":1,\"expires\":4000000000}"));
        assertThat(out.take()).as("no 409 Exceeded MaxWaiting").isEmpty();
        append("orders.new", "one");
        e.onMessagesAvailable();
        assertThat(out.take()).singleElement().asString().startsWith("MSG _INBOX.again ");
    }

    @Test
    void noWaitWithNothingToDeliverAnswers404AndLimitsAnswer409() {
        ConsumerEngine e = engine(new DeliveryRules("ORDERS", "C", DeliverPolicy.ALL, 0, 0, AckPolicy.EXPLICIT,
                Duration.ofSeconds(30), -1, List.of(), List.of(), 1000, 1, false, null, Duration.ZERO, false, 10,
                Duration.ofSeconds(5), 0));
        e.onPull("_INBOX.n", body("{\"batch\":1,\"no_wait\":true}"));
        assertThat(out.take()).containsExactly("STATUS _INBOX.n NATS/1.0 404 No Messages");
        e.onPull("_INBOX.b", body("{\"batch\":11}"));
        assertThat(out.take()).containsExactly("STATUS _INBOX.b NATS/1.0 409 Exceeded MaxRequestBatch of 10");
        e.onPull("_INBOX.x", body("{\"batch\":1,\"expires\":6000000000}"));
        assertThat(out.take()).containsExactly("STATUS _INBOX.x NATS/1.0 409 Exceeded MaxRequestExpires of 5s");
        e.onPull("_INBOX.1", body("{\"batch\":1,\"expires\":1000000000}"));
        e.onPull("_INBOX.2", body("{\"batch\":1,\"expires\":1000000000}"));
        assertThat(out.take()).containsExactly("STATUS _INBOX.2 NATS/1.0 409 Exceeded MaxWaiting");
    }

    @Test
    void unacknowledgedMessagesComeBackAfterAckWaitUntilMaxDeliver() {
        append("orders.new", "once");
        ConsumerEngine e = engine(pull(AckPolicy.EXPLICIT, 2, Duration.ofSeconds(1), 1000));
        e.onPull("_INBOX.1", body("5"));
        assertThat(out.take()).singleElement().asString().contains("$JS.ACK.ORDERS.C.1.1.1.");
        advance(Duration.ofMillis(1100));
        e.tick();
        e.onPull("_INBOX.2", body("5"));
        assertThat(out.take()).singleElement().asString().contains("$JS.ACK.ORDERS.C.2.1.2.");
        assertThat(e.snapshot().numRedelivered()).isEqualTo(1);
        advance(Duration.ofMillis(1100));
        e.tick();
        e.onPull("_INBOX.3", body("{\"batch\":5,\"no_wait\":true}"));
        assertThat(out.take()).as("max_deliver 2 reached").containsExactly("STATUS _INBOX.3 NATS/1.0 404 No Messages");
    }

    @Test
    void acksMoveTheFloorNaksRedeliverAfterTheirDelayAndTermStopsRedelivery() {
        for (int i = 1; i <= 3; i++) {
            append("orders.new", "m" + i);
        }
        ConsumerEngine e = engine(pull(AckPolicy.EXPLICIT, -1, Duration.ofSeconds(30), 1000));
        e.onPull("_INBOX.1", body("3"));
        List<String> first = out.take();
        String ack1 = ackOf(first.get(0));
        String ack2 = ackOf(first.get(1));
        String ack3 = ackOf(first.get(2));
        e.onAck(ack1, body("+ACK"), "_INBOX.acked");
        assertThat(out.take()).containsExactly("REPLY _INBOX.acked");
        assertThat(e.snapshot().ackFloorStreamSeq()).isEqualTo(1);
        e.onAck(ack3, body("+TERM"), null);
        assertThat(e.snapshot().ackFloorStreamSeq()).as("2 is still pending").isEqualTo(1);
        e.onAck(ack2, body("-NAK {\"delay\": 2000000000}"), null);
        e.onPull("_INBOX.2", body("{\"batch\":1,\"expires\":5000000000}"));
        assertThat(out.take()).isEmpty();
        advance(Duration.ofMillis(2100));
        e.tick();
        List<String> again = out.take();
        assertThat(again).singleElement().asString().contains("$JS.ACK.ORDERS.C.2.2.4.").endsWith(" m2");
        e.onAck(ackOf(again.get(0)), body(""), null);
        ConsumerEngine.Snapshot s = e.snapshot();
        assertThat(s.ackFloorStreamSeq()).isEqualTo(3);
        assertThat(s.numAckPending()).isZero();
        assertThat(stream.consumer("C").orElseThrow().state().ackFloor().streamSeq()).isEqualTo(3);
    }

    @Test
    void workInProgressPostponesRedelivery() {
        append("orders.new", "slow");
        ConsumerEngine e = engine(pull(AckPolicy.EXPLICIT, -1, Duration.ofSeconds(1), 1000));
        e.onPull("_INBOX.1", body("1"));
        String ack = ackOf(out.take().get(0));
        advance(Duration.ofMillis(800));
        e.onAck(ack, body("+WPI"), null);
        advance(Duration.ofMillis(800));
        e.tick();
        e.onPull("_INBOX.2", body("{\"batch\":1,\"no_wait\":true}"));
        assertThat(out.take()).containsExactly("STATUS _INBOX.2 NATS/1.0 404 No Messages");
    }

    @Test
    void maxAckPendingHoldsBackNewMessagesUntilAcks() {
        for (int i = 1; i <= 4; i++) {
            append("orders.new", "p" + i);
        }
        ConsumerEngine e = engine(pull(AckPolicy.EXPLICIT, -1, Duration.ofSeconds(30), 2));
        e.onPull("_INBOX.1", body("{\"batch\":4,\"expires\":10000000000}"));
        List<String> sent = out.take();
        assertThat(sent).hasSize(2);
        e.onAck(ackOf(sent.get(0)), body("+ACK"), null);
        assertThat(out.take()).singleElement().asString().endsWith(" p3");
    }

    @Test
    void ackAllAcknowledgesEverythingUpToTheAckedMessage() {
        for (int i = 1; i <= 4; i++) {
            append("orders.new", "a" + i);
        }
        ConsumerEngine e = engine(pull(AckPolicy.ALL, -1, Duration.ofSeconds(30), 1000));
        e.onPull("_INBOX.1", body("4"));
        List<String> sent = out.take();
        e.onAck(ackOf(sent.get(2)), body("+ACK"), null);
        ConsumerEngine.Snapshot s = e.snapshot();
        assertThat(s.ackFloorStreamSeq()).isEqualTo(3);
        assertThat(s.numAckPending()).isEqualTo(1);
    }

    @Test
    void filtersDeliverOnlyMatchingSubjects() {
        append("orders.eu", "eu1");
        append("orders.us", "us1");
        append("orders.eu", "eu2");
        ConsumerEngine e = engine(pull(AckPolicy.NONE, -1, Duration.ofSeconds(30), -1, "orders.eu"));
        e.onPull("_INBOX.1", body("{\"batch\":5,\"no_wait\":true}"));
        List<String> sent = out.take();
        assertThat(sent).hasSize(3);
        assertThat(sent.get(0)).endsWith(" eu1");
        assertThat(sent.get(1)).endsWith(" eu2");
        assertThat(sent.get(2)).isEqualTo("STATUS _INBOX.1 NATS/1.0 404 No Messages");
    }

    @Test
    void pushDeliversWhileSomeoneListensWithFlowControlAndHeartbeats() {
        DeliveryRules push = new DeliveryRules("ORDERS", "C", DeliverPolicy.ALL, 0, 0, AckPolicy.NONE,
                Duration.ofSeconds(30), -1, List.of(), List.of(), -1, 0, false, "deliver.here",
                Duration.ofSeconds(1), true, 0, Duration.ZERO, 0);
        ConsumerEngine e = engine(push);
        append("orders.new", "p1");
        e.onMessagesAvailable();
        assertThat(out.take()).as("nobody listens yet").isEmpty();
        out.interest.add("deliver.here");
        e.tick();
        assertThat(out.take()).singleElement().asString().startsWith("MSG deliver.here orders.new ");
        advance(Duration.ofMillis(1100));
        e.tick();
        assertThat(out.take()).containsExactly(
                "STATUS deliver.here NATS/1.0 100 Idle Heartbeat | Nats-Last-Consumer: 1 | Nats-Last-Stream: 1");
        for (int i = 0; i < 3000; i++) {
            append("orders.bulk", "b");
        }
        e.onMessagesAvailable();
        List<String> bulk = out.take();
        // 2048 messages (p1 included) between flow-control requests
        assertThat(bulk).hasSize(2048);
        String fc = bulk.get(2047);
        assertThat(fc).startsWith("STATUS deliver.here $JS.FC.ORDERS.C.1 NATS/1.0 100 FlowControl Request");
        e.onMessagesAvailable();
        assertThat(out.take()).as("paused until the client answers").isEmpty();
        e.onFlowControlReply("$JS.FC.ORDERS.C.1");
        assertThat(out.take()).hasSize(953);
    }

    @Test
    void aNewLeaderRedeliversWhatWasPendingWhenTheOldOneStopped() {
        append("orders.new", "survives");
        ConsumerEngine first = engine(pull(AckPolicy.EXPLICIT, -1, Duration.ofSeconds(1), 1000));
        first.onPull("_INBOX.1", body("1"));
        out.take();
        first.onPull("_INBOX.2", body("{\"batch\":1,\"expires\":5000000000}"));
        first.leadershipLost();
        assertThat(out.take()).containsExactly("STATUS _INBOX.2 NATS/1.0 409 Leadership Change");
        ConsumerEngine second = new ConsumerEngine(first.rules(), new StreamStoreSource(stream), out, now::get,
                stream.consumer("C").orElseThrow().state());
        advance(Duration.ofMillis(1100));
        second.tick();
        second.onPull("_INBOX.3", body("1"));
        assertThat(out.take()).singleElement().asString().contains("$JS.ACK.ORDERS.C.2.1.2.").endsWith(" survives");
    }

    @Test
    void deliverLastPerSubjectStartsWithTheLastOfEachSubject() {
        append("kv.a", "a1");
        append("kv.b", "b1");
        append("kv.a", "a2");
        DeliveryRules rules = new DeliveryRules("ORDERS", "C", DeliverPolicy.LAST_PER_SUBJECT, 0, 0,
                AckPolicy.NONE, Duration.ofSeconds(30), -1, List.of(), List.of("kv.>"), -1, 512, false, null,
                Duration.ZERO, false, 0, Duration.ZERO, 0);
        ConsumerEngine e = engine(rules);
        append("kv.b", "b2");
        e.onPull("_INBOX.1", body("{\"batch\":10,\"no_wait\":true}"));
        List<String> sent = out.take();
        assertThat(sent).extracting(x -> x.substring(x.lastIndexOf(' ') + 1)).containsExactly("b1", "a2", "b2",
                "Messages");
    }

    private static String ackOf(String sent) {
        return sent.split(" ")[3];
    }
}
