package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's {@code bin/jetraft}: a node started by a shell that ignores SIGINT (a background job of a script,
 * nohup) still stops gracefully on SIGINT, and its JVM suspends threads with a signal other than SIGUSR2.
 */
class BinJetraftTest {

    @TempDir
    Path dir;

    private Process process;

    @AfterEach
    void stop() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    @Test
    void aNodeStartedWithSigintIgnoredStillStopsGracefullyOnSigint() throws Exception {
        Path script = Path.of(System.getProperty("jetraft.dist", "../server/target")).resolve("../../bin/jetraft")
                .toAbsolutePath().normalize();
        int port = freePort();
        int http = freePort();
        Path log = dir.resolve("node.log");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "trap '' INT; exec \"$0\" \"$@\"", script.toString(),
                "server", "-a", "127.0.0.1", "-p", Integer.toString(port), "-m", Integer.toString(http), "-l",
                log.toString()).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("node.stdout").toFile());
        pb.environment().put("JETRAFT_JAVA_OPTS", "-Xmx256m");
        process = pb.start();
        HttpClient client = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/healthz"))
                        .build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);

        String status = Files.readString(Path.of("/proc", Long.toString(process.pid()), "status"));
        String ignored = status.lines().filter(l -> l.startsWith("SigIgn:")).findFirst().orElseThrow();
        long mask = Long.parseLong(ignored.substring("SigIgn:".length()).trim(), 16);
        assertThat(mask & (1L << (2 - 1))).as("SIGINT is not ignored by the JVM").isZero();
        String environ = Files.readString(Path.of("/proc", Long.toString(process.pid()), "environ"));
        assertThat(List.of(environ.split("\0"))).contains("_JAVA_SR_SIGNUM=39");

        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        assertThat(Files.readString(log)).contains("Trapped \"interrupt\" signal").contains("Server Exiting..")
                .doesNotContain("thread-suspend signal");
    }

    private static int freePort() {
        return io.jetraft.cluster.harness.NodeProcess.freePort();
    }
}
