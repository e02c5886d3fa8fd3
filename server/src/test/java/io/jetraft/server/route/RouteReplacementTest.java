package io.jetraft.server.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.FakeRoutePeer;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When both nodes dial each other and a node replaces the route it admitted first, the peer's interest moves to the
 * new route in the same step: a message published meanwhile reaches the peer once, over the old route or the new,
 * never over both and never over neither (before, the old route's interest left the index when it closed, and the
 * peer's interest was back only once its RS+ arrived on the new route: what was published between was dropped).
 * The peer here is a hand-written route speaking the protocol over a socket, so that it can hold its RS+ back.
 */
class RouteReplacementTest {

    /** Smaller than any NATS server id (they start with N): the route it dials wins. */
    private static final String PEER_ID = "AFAKEPEER";

    private final int clusterPort = Ports.free();
    private final int peerPort = Ports.free();
    private final int clientPort = Ports.free();
    private JetraftNode node;
    private Connection client;
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        for (Socket s : sockets) {
            s.close();
        }
        if (node != null) {
            node.shutdown();
        }
    }

    private static String info(int port) {
        return FakeRoutePeer.info(PEER_ID, port);
    }

    @Test
    void aMessagePublishedWhileARouteIsReplacedReachesThePeerExactlyOnce() throws Exception {
        ConcurrentLinkedQueue<Socket> accepted = new ConcurrentLinkedQueue<>();
        try (ServerSocket listener = new ServerSocket(peerPort)) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(listener.accept());
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "fake-peer-accept");
            acceptor.setDaemon(true);
            acceptor.start();
            // the node dials the peer: route one (dialled by the node, whose id is the larger)
            node = JetraftNode.start(TestConfigs.node().name("a").port(clientPort)
                    .cluster("c1", clusterPort, clusterPort, peerPort).build());
            await().atMost(Duration.ofSeconds(10)).until(() -> !accepted.isEmpty());
            Socket one = accepted.poll();
            sockets.add(one);
            FakeRoutePeer first = new FakeRoutePeer(one, true);
            first.line(); // the node's INFO
            first.send(info(peerPort));
            // bar: interest the peer gives up while its routes change (it will not send it again on route two)
            first.send("RS+ $G foo\r\nRS+ $G bar\r\n");
            first.start();

            client = Nats.connect("nats://127.0.0.1:" + clientPort);
            AtomicBoolean publishing = new AtomicBoolean(true);
            AtomicLong published = new AtomicLong();
            Thread publisher = new Thread(() -> {
                try {
                    while (publishing.get()) {
                        client.publish("foo", Long.toString(published.get()).getBytes(StandardCharsets.US_ASCII));
                        published.incrementAndGet();
                        if (published.get() % 20 == 0) {
                            client.flush(Duration.ofSeconds(5));
                        }
                    }
                    client.flush(Duration.ofSeconds(5));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "publisher");
            publisher.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> first.got.size() > 100);

            // the peer dials too (route two, dialled by the smaller id): the node replaces route one with it. The
            // peer holds its RS+ back on route two until route one is closed and more messages were published
            Socket two = new Socket("127.0.0.1", clusterPort);
            sockets.add(two);
            FakeRoutePeer second = new FakeRoutePeer(two, false);
            second.line(); // the node's INFO
            second.send(info(peerPort));
            second.start();
            await().atMost(Duration.ofSeconds(10)).until(first.closed::get);
            long atClose = published.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> published.get() > atClose + 200);
            // then its interest, and the PONG to the node's PING that follows it, as a jetraft peer sends them
            second.send("RS+ $G foo\r\n");
            second.answerPings.set(true);
            if (second.pingSeen.get()) {
                second.send("PONG\r\n");
            }
            long atPong = published.get();
            // what the peer did not send again on route two left with its PONG; what it did stays
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(node.routes().snapshots())
                    .singleElement().satisfies(r -> assertThat(r.subscriptions()).containsExactly("foo")));
            await().atMost(Duration.ofSeconds(10)).until(() -> published.get() > atPong + 200);
            publishing.set(false);
            publisher.join(10_000);
            long total = published.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                List<Long> got = second.numbers();
                return !got.isEmpty() && got.get(got.size() - 1) == total - 1;
            });

            // from the first message route one carried to the last published: each once, over one route
            long from = first.numbers().get(0);
            Map<Long, Integer> seen = new TreeMap<>();
            first.numbers().forEach(n -> seen.merge(n, 1, Integer::sum));
            second.numbers().forEach(n -> seen.merge(n, 1, Integer::sum));
            List<Long> missing = new ArrayList<>();
            List<Long> twice = new ArrayList<>();
            for (long n = from; n < total; n++) {
                int times = seen.getOrDefault(n, 0);
                if (times == 0) {
                    missing.add(n);
                } else if (times > 1) {
                    twice.add(n);
                }
            }
            assertThat(missing).as("published while the route was replaced, reached neither route (%d published, "
                    + "%d over route one, %d over route two)", total, first.got.size(), second.got.size()).isEmpty();
            assertThat(twice).as("reached the peer over both routes").isEmpty();
            assertThat(second.got).as("route two carried messages").isNotEmpty();
        }
    }
    /**
     * The other direction: what the peer sent on the old route before it moved to the new one reaches the node's
     * subscribers. The node ends its side of the old route (TCP FIN) but reads on until the peer ends its own (before,
     * it closed the route at once and dropped what arrived on it: messages in flight were lost).
     */
    @Test
    void messagesThePeerSentOnTheReplacedRouteAreStillDelivered() throws Exception {
        ConcurrentLinkedQueue<Socket> accepted = new ConcurrentLinkedQueue<>();
        try (ServerSocket listener = new ServerSocket(peerPort)) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(listener.accept());
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "fake-peer-accept");
            acceptor.setDaemon(true);
            acceptor.start();
            node = JetraftNode.start(TestConfigs.node().name("a").port(clientPort)
                    .cluster("c1", clusterPort, clusterPort, peerPort).build());
            await().atMost(Duration.ofSeconds(10)).until(() -> !accepted.isEmpty());
            Socket one = accepted.poll();
            sockets.add(one);
            FakeRoutePeer first = new FakeRoutePeer(one, true);
            first.line();
            first.send(info(peerPort));
            first.start();
            client = Nats.connect("nats://127.0.0.1:" + clientPort);
            io.nats.client.Subscription sub = client.subscribe("in.>");
            client.flush(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(10)).until(() -> node.routes().size() == 1);
            first.send("RMSG $G in.before 1\r\n0\r\n");
            assertThat(sub.nextMessage(Duration.ofSeconds(5))).isNotNull();

            Socket two = new Socket("127.0.0.1", clusterPort);
            sockets.add(two);
            FakeRoutePeer second = new FakeRoutePeer(two, true);
            second.line();
            second.send(info(peerPort));
            second.start();
            // the node has moved to route two and ended its side of route one
            await().atMost(Duration.ofSeconds(10)).until(first.closed::get);
            for (int i = 1; i <= 50; i++) {
                String n = Integer.toString(i);
                first.send("RMSG $G in.old " + n.length() + "\r\n" + n + "\r\n");
            }
            for (int i = 51; i <= 100; i++) {
                String n = Integer.toString(i);
                second.send("RMSG $G in.new " + n.length() + "\r\n" + n + "\r\n");
            }
            one.shutdownOutput();
            java.util.Set<Integer> got = new java.util.TreeSet<>();
            while (got.size() < 100) {
                io.nats.client.Message m = sub.nextMessage(Duration.ofSeconds(5));
                assertThat(m).as("message %d of 100 from the peer (got %s)", got.size() + 1, got).isNotNull();
                got.add(Integer.parseInt(new String(m.getData(), StandardCharsets.US_ASCII)));
            }
            assertThat(got).hasSize(100).first().isEqualTo(1);
            assertThat(sub.nextMessage(Duration.ofMillis(300))).as("no message twice").isNull();
        }
    }
}
