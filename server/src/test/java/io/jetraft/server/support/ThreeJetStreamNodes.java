package io.jetraft.server.support;

import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Three in-process JetStream nodes n1..n3 on loopback, meshed and with a meta leader once {@link #start} returns;
 * {@link #connect} opens jnats connections that {@link #close} closes before it shuts the nodes down.
 */
public final class ThreeJetStreamNodes implements AutoCloseable {

    private final int[] clusterPorts = {Ports.free(), Ports.free(), Ports.free()};
    private final int[] clientPorts = {Ports.free(), Ports.free(), Ports.free()};
    private final JetraftNode[] nodes = new JetraftNode[3];
    private final List<Connection> connections = new ArrayList<>();

    private ThreeJetStreamNodes() {
    }

    /** Starts the nodes, storing under {@code dir}/n1..n3, and waits until each knows all three and a leader. */
    public static ThreeJetStreamNodes start(Path dir) {
        return start(dir, null, null);
    }

    /** As {@link #start(Path)}, with the given lame-duck duration and grace period (null: the defaults). */
    public static ThreeJetStreamNodes start(Path dir, Duration lameDuck, Duration grace) {
        ThreeJetStreamNodes c = new ThreeJetStreamNodes();
        for (int i = 0; i < 3; i++) {
            TestConfigs.Builder b = TestConfigs.node().name("n" + (i + 1)).port(c.clientPorts[i])
                    .cluster("c1", c.clusterPorts[i], c.clusterPorts).raftPort(Ports.free())
                    .jetstream(dir.resolve("n" + (i + 1)));
            if (lameDuck != null) {
                b.lameDuck(lameDuck, grace);
            }
            c.nodes[i] = JetraftNode.start(b.build());
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (JetraftNode n : c.nodes) {
                if (n.jetstream().raftNode().meta().peers().size() != 3
                        || n.jetstream().raftNode().meta().leader().isEmpty()) {
                    return false;
                }
            }
            return true;
        });
        return c;
    }

    /** A jnats connection to node {@code i} (0-based). */
    public Connection connect(int i) throws Exception {
        Connection c = Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + clientPorts[i]).build());
        connections.add(c);
        return c;
    }

    /**
     * A jnats connection to node {@code first} (0-based) that knows the other two as well and reconnects to them,
     * in order, when it loses that one.
     */
    public Connection connectWithFailover(int first, Options.Builder options) throws Exception {
        List<String> urls = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            urls.add(url((first + k) % 3));
        }
        Connection c = Nats.connect(options.servers(urls.toArray(String[]::new)).noRandomize().maxReconnects(-1)
                .build());
        connections.add(c);
        return c;
    }

    public String url(int i) {
        return "nats://127.0.0.1:" + clientPorts[i];
    }

    /** The cluster (route) port of node {@code i} (0-based). */
    public int clusterPort(int i) {
        return clusterPorts[i];
    }

    public JetraftNode node(int i) {
        return nodes[i];
    }

    @Override
    public void close() throws InterruptedException {
        for (Connection c : connections) {
            c.close();
        }
        for (JetraftNode n : nodes) {
            if (n != null) {
                n.shutdown();
            }
        }
    }
}
