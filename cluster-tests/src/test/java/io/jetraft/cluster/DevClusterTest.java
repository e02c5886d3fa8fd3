package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's {@code bin/jetraft dev-cluster} on the configs of {@code examples/cluster/} (their ports moved to free
 * ones): it starts three nodes that form one cluster, says where each logs, and Ctrl-C (SIGINT) stops all three.
 */
class DevClusterTest {

    private static final Pattern NODE_LINE = Pattern.compile(
            "^\\s+(n\\d)\\s+pid (\\d+)\\s+clients (nats://\\S+)\\s+monitor (http://\\S+)\\s+log (\\S+)$");

    @TempDir
    Path dir;

    private Process process;
    private final List<ProcessHandle> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.forEach(ProcessHandle::destroyForcibly);
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    @Test
    void startsTheExampleClusterSaysWhereEachNodeLogsAndStopsItOnCtrlC() throws Exception {
        Path root = Path.of(System.getProperty("jetraft.dist", "../server/target")).resolve("../..").toAbsolutePath()
                .normalize();
        Path configs = Files.createDirectories(dir.resolve("configs"));
        int[][] ports = new int[4][3];
        for (int[] kind : ports) {
            for (int i = 0; i < 3; i++) {
                kind[i] = freePort();
            }
        }
        for (int n = 1; n <= 3; n++) {
            String text = Files.readString(root.resolve("examples/cluster/n" + n + ".conf"));
            int k = 0;
            for (int base : new int[] {4222, 8222, 6222, 7222}) {
                for (int i = 0; i < 3; i++) {
                    text = text.replace(":" + (base + i), ":" + ports[k][i])
                            .replace("http_port: " + (base + i), "http_port: " + ports[k][i]);
                }
                k++;
            }
            assertThat(text).doesNotContain("4222").doesNotContain("6222").doesNotContain("7222");
            Files.writeString(configs.resolve("n" + n + ".conf"), text + "\nlame_duck_duration: 2s\n"
                    + "lame_duck_grace_period: 1s\n");
        }
        Path stdout = dir.resolve("dev-cluster.stdout");
        ProcessBuilder pb = new ProcessBuilder(root.resolve("bin/jetraft").toString(), "dev-cluster",
                "--config-dir", configs.toString()).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(stdout.toFile());
        pb.environment().put("JETRAFT_JAVA_OPTS", "-Xmx128m");
        process = pb.start();

        List<Matcher> lines = new ArrayList<>();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
            lines.clear();
            for (String line : Files.readAllLines(stdout, StandardCharsets.UTF_8)) {
                Matcher m = NODE_LINE.matcher(line);
                if (m.matches()) {
                    lines.add(m);
                }
            }
            return lines.size() == 3;
        });
        for (Matcher m : lines) {
            nodes.add(ProcessHandle.of(Long.parseLong(m.group(2))).orElseThrow());
            assertThat(dir.resolve(m.group(5)).toAbsolutePath().normalize())
                    .startsWithRaw(dir.resolve("data/dev-cluster"));
        }
        HttpClient http = HttpClient.newHttpClient();
        for (Matcher m : lines) {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> http.send(HttpRequest.newBuilder(URI.create(m.group(4) + "/healthz")).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        }
        try (Connection first = Nats.connect(lines.get(0).group(3));
             Connection third = Nats.connect(lines.get(2).group(3))) {
            Subscription sub = first.subscribe("dev.hello");
            first.flush(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                third.publish("dev.hello", "hi".getBytes(StandardCharsets.UTF_8));
                Message msg = sub.nextMessage(Duration.ofMillis(200));
                return msg != null && "hi".equals(new String(msg.getData(), StandardCharsets.UTF_8));
            });
        }

        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        assertThat(Files.readString(stdout)).contains("jetraft dev-cluster: stopping");
        for (ProcessHandle node : nodes) {
            assertThat(node.isAlive()).as("node pid %d stopped", node.pid()).isFalse();
        }
        for (Matcher m : lines) {
            assertThat(Files.readString(dir.resolve(m.group(5)))).contains("Server Exiting..");
        }
    }

    private static int freePort() {
        return io.jetraft.cluster.harness.NodeProcess.freePort();
    }
}
