package io.jetraft.server.lameduck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.FakeRoutePeer;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client that leaves a node in lame-duck mode gets what a peer still routed to that node for its reply inbox after
 * it left: the node sends it on to the node the client moved to, once that node's interest in the inbox is known
 * there. Before, the node dropped it (nobody took it any more): the answer to a JetStream publish in flight was lost
 * and its publisher timed out (a rolling-restart soak round), and messages delivered to a pull came back only after
 * ack_wait. The peer that routes the late message is a hand-written route, so the moment is the test's choice.
 */
class DepartedInboxTest {

    private final int[] clusterPorts = {Ports.free(), Ports.free()};
    private final int[] clientPorts = {Ports.free(), Ports.free()};
    private final List<JetraftNode> nodes = new ArrayList<>();
    private final List<Connection> connections = new ArrayList<>();
    private Socket socket;

    @AfterEach
    void stop() throws Exception {
        for (Connection c : connections) {
            c.close();
        }
        if (socket != null) {
            socket.close();
        }
        for (JetraftNode n : nodes) {
            n.shutdown();
        }
    }

    @Test
    void aMessageRoutedToTheOldNodeForAnInboxReachesTheClientOnItsNewNode() throws Exception {
        for (int i = 0; i < 2; i++) {
            nodes.add(JetraftNode.start(TestConfigs.node().name("n" + (i + 1)).port(clientPorts[i])
                    .cluster("c1", clusterPorts[i], clusterPorts).lameDuck(Duration.ofSeconds(10),
                            Duration.ofMillis(200)).build()));
        }
        JetraftNode leaving = nodes.get(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> leaving.routes().size() == 1);
        socket = new Socket("127.0.0.1", clusterPorts[0]);
        FakeRoutePeer peer = new FakeRoutePeer(socket, true);
        peer.line(); // the node's INFO
        peer.send(FakeRoutePeer.info("AFAKEPEER", Ports.free()));
        peer.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> leaving.routes().size() == 2);

        Connection client = Nats.connect(new Options.Builder().servers(new String[] {
            "nats://127.0.0.1:" + clientPorts[0], "nats://127.0.0.1:" + clientPorts[1]}).noRandomize()
                .maxReconnects(-1).reconnectWait(Duration.ofMillis(50)).build());
        connections.add(client);
        Subscription inbox = client.subscribe("_INBOX.departing.>");
        client.subscribe("shared.>");
        client.flush(Duration.ofSeconds(5));
        // other clients keep the leaving node in its drain (one closed at a time) after this one left
        for (int i = 0; i < 4; i++) {
            connections.add(Nats.connect("nats://127.0.0.1:" + clientPorts[0]));
        }

        assertThat(leaving.enterLameDuckMode()).isTrue();
        String newNode = "nats://127.0.0.1:" + clientPorts[1];
        await().atMost(Duration.ofSeconds(20)).until(() -> newNode.equals(client.getConnectedUrl()));
        // the leaving node knows the client's inbox is on the other node now (its route's interest)
        await().atMost(Duration.ofSeconds(10)).until(() -> leaving.routes().snapshots().stream()
                .anyMatch(r -> "n2".equals(r.remoteName()) && r.subscriptions().contains("_INBOX.departing.>")));
        // the peer still saw the client's interest on the leaving node when it sent this
        peer.send("RMSG $G _INBOX.departing.1 4\r\nlate\r\n");
        Message late = inbox.nextMessage(Duration.ofSeconds(5));
        assertThat(late).as("the late message, sent on by the node the client left").isNotNull();
        assertThat(new String(late.getData(), StandardCharsets.UTF_8)).isEqualTo("late");
        assertThat(inbox.nextMessage(Duration.ofMillis(300))).as("once").isNull();

        // a subject that is not an inbox is not sent on, though the client that left subscribed it too: other
        // clients of the new node may share it, and the peer sent them their own copy
        Connection other = Nats.connect(newNode);
        connections.add(other);
        Subscription shared = other.subscribe("shared.x");
        other.flush(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> leaving.routes().snapshots().stream()
                .anyMatch(r -> "n2".equals(r.remoteName()) && r.subscriptions().contains("shared.x")));
        peer.send("RMSG $G shared.x 3\r\nnot\r\n");
        assertThat(shared.nextMessage(Duration.ofMillis(500))).isNull();
    }
}
