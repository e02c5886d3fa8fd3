package io.jetraft.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.JetraftProcesses;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster node started once with {@code -n} and restarted without it is the same node: its store names it
 * (node.json), so it rejoins the meta group and its stream replica under that name.
 */
class ClusterNodeRestartProcessTest {

    @TempDir
    Path dir;

    private final int[] clusterPorts = {Ports.free(), Ports.free(), Ports.free()};
    private final JetraftNode[] inProcess = new JetraftNode[2];
    private JetraftProcesses processes;

    @AfterEach
    void stop() throws Exception {
        if (processes != null) {
            processes.close();
        }
        for (JetraftNode n : inProcess) {
            if (n != null) {
                n.shutdown();
            }
        }
    }

    @Test
    void aClusterNodeRestartedWithoutItsNameKeepsItsPlace() throws Exception {
        for (int i = 0; i < 2; i++) {
            inProcess[i] = JetraftNode.start(TestConfigs.node().name("n" + (i + 1)).cluster("c1", clusterPorts[i],
                    clusterPorts).raftPort(Ports.free()).jetstream(dir.resolve("n" + (i + 1))).build());
        }
        int client = Ports.free();
        int http = Ports.free();
        Path conf = dir.resolve("n3.conf");
        // no server_name in the file: the first start names the node with -n
        Files.writeString(conf, "listen: 127.0.0.1:" + client + "\nhttp: 127.0.0.1:" + http + "\njetstream { "
                + "store_dir: \"" + dir.resolve("n3") + "\" }\ncluster {\n  name: c1\n  listen: 127.0.0.1:"
                + clusterPorts[2] + "\n  raft_listen: 127.0.0.1:" + Ports.free() + "\n  routes: [nats-route://127.0.0.1:"
                + clusterPorts[0] + ", nats-route://127.0.0.1:" + clusterPorts[1] + "]\n}\n");
        processes = new JetraftProcesses(dir);
        Process first = processes.start("server", "-c", conf.toString(), "-n", "n3");
        JetraftProcesses.awaitHealthy(http, Duration.ofSeconds(60));
        // n3 is healthy once it and one other node form the meta group; n1 joins it when its own route to n3 is up
        await().atMost(Duration.ofSeconds(30)).until(() -> inProcess[0].jetstream().raftNode().meta().peers().size()
                == 3);
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + inProcess[0].clientPort())) {
            nc.jetStreamManagement().addStream(StreamConfiguration.builder().name("R3").subjects("r3").replicas(3)
                    .build());
            JetStream js = nc.jetStream();
            for (int k = 0; k < 5; k++) {
                js.publish("r3", ("before " + k).getBytes());
            }
            new ProcessBuilder("kill", "-INT", Long.toString(first.pid())).start().waitFor();
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            for (int k = 0; k < 5; k++) {
                js.publish("r3", ("while down " + k).getBytes());
            }
        }

        Process second = processes.start("server", "-c", conf.toString());
        JetraftProcesses.awaitHealthy(http, Duration.ofSeconds(60));
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + client)) {
            assertThat(nc.getServerInfo().getServerName()).isEqualTo("n3");
            assertThat(nc.jetStreamManagement().getStreamInfo("R3").getStreamState().getMsgCount()).isEqualTo(10);
        }
        assertThat(inProcess[0].jetstream().raftNode().meta().peers()).extracting(p -> p.name())
                .containsExactlyInAnyOrder("n1", "n2", "n3");
        assertThat(processes.output(second)).contains("Name:     n3").doesNotContain("New node identity");
    }
}
