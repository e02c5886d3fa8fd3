package io.jetraft.server.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamStatusException;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Core NATS against a real node on a real socket, driven by the real jnats client. */
class CoreNatsWithJnatsTest {

    private JetraftNode node;

    @BeforeEach
    void start() {
        node = JetraftNode.start(TestConfigs.node().name("core-test").build());
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.shutdown();
        }
    }

    private Connection connect() throws Exception {
        return Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + node.clientPort())
                .connectionTimeout(Duration.ofSeconds(5)).build());
    }

    @Test
    void publishedMessagesReachSubscribersInOrder() throws Exception {
        try (Connection sub = connect(); Connection pub = connect()) {
            Subscription s = sub.subscribe("orders.new");
            sub.flush(Duration.ofSeconds(2));
            for (int i = 0; i < 100; i++) {
                pub.publish("orders.new", ("order-" + i).getBytes(StandardCharsets.UTF_8));
            }
            pub.flush(Duration.ofSeconds(2));
            for (int i = 0; i < 100; i++) {
                Message m = s.nextMessage(Duration.ofSeconds(2));
                assertThat(m).as("message %d", i).isNotNull();
                assertThat(new String(m.getData(), StandardCharsets.UTF_8)).isEqualTo("order-" + i);
                assertThat(m.getSubject()).isEqualTo("orders.new");
            }
        }
    }

    @Test
    void wildcardsMatchOneTokenOrTheRest() throws Exception {
        try (Connection nc = connect()) {
            Subscription star = nc.subscribe("sensors.*.temp");
            Subscription full = nc.subscribe("sensors.>");
            Subscription exact = nc.subscribe("sensors.kitchen.temp");
            nc.flush(Duration.ofSeconds(2));
            nc.publish("sensors.kitchen.temp", "21".getBytes());
            nc.publish("sensors.kitchen.humidity", "40".getBytes());
            nc.publish("sensors.garden.shed.temp", "8".getBytes());
            nc.publish("sensors", "none".getBytes());
            nc.flush(Duration.ofSeconds(2));

            assertThat(subjects(star, 1)).containsExactly("sensors.kitchen.temp");
            assertThat(subjects(full, 3)).containsExactly("sensors.kitchen.temp", "sensors.kitchen.humidity",
                    "sensors.garden.shed.temp");
            assertThat(subjects(exact, 1)).containsExactly("sensors.kitchen.temp");
            assertThat(star.nextMessage(Duration.ofMillis(200))).isNull();
            assertThat(full.nextMessage(Duration.ofMillis(200))).isNull();
        }
    }

    @Test
    void eachQueueGroupMessageGoesToExactlyOneMemberAndAllMembersGetSome() throws Exception {
        try (Connection a = connect(); Connection b = connect(); Connection c = connect(); Connection pub = connect()) {
            Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
            List<String> seen = new CopyOnWriteArrayList<>();
            for (Connection member : List.of(a, b, c)) {
                String name = "member-" + System.identityHashCode(member);
                counts.put(name, new AtomicInteger());
                Dispatcher d = member.createDispatcher(m -> {
                    counts.get(name).incrementAndGet();
                    seen.add(new String(m.getData()));
                });
                d.subscribe("work", "workers");
                member.flush(Duration.ofSeconds(2));
            }
            Subscription plain = pub.subscribe("work");
            pub.flush(Duration.ofSeconds(2));
            int total = 300;
            for (int i = 0; i < total; i++) {
                pub.publish("work", Integer.toString(i).getBytes());
            }
            pub.flush(Duration.ofSeconds(2));
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() >= total);
            assertThat(seen).hasSize(total).doesNotHaveDuplicates();
            assertThat(counts.values()).allSatisfy(n -> assertThat(n.get()).isGreaterThan(0));
            // a plain subscriber on the same subject still sees every message
            for (int i = 0; i < total; i++) {
                assertThat(plain.nextMessage(Duration.ofSeconds(2))).isNotNull();
            }
        }
    }

    @Test
    void requestReplyRoundTrips() throws Exception {
        try (Connection responder = connect(); Connection requester = connect()) {
            Dispatcher d = responder.createDispatcher(m ->
                    responder.publish(m.getReplyTo(), ("echo:" + new String(m.getData())).getBytes()));
            d.subscribe("svc.echo");
            responder.flush(Duration.ofSeconds(2));
            for (int i = 0; i < 20; i++) {
                Message reply = requester.request("svc.echo", ("hi" + i).getBytes(), Duration.ofSeconds(2));
                assertThat(new String(reply.getData())).isEqualTo("echo:hi" + i);
            }
        }
    }

    @Test
    void headersRoundTrip() throws Exception {
        try (Connection nc = connect()) {
            Subscription s = nc.subscribe("with.headers");
            nc.flush(Duration.ofSeconds(2));
            Headers h = new Headers().add("Trace-Id", "abc-123").add("Multi", "one", "two");
            nc.publish(NatsMessage.builder().subject("with.headers").headers(h).data("body").build());
            nc.flush(Duration.ofSeconds(2));
            Message m = s.nextMessage(Duration.ofSeconds(2));
            assertThat(m.hasHeaders()).isTrue();
            assertThat(m.getHeaders().getFirst("Trace-Id")).isEqualTo("abc-123");
            assertThat(m.getHeaders().get("Multi")).containsExactly("one", "two");
            assertThat(new String(m.getData())).isEqualTo("body");
        }
    }

    @Test
    void requestWithNobodyListeningFailsFastWithNoResponders() throws Exception {
        Options opts = new Options.Builder().server("nats://127.0.0.1:" + node.clientPort()).reportNoResponders()
                .build();
        try (Connection nc = Nats.connect(opts)) {
            long t0 = System.nanoTime();
            CompletableFuture<Message> f = nc.request("nobody.home", "x".getBytes());
            assertThatThrownBy(f::get)
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(JetStreamStatusException.class)
                    .hasMessageContaining("503");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void echoFalseKeepsAClientsOwnMessagesAway() throws Exception {
        Options opts = new Options.Builder().server("nats://127.0.0.1:" + node.clientPort()).noEcho().build();
        try (Connection self = Nats.connect(opts); Connection other = connect()) {
            Subscription mine = self.subscribe("echo.test");
            Subscription theirs = other.subscribe("echo.test");
            self.flush(Duration.ofSeconds(2));
            other.flush(Duration.ofSeconds(2));
            self.publish("echo.test", "from-self".getBytes());
            self.flush(Duration.ofSeconds(2));
            assertThat(theirs.nextMessage(Duration.ofSeconds(2))).isNotNull();
            assertThat(mine.nextMessage(Duration.ofMillis(300))).isNull();
        }
    }

    @Test
    void clientReconnectsAndResubscribesAfterTheServerRestarts() throws Exception {
        int port = io.jetraft.server.support.Ports.free();
        node.shutdown();
        node = JetraftNode.start(TestConfigs.node().port(port).build());
        Options opts = new Options.Builder().server("nats://127.0.0.1:" + port)
                .reconnectWait(Duration.ofMillis(100)).maxReconnects(-1).build();
        try (Connection nc = Nats.connect(opts)) {
            Subscription s = nc.subscribe("after.restart");
            nc.flush(Duration.ofSeconds(2));
            node.shutdown();
            await().atMost(Duration.ofSeconds(10)).until(() -> nc.getStatus() != Connection.Status.CONNECTED);
            node = JetraftNode.start(TestConfigs.node().port(port).build());
            await().atMost(Duration.ofSeconds(15)).until(() -> nc.getStatus() == Connection.Status.CONNECTED);
            nc.publish("after.restart", "again".getBytes());
            nc.flush(Duration.ofSeconds(2));
            Message m = s.nextMessage(Duration.ofSeconds(5));
            assertThat(m).isNotNull();
            assertThat(new String(m.getData())).isEqualTo("again");
        }
    }

    private static List<String> subjects(Subscription s, int n) throws InterruptedException {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            Message m = s.nextMessage(Duration.ofSeconds(2));
            assertThat(m).isNotNull();
            out.add(m.getSubject());
        }
        return out;
    }
}
