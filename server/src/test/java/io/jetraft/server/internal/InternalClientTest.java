package io.jetraft.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The node's own services answering and publishing through the same subject index, locally and across routes. */
class InternalClientTest {

    private final ExecutorService executor = Executors.newSingleThreadExecutor();
    private final int[] clusterPorts = {Ports.free(), Ports.free()};
    private JetraftNode a;
    private JetraftNode b;

    @AfterEach
    void stop() {
        executor.shutdownNow();
        if (a != null) {
            a.shutdown();
        }
        if (b != null) {
            b.shutdown();
        }
    }

    private void startPair() {
        a = JetraftNode.start(TestConfigs.node().name("a").cluster("c", clusterPorts[0], clusterPorts).build());
        b = JetraftNode.start(TestConfigs.node().name("b").cluster("c", clusterPorts[1], clusterPorts).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> a.routes().size() == 1 && b.routes().size() == 1);
    }

    @Test
    void anAnnouncedServiceAnswersRequestsFromClientsOfAnotherNode() throws Exception {
        startPair();
        a.internalClient().subscribe("svc.internal", null, true, executor,
                m -> a.internalClient().publish(m.reply(), null, "pong:" + m.dataAsString()));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.routes().snapshots().get(0).subscriptions()
                .contains("svc.internal"));
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + b.clientPort())) {
            // the two nodes may still be settling a duplicate route (both dialled at once): a request sent on the
            // route being dropped is lost, as in nats-server (core NATS is at most once), so ask again
            AtomicReference<Message> reply = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
                reply.set(nc.request("svc.internal", "hi".getBytes(), Duration.ofSeconds(1)));
                return reply.get() != null;
            });
            assertThat(new String(reply.get().getData())).isEqualTo("pong:hi");
        }
    }

    @Test
    void anUnannouncedServiceAnswersOnlyItsOwnNodesClients() throws Exception {
        startPair();
        a.internalClient().subscribe("local.only", null, false, executor,
                m -> a.internalClient().publish(m.reply(), null, "from-a"));
        try (Connection onA = Nats.connect("nats://127.0.0.1:" + a.clientPort());
             Connection onB = Nats.connect(new io.nats.client.Options.Builder()
                     .server("nats://127.0.0.1:" + b.clientPort()).reportNoResponders().build())) {
            assertThat(new String(onA.request("local.only", new byte[0], Duration.ofSeconds(5)).getData()))
                    .isEqualTo("from-a");
            assertThat(b.routes().snapshots().get(0).subscriptions()).doesNotContain("local.only");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> onB.request("local.only", new byte[0]).get())
                    .hasMessageContaining("503");
        }
    }

    @Test
    void aDeliveryRoutedByInboxShowsTheStoredSubjectHereAndOnOtherNodes() throws Exception {
        startPair();
        try (Connection onA = Nats.connect("nats://127.0.0.1:" + a.clientPort());
             Connection onB = Nats.connect("nats://127.0.0.1:" + b.clientPort())) {
            Subscription local = onA.subscribe("_INBOX.local");
            Subscription remote = onB.subscribe("_INBOX.remote");
            onA.flush(Duration.ofSeconds(2));
            onB.flush(Duration.ofSeconds(2));
            await().atMost(Duration.ofSeconds(5)).until(() -> a.routes().snapshots().get(0).subscriptions()
                    .contains("_INBOX.remote"));
            byte[] headers = "NATS/1.0\r\nK: v\r\n\r\n".getBytes();
            a.internalClient().publish("_INBOX.local", "orders.eu.1", "$JS.ACK.x", headers, "one".getBytes());
            a.internalClient().publish("_INBOX.remote", "orders.us.2", "$JS.ACK.y", null, "two".getBytes());
            Message m1 = local.nextMessage(Duration.ofSeconds(2));
            assertThat(m1.getSubject()).isEqualTo("orders.eu.1");
            assertThat(m1.getReplyTo()).isEqualTo("$JS.ACK.x");
            assertThat(m1.getHeaders().getFirst("K")).isEqualTo("v");
            Message m2 = remote.nextMessage(Duration.ofSeconds(2));
            assertThat(m2.getSubject()).isEqualTo("orders.us.2");
            assertThat(m2.getReplyTo()).isEqualTo("$JS.ACK.y");
            assertThat(new String(m2.getData())).isEqualTo("two");
        }
    }

    @Test
    void internalPublishesReachClientsWithHeaders() throws Exception {
        a = JetraftNode.start(TestConfigs.node().build());
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + a.clientPort())) {
            Subscription s = nc.subscribe("from.inside");
            nc.flush(Duration.ofSeconds(2));
            byte[] headers = "NATS/1.0\r\nNats-Stream: S\r\n\r\n".getBytes();
            a.internalClient().publish("from.inside", "reply.to", headers, "payload".getBytes());
            Message m = s.nextMessage(Duration.ofSeconds(2));
            assertThat(m.getReplyTo()).isEqualTo("reply.to");
            assertThat(m.getHeaders().getFirst("Nats-Stream")).isEqualTo("S");
            assertThat(new String(m.getData())).isEqualTo("payload");
        }
    }
}
