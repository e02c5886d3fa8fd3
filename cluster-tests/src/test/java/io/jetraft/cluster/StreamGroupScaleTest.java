package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.cluster.harness.ClusterLogsOnFailure;
import io.jetraft.cluster.harness.LocalCluster;
import io.jetraft.cluster.harness.NodeProcess;
import io.jetraft.cluster.harness.ProcessFigures;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * With 10, 100 and 1,000 R3 streams on three real nodes, each node runs the same Raft groups (the meta group and its
 * replica set's stream groups) and its thread count stays small. Figures (threads, heap after GC, creation time) are
 * printed, not asserted, except the groups and the thread ceiling the design promises.
 */
@ExtendWith(ClusterLogsOnFailure.class)
class StreamGroupScaleTest {

    private static final int[] LEVELS = {10, 100, Integer.getInteger("jetraft.scale.streams", 1000)};
    private static final int MAX_THREADS = 300;

    @TempDir
    Path dir;
    LocalCluster cluster;
    final List<Connection> connections = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Connection c : connections) {
            c.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theRaftGroupsAndThreadsOfANodeDoNotGrowWithTheNumberOfStreams() throws Exception {
        cluster = LocalCluster.create(dir, 3, "").start();
        Connection admin = Nats.connect(new Options.Builder().servers(cluster.clientUrls()).maxReconnects(-1)
                .connectionTimeout(Duration.ofSeconds(10)).build());
        connections.add(admin);
        JetStreamManagement jsm = admin.jetStreamManagement(
                io.nats.client.JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(10)).build());
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> jsm.getAccountStatistics() != null);

        Map<String, Set<String>> groupsAtFirstLevel = new HashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        int created = 0;
        StringBuilder table = new StringBuilder("MEASURED: R3 streams | node | raft groups | threads | heap after GC"
                + " MiB | time to create the new streams\n");
        try {
            for (int level : LEVELS) {
                long started = System.nanoTime();
                List<Future<?>> creations = new ArrayList<>();
                for (int i = created; i < level; i++) {
                    int n = i;
                    creations.add(pool.submit(() -> {
                        await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() -> jsm.addStream(
                                StreamConfiguration.builder().name("S" + n).subjects("s." + n).replicas(3).build())
                                != null);
                        return null;
                    }));
                }
                for (Future<?> f : creations) {
                    f.get();
                }
                long createMillis = (System.nanoTime() - started) / 1_000_000;
                created = level;
                for (NodeProcess n : cluster.nodes()) {
                    n.awaitHealthy(Duration.ofSeconds(120));
                }
                assertThat(jsm.getStreamNames()).hasSize(level);
                for (NodeProcess n : cluster.nodes()) {
                    Set<String> groups = ProcessFigures.raftGroups(n);
                    int threads = ProcessFigures.threads(n);
                    double heap = ProcessFigures.heapAfterGcMiB(n);
                    table.append(String.format("MEASURED: %5d | %s | %d | %d | %.1f | %d ms%n", level, n.name(),
                            groups.size(), threads, heap, createMillis));
                    // the meta group and the three stream groups of the R3 set, whatever the number of streams
                    assertThat(groups).hasSize(4);
                    groupsAtFirstLevel.putIfAbsent(n.name(), groups);
                    assertThat(groups).as("the Raft groups of " + n.name() + " at " + level + " streams")
                            .isEqualTo(groupsAtFirstLevel.get(n.name()));
                    assertThat(threads).as("threads of " + n.name() + " at " + level + " streams")
                            .isLessThan(MAX_THREADS);
                }
            }
        } finally {
            pool.shutdownNow();
            System.out.print(table);
        }
    }
}
