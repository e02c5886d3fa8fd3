package io.jetraft.server.lameduck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.node.NodeState;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The in-process call starts the same lame-duck sequence as SIGUSR2: the listener closes at once with /healthz
 * answering 500, every client hears "ldm" and is closed after the grace period, and the node ends stopped.
 */
class InProcessLameDuckTest {

    private JetraftNode node;
    private final List<Connection> clients = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Connection c : clients) {
            c.close();
        }
        if (node != null) {
            node.shutdown();
        }
    }

    @Test
    void enterLameDuckModeRunsTheDrainAndStopsTheNode() throws Exception {
        Duration grace = Duration.ofSeconds(3);
        node = JetraftNode.start(TestConfigs.node().name("ldm1").lameDuck(Duration.ofSeconds(4), grace).build());
        AtomicLong ldm = new AtomicLong();
        AtomicLong closed = new AtomicLong();
        for (int i = 0; i < 3; i++) {
            clients.add(Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + node.clientPort())
                    .maxReconnects(0).connectionListener((c, e) -> {
                        if (e == ConnectionListener.Events.LAME_DUCK) {
                            ldm.incrementAndGet();
                        } else if (e == ConnectionListener.Events.CLOSED) {
                            closed.incrementAndGet();
                        }
                    }).build()));
        }
        int port = node.clientPort();
        int http = node.httpPort();

        long t0 = System.nanoTime();
        assertThat(node.enterLameDuckMode()).isTrue();
        assertThat(node.enterLameDuckMode()).as("a second call does nothing").isFalse();
        assertThat(node.state()).isEqualTo(NodeState.LAME_DUCK);

        await().atMost(Duration.ofSeconds(2)).until(() -> !accepts(port));
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + http + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(500);
        assertThat(health.body()).contains("failed to be ready for connections after 1ms: server");

        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(10)).until(() -> ldm.get() == 3);
        assertThat(closed.get()).as("nobody closed within the grace period").isZero();
        assertThat(node.awaitExit(Duration.ofSeconds(10))).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(grace);
        assertThat(node.state()).isEqualTo(NodeState.STOPPED);
        await().atMost(Duration.ofSeconds(5)).until(() -> closed.get() == 3);
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
