package io.jetraft.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.JetraftProcesses;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jetraft check jetstream} as a process: CRITICAL, with the reason, whenever a node's /healthz is not 200. */
class CheckJetStreamProcessTest {

    @TempDir
    Path dir;

    private JetraftNode node;
    private JetraftProcesses processes;

    @AfterEach
    void stop() throws Exception {
        if (processes != null) {
            processes.close();
        }
        if (node != null) {
            node.shutdown();
        }
    }

    private JetraftProcesses.Result check(JetraftNode n) throws Exception {
        processes = processes == null ? new JetraftProcesses(dir) : processes;
        return processes.run(Duration.ofSeconds(60), "check", "jetstream", "--server",
                "http://127.0.0.1:" + n.httpPort());
    }

    private static int healthz(JetraftNode n) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.httpPort()
                + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void aSingleNodeWhoseMetaGroupCannotFormIsCritical() throws Exception {
        Path store = dir.resolve("s1");
        // formed on one Raft address, restarted on another (the client port + 1000 moved): the meta group refuses
        // the new peer address and never forms, so /healthz answers 503
        JetraftNode first = JetraftNode.start(TestConfigs.node().name("s1").port(Ports.freeWithOffset(1000))
                .jetstream(store).build());
        node = first;
        // formed for sure: shut down while it was still forming, the store would hold no meta group at all
        await().atMost(Duration.ofSeconds(30)).until(() -> healthz(first) == 200);
        first.shutdown();
        node = JetraftNode.start(TestConfigs.node().name("s1").port(Ports.freeWithOffset(1000)).jetstream(store)
                .build());
        JetraftNode n = node;
        await().atMost(Duration.ofSeconds(30)).until(() -> healthz(n) == 503);

        JetraftProcesses.Result r = check(node);
        assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
        assertThat(r.output()).startsWith("CRITICAL JetStream Crit:")
                .contains("s1 not healthy: JetStream has not established contact with a meta leader");
    }

    @Test
    void aClusterNodeWhoseRoutesAreNotResolvedIsCritical() throws Exception {
        node = JetraftNode.start(TestConfigs.node().name("alone").cluster("c1", Ports.free(), Ports.free())
                .raftPort(Ports.free()).jetstream(dir.resolve("alone")).build());
        JetraftNode n = node;
        await().atMost(Duration.ofSeconds(30)).until(() -> healthz(n) == 503);

        JetraftProcesses.Result r = check(node);
        assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
        assertThat(r.output()).startsWith("CRITICAL JetStream Crit:No meta leader")
                .contains("alone not healthy: JetStream has not established contact with a meta leader");
    }

    @Test
    void aHealthySingleNodeIsOk() throws Exception {
        node = JetraftNode.start(TestConfigs.node().name("ok1").jetstream(dir.resolve("ok1")).build());
        JetraftProcesses.awaitHealthy(node.httpPort(), Duration.ofSeconds(30));

        JetraftProcesses.Result r = check(node);
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).startsWith("OK JetStream OK:1 standalone server(s), 0 streams with current replicas");
    }
}
