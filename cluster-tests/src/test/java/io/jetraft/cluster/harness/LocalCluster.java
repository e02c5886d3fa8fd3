package io.jetraft.cluster.harness;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A cluster of real jetraft processes on loopback: every node lists every node's cluster port as a route (its own
 * included, as operators do), so the same route list works everywhere.
 */
public final class LocalCluster implements AutoCloseable {

    private final String name;
    private final List<NodeProcess> nodes = new ArrayList<>();

    private LocalCluster(String name) {
        this.name = name;
    }

    /** Writes configs for {@code size} nodes n1..nN under {@code dir}; nothing is started yet. */
    public static LocalCluster create(Path dir, int size, String extraConfig) {
        return create(dir, size, extraConfig, false);
    }

    /**
     * As {@link #create(Path, int, String)}, of nats-server processes ({@link NodeProcess#NATS_SERVER}) for a
     * side-by-side comparison when {@code natsServer}.
     */
    public static LocalCluster create(Path dir, int size, String extraConfig, boolean natsServer) {
        LocalCluster c = new LocalCluster("C" + Math.abs(dir.hashCode() % 1000));
        for (int i = 1; i <= size; i++) {
            c.nodes.add(new NodeProcess("n" + i, dir.resolve("n" + i), natsServer));
        }
        for (NodeProcess n : c.nodes) {
            n.writeConfig(c.name, c.nodes, extraConfig);
        }
        return c;
    }

    public String name() {
        return name;
    }

    public List<NodeProcess> nodes() {
        return nodes;
    }

    public NodeProcess node(int oneBased) {
        return nodes.get(oneBased - 1);
    }

    /** Starts every node and waits until all are healthy and fully meshed. */
    public LocalCluster start() {
        try {
            nodes.forEach(NodeProcess::start);
            nodes.forEach(n -> n.awaitHealthy(Duration.ofSeconds(60)));
            awaitMeshed(Duration.ofSeconds(30));
        } catch (Exception | AssertionError e) {
            // (Exception: Awaitility rethrows a condition's checked exception as it is)
            // the test never gets this cluster to close: stop the nodes here (a node left running would be found by
            // the next test's "jetraft --signal"), and say what each one logged
            close();
            throw new AssertionError("the cluster did not come up: " + e + "\n" + describe(), e);
        }
        return this;
    }

    /** Waits until each running node has a route to every other running node. */
    public void awaitMeshed(Duration max) {
        List<NodeProcess> running = nodes.stream().filter(NodeProcess::isAlive).toList();
        await().atMost(max).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            for (NodeProcess n : running) {
                if (n.json("/routez").get("num_routes").asInt() != running.size() - 1) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Client URLs of all nodes, for a client's server list. */
    public String[] clientUrls() {
        return nodes.stream().map(NodeProcess::clientUrl).toArray(String[]::new);
    }

    private final java.util.Map<String, String> finalLogs = new java.util.LinkedHashMap<>();

    /** Every node's log, for a failure report (kept after {@link #close()}, which may precede the report). */
    public String describe() {
        if (!finalLogs.isEmpty()) {
            return String.join("\n", finalLogs.values());
        }
        StringBuilder sb = new StringBuilder();
        nodes.forEach(n -> sb.append(n.describe()).append('\n'));
        return sb.toString();
    }

    /** Kills every node and keeps their logs (in memory and under target/cluster-logs) for a failure report. */
    @Override
    public void close() {
        java.nio.file.Path keep = java.nio.file.Path.of("target", "cluster-logs", name + "-" + System.nanoTime());
        for (NodeProcess n : nodes) {
            n.close();
            finalLogs.put(n.name(), n.describe());
            try {
                java.nio.file.Files.createDirectories(keep);
                if (java.nio.file.Files.exists(n.log())) {
                    java.nio.file.Files.copy(n.log(), keep.resolve(n.name() + ".log"),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (java.io.IOException e) {
                finalLogs.put(n.name() + "-copy", "(could not keep the log: " + e.getMessage() + ")");
            }
        }
    }
}
