package io.jetraft.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.JetraftProcesses;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StreamConfiguration;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a node starts as a real process: the README's command run twice is the same node with the same streams, and a
 * node that cannot have its store or its Raft port exits with the reason before it opens any other port.
 */
class StartUpProcessTest {

    @TempDir
    Path dir;

    private JetraftProcesses processes;
    private final List<ServerSocket> held = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (processes != null) {
            processes.close();
        }
        for (ServerSocket s : held) {
            s.close();
        }
    }

    private JetraftProcesses processes() {
        if (processes == null) {
            processes = new JetraftProcesses(dir);
        }
        return processes;
    }

    /** A port held by this test: a node that tried to listen on it would fail with "Error listening on port". */
    private int hold() throws Exception {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        held.add(s);
        return s.getLocalPort();
    }

    @Test
    void theReadmeCommandRunTwiceIsTheSameNodeWithItsStreamsAndHealthy() throws Exception {
        int port = Ports.freeWithOffset(1000);
        int http = Ports.free();
        Path store = dir.resolve("data");
        String[] readme = {"server", "-js", "-sd", store.toString(), "-a", "127.0.0.1", "-p", Integer.toString(port),
                "-m", Integer.toString(http)};
        Process first = processes().start(readme);
        JetraftProcesses.awaitHealthy(http, Duration.ofSeconds(60));
        String name;
        String id;
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + port)) {
            name = nc.getServerInfo().getServerName();
            id = nc.getServerInfo().getServerId();
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("KEPT").subjects("kept.>").build());
            nc.jetStream().publish("kept.1", "first run".getBytes());
        }
        JsonNode kept = new ObjectMapper().readTree(store.resolve("node.json").toFile());
        assertThat(kept.path("server_name").asText()).isEqualTo(name);
        assertThat(kept.path("server_id").asText()).isEqualTo(id);
        assertThat(Files.readString(store.resolve("node.json"))).contains("\"server_name\": \"" + name + "\"");
        new ProcessBuilder("kill", "-INT", Long.toString(first.pid())).start().waitFor();
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).isZero();

        Process second = processes().start(readme);
        JetraftProcesses.awaitHealthy(http, Duration.ofSeconds(60));
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + port)) {
            assertThat(nc.getServerInfo().getServerName()).isEqualTo(name);
            assertThat(nc.getServerInfo().getServerId()).isEqualTo(id);
            assertThat(nc.jetStreamManagement().getStreamInfo("KEPT").getStreamState().getMsgCount()).isEqualTo(1);
        } catch (java.io.IOException e) {
            throw new AssertionError("second run: " + e + "\n" + processes().output(second), e);
        }
        assertThat(processes().output(second)).doesNotContain("Could not form the JetStream meta group")
                .doesNotContain("New node identity");
    }

    @Test
    void aSecondNodeOnALockedStoreExitsWithTheReasonBeforeOpeningAnyPortOrRoute() throws Exception {
        Path store = dir.resolve("shared");
        try (JetraftNode first = JetraftNode.start(TestConfigs.node().jetstream(store).build());
             ServerSocket peer = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            int client = hold();
            int http = hold();
            int cluster = hold();
            JetraftProcesses.Result r = processes().run(Duration.ofSeconds(60), "server", "-js", "-sd",
                    store.toString(), "-a", "127.0.0.1", "-p", Integer.toString(client), "-m", Integer.toString(http),
                    "--cluster_name", "c1", "--cluster", "nats://127.0.0.1:" + cluster,
                    "--routes", "nats://127.0.0.1:" + peer.getLocalPort());
            assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
            assertThat(r.output()).contains("the store directory " + store.resolve("rocksdb") + " is locked")
                    .doesNotContain("Error listening").doesNotContain("Starting http monitor")
                    .doesNotContain("Listening for client connections").doesNotContain("Listening for route");
            assertNoConnection(peer);
            assertThat(first.jetstream().healthProblem()).isEmpty();
        }
    }

    @Test
    void aNodeWhoseRaftPortIsTakenExitsWithTheReasonBeforeOpeningAnyPortOrRoute() throws Exception {
        int raft = hold();
        try (ServerSocket peer = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            Path conf = dir.resolve("raft-taken.conf");
            Files.writeString(conf, "server_name: r1\nlisten: 127.0.0.1:" + hold() + "\nhttp: 127.0.0.1:" + hold()
                    + "\njetstream { store_dir: \"" + dir.resolve("r1") + "\" }\ncluster {\n  name: c1\n  listen: "
                    + "127.0.0.1:" + hold() + "\n  raft_listen: 127.0.0.1:" + raft + "\n  routes: "
                    + "[nats-route://127.0.0.1:" + peer.getLocalPort() + "]\n}\n");
            JetraftProcesses.Result r = processes().run(Duration.ofSeconds(60), "server", "-c", conf.toString());
            assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
            assertThat(r.output()).contains("cannot listen for Raft on 127.0.0.1:" + raft + ": Address already in use")
                    .doesNotContain("Error listening").doesNotContain("Starting http monitor")
                    .doesNotContain("Listening for client connections").doesNotContain("Terminating with exit status");
            assertNoConnection(peer);
        }
    }

    @Test
    void aConfiguredNameOtherThanTheStoresIsRefusedWithWhatToDo() throws Exception {
        Path store = dir.resolve("a-store");
        JetraftNode.start(TestConfigs.node().name("a").jetstream(store).build()).shutdown();
        assertThatThrownBy(() -> JetraftNode.start(TestConfigs.node().name("b").jetstream(store).build()))
                .hasMessageContaining("the store directory " + store.toAbsolutePath() + " belongs to server \"a\"")
                .hasMessageContaining("this node is configured as \"b\"")
                .hasMessageContaining("Start it with server_name \"a\" (-n a), or give \"b\" a store directory of "
                        + "its own");
        try (JetraftNode again = JetraftNode.start(TestConfigs.node().jetstream(store).build())) {
            assertThat(again.identity().serverName()).isEqualTo("a");
        }
    }

    /** Nothing dialled this listener: a connection made and dropped would still wait in its accept queue. */
    private static void assertNoConnection(ServerSocket peer) throws Exception {
        peer.setSoTimeout(500);
        assertThatThrownBy(() -> peer.accept().close()).isInstanceOf(SocketTimeoutException.class);
    }
}
