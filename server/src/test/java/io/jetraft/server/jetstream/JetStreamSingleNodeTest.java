package io.jetraft.server.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JetStream on one node, through jnats's JetStreamManagement and JetStream APIs. */
class JetStreamSingleNodeTest {

    @TempDir
    Path dir;

    private JetraftNode node;
    private Connection nc;

    @BeforeEach
    void start() throws Exception {
        node = JetraftNode.start(TestConfigs.node().name("js1").jetstream(dir).build());
        nc = Nats.connect("nats://127.0.0.1:" + node.clientPort());
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (nc != null) {
            nc.close();
        }
        node.shutdown();
    }

    private JetStreamManagement jsm() throws Exception {
        return nc.jetStreamManagement();
    }

    @Test
    void createPublishAndReadBack() throws Exception {
        StreamInfo info = jsm().addStream(StreamConfiguration.builder().name("ORDERS").subjects("orders.>").build());
        assertThat(info.getConfiguration().getName()).isEqualTo("ORDERS");
        assertThat(info.getConfiguration().getSubjects()).containsExactly("orders.>");
        JetStream js = nc.jetStream();
        PublishAck ack = js.publish("orders.new", "first".getBytes());
        assertThat(ack.getStream()).isEqualTo("ORDERS");
        assertThat(ack.getSeqno()).isEqualTo(1);
        for (int i = 0; i < 9; i++) {
            js.publish("orders.new", ("o" + i).getBytes());
        }
        StreamInfo after = jsm().getStreamInfo("ORDERS");
        assertThat(after.getStreamState().getMsgCount()).isEqualTo(10);
        assertThat(after.getStreamState().getLastSequence()).isEqualTo(10);
        assertThat(new String(jsm().getMessage("ORDERS", 1).getData())).isEqualTo("first");
        assertThat(jsm().getStreamNames()).containsExactly("ORDERS");
    }

    @Test
    void duplicatesAndExpectationsAreChecked() throws Exception {
        jsm().addStream(StreamConfiguration.builder().name("DEDUP").subjects("dedup").build());
        JetStream js = nc.jetStream();
        PublishAck a = js.publish("dedup", "x".getBytes(), PublishOptions.builder().messageId("id-1").build());
        PublishAck b = js.publish("dedup", "x".getBytes(), PublishOptions.builder().messageId("id-1").build());
        assertThat(a.isDuplicate()).isFalse();
        assertThat(b.isDuplicate()).isTrue();
        assertThat(b.getSeqno()).isEqualTo(a.getSeqno());
        assertThatThrownBy(() -> js.publish("dedup", "y".getBytes(),
                PublishOptions.builder().expectedLastSequence(7).build()))
                .isInstanceOf(JetStreamApiException.class).hasMessageContaining("10071");
        assertThatThrownBy(() -> js.publish("dedup", "y".getBytes(),
                PublishOptions.builder().expectedStream("OTHER").build()))
                .isInstanceOf(JetStreamApiException.class).hasMessageContaining("10060");
        assertThat(js.publish("dedup", "z".getBytes(), PublishOptions.builder().expectedLastSequence(1).build())
                .getSeqno()).isEqualTo(2);
    }

    @Test
    void pullConsumerFetchesAndAcks() throws Exception {
        jsm().addStream(StreamConfiguration.builder().name("WORK").subjects("work.*").build());
        JetStream js = nc.jetStream();
        for (int i = 0; i < 20; i++) {
            js.publish("work.item", ("w" + i).getBytes());
        }
        jsm().addOrUpdateConsumer("WORK", ConsumerConfiguration.builder().durable("worker")
                .ackPolicy(AckPolicy.Explicit).build());
        JetStreamSubscription sub = js.subscribe(null, PullSubscribeOptions.bind("WORK", "worker"));
        List<Message> batch = sub.fetch(10, Duration.ofSeconds(5));
        assertThat(batch).hasSize(10);
        for (Message m : batch) {
            m.ackSync(Duration.ofSeconds(5));
        }
        assertThat(new String(batch.get(0).getData())).isEqualTo("w0");
        assertThat(batch.get(0).metaData().streamSequence()).isEqualTo(1);
        ConsumerInfo ci = jsm().getConsumerInfo("WORK", "worker");
        assertThat(ci.getDelivered().getStreamSequence()).isEqualTo(10);
        assertThat(ci.getAckFloor().getStreamSequence()).isEqualTo(10);
        assertThat(ci.getNumPending()).isEqualTo(10);
        List<Message> rest = sub.fetch(20, Duration.ofSeconds(2));
        assertThat(rest).hasSize(10);
    }

    @Test
    void aFetchAndTheAcksThatFollowItAreReplicatedInFewEntries() throws Exception {
        jsm().addStream(StreamConfiguration.builder().name("ACKS").subjects("acks").build());
        JetStream js = nc.jetStream();
        List<java.util.concurrent.CompletableFuture<PublishAck>> published = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            published.add(js.publishAsync("acks", ("a" + i).getBytes()));
        }
        published.forEach(java.util.concurrent.CompletableFuture::join);
        jsm().addOrUpdateConsumer("ACKS", ConsumerConfiguration.builder().durable("acker")
                .ackPolicy(AckPolicy.Explicit).build());
        io.jetraft.raft.GroupName group = node.jetstream().raft().streams().groupOf("ACKS").orElseThrow();
        JetStreamSubscription sub = js.subscribe(null, PullSubscribeOptions.bind("ACKS", "acker"));
        long before = node.jetstream().raft().health().health(group).orElseThrow().commitIndex();
        List<Message> batch = sub.fetch(300, Duration.ofSeconds(5));
        assertThat(batch).hasSize(300);
        for (Message m : batch) {
            m.ack();
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            ConsumerInfo ci = jsm().getConsumerInfo("ACKS", "acker");
            assertThat(ci.getAckFloor().getStreamSequence()).isEqualTo(300);
            assertThat(ci.getNumAckPending()).isZero();
        });
        // one entry (or a few, if the fetch was served in parts) for the deliveries, and the acks grouped behind each
        // other, not 300 + 300 entries
        long entries = node.jetstream().raft().health().health(group).orElseThrow().commitIndex() - before;
        assertThat(entries).isLessThan(300);
        // and the state is what one entry per ack would give: after a restart nothing is redelivered
        nc.close();
        node.shutdown();
        node = JetraftNode.start(TestConfigs.node().name("js1").jetstream(dir).build());
        nc = Nats.connect("nats://127.0.0.1:" + node.clientPort());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                assertThat(jsm().getConsumerInfo("ACKS", "acker").getAckFloor().getStreamSequence()).isEqualTo(300));
        JetStreamSubscription again = nc.jetStream().subscribe(null, PullSubscribeOptions.bind("ACKS", "acker"));
        assertThat(again.fetch(10, Duration.ofMillis(500))).isEmpty();
    }

    @Test
    void pushConsumerDeliversToItsSubscriber() throws Exception {
        jsm().addStream(StreamConfiguration.builder().name("EVENTS").subjects("events.>").build());
        JetStream js = nc.jetStream();
        for (int i = 0; i < 5; i++) {
            js.publish("events.a", ("e" + i).getBytes());
        }
        JetStreamSubscription sub = js.subscribe("events.>", PushSubscribeOptions.builder().durable("pusher")
                .build());
        for (int i = 0; i < 5; i++) {
            Message m = sub.nextMessage(Duration.ofSeconds(5));
            assertThat(m).isNotNull();
            assertThat(m.getSubject()).isEqualTo("events.a");
            assertThat(new String(m.getData())).isEqualTo("e" + i);
            m.ack();
        }
        js.publish("events.b", "later".getBytes());
        Message later = sub.nextMessage(Duration.ofSeconds(5));
        assertThat(new String(later.getData())).isEqualTo("later");
    }

    @Test
    void aPublishToNoStreamGetsNoResponders() throws Exception {
        JetStream js = nc.jetStream();
        assertThatThrownBy(() -> js.publish("nowhere", "x".getBytes()))
                .hasMessageContaining("503");
    }

    @Test
    void creatingAStreamAgainWithTheSameConfigurationSucceedsAndWithAnotherIsRefused() throws Exception {
        StreamConfiguration c = StreamConfiguration.builder().name("AGAIN").subjects("again.>").maxAge(
                java.time.Duration.ofHours(1)).maxMessages(1000).build();
        jsm().addStream(c);
        // a retried create (its first answer lost, say) is answered with the stream, as nats-server does
        assertThat(jsm().addStream(c).getConfiguration().getName()).isEqualTo("AGAIN");
        assertThatThrownBy(() -> jsm().addStream(StreamConfiguration.builder(c).maxMessages(5).build()))
                .isInstanceOf(JetStreamApiException.class).hasMessageContaining("10058");
        // the same for a durable consumer
        io.nats.client.api.ConsumerConfiguration cc = io.nats.client.api.ConsumerConfiguration.builder()
                .durable("twice").ackWait(java.time.Duration.ofSeconds(30)).maxDeliver(5).build();
        jsm().addOrUpdateConsumer("AGAIN", cc);
        assertThat(jsm().addOrUpdateConsumer("AGAIN", cc).getName()).isEqualTo("twice");
    }

    @Test
    void aPullForAConsumerThatDoesNotExistGetsNoRespondersNotAPlainMessage() throws Exception {
        jsm().addStream(StreamConfiguration.builder().name("PULL").subjects("pull.>").build());
        Connection c = nc;
        io.nats.client.Subscription inbox = c.subscribe("_INBOX.pull");
        c.publish("$JS.API.CONSUMER.MSG.NEXT.PULL.nobody", "_INBOX.pull", "{\"batch\":1}".getBytes());
        io.nats.client.Message m = inbox.nextMessage(java.time.Duration.ofSeconds(5));
        assertThat(m).isNotNull();
        assertThat(m.isStatusMessage()).isTrue();
        assertThat(m.getStatus().getCode()).isEqualTo(503);
    }

    @Test
    void badStreamRequestsGetNatsErrors() throws Exception {
        assertThatThrownBy(() -> jsm().addStream(StreamConfiguration.builder().name("A").subjects("a.>")
                .replicas(3).build())).isInstanceOf(JetStreamApiException.class).hasMessageContaining("10074");
        jsm().addStream(StreamConfiguration.builder().name("A").subjects("a.>").build());
        assertThatThrownBy(() -> jsm().addStream(StreamConfiguration.builder().name("B").subjects("a.b").build()))
                .isInstanceOf(JetStreamApiException.class).hasMessageContaining("10065");
        assertThatThrownBy(() -> jsm().getStreamInfo("NOPE"))
                .isInstanceOf(JetStreamApiException.class).hasMessageContaining("10059");
        assertThatThrownBy(() -> jsm().getConsumerInfo("A", "nope"))
                .isInstanceOf(JetStreamApiException.class).hasMessageContaining("10014");
    }
}
