package io.jetraft.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.IOException;
import java.net.ServerSocket;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jetraft command as a real process: flags, config file, pid file, log file and signals. */
class ServerProcessTest {

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    private static int freePort() throws IOException {
        return io.jetraft.server.support.Ports.free();
    }

    private Process jetraft(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), JetraftCommand.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout-" + processes.size() + ".txt").toFile()).start();
        processes.add(p);
        return p;
    }

    private String stdout(int index) throws IOException {
        return Files.readString(dir.resolve("stdout-" + index + ".txt"));
    }

    private static void awaitHealthy(int httpPort) {
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }

    private static void signal(Process p, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void sigtermStopsGracefullyWithExitZeroAfterWritingPidAndLogFiles() throws Exception {
        int port = freePort();
        int http = freePort();
        Path pid = dir.resolve("jetraft.pid");
        Path log = dir.resolve("jetraft.log");
        Process p = jetraft("server", "-a", "127.0.0.1", "-p", Integer.toString(port), "-m", Integer.toString(http),
                "-P", pid.toString(), "-l", log.toString(), "-n", "proc-1");
        awaitHealthy(http);
        assertThat(Files.readString(pid)).isEqualTo(Long.toString(p.pid()));
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + port)) {
            assertThat(nc.getServerInfo().getServerName()).isEqualTo("proc-1");
            signal(p, "TERM");
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(p.exitValue()).isZero();
        assertThat(pid).doesNotExist();
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertThat(lines).isNotEmpty();
        assertThat(lines).allSatisfy(line -> assertThat(line)
                .matches("\\[" + p.pid() + "] \\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6} \\[(INF|WRN|ERR|DBG)] .*"));
        assertThat(String.join("\n", lines)).contains("[INF] Listening for client connections on 127.0.0.1:" + port)
                .contains("Trapped \"terminated\" signal").contains("Server Exiting..");
    }

    @Test
    void sigintStopsGracefullyWithExitZero() throws Exception {
        int port = freePort();
        int http = freePort();
        Process p = jetraft("-a", "127.0.0.1", "-p", Integer.toString(port), "-m", Integer.toString(http));
        awaitHealthy(http);
        signal(p, "INT");
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(stdout(0)).contains("Trapped \"interrupt\" signal").contains("Server Exiting..");
    }

    @Test
    void flagsOverrideTheConfigFile() throws Exception {
        int filePort = freePort();
        int flagPort = freePort();
        int http = freePort();
        Path conf = dir.resolve("node.conf");
        Files.writeString(conf, "server_name: from-file\nlisten: 127.0.0.1:" + filePort + "\nhttp_port: " + http
                + "\nmax_payload: 64KB\n");
        Process p = jetraft("-c", conf.toString(), "-p", Integer.toString(flagPort));
        awaitHealthy(http);
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + flagPort)) {
            assertThat(nc.getServerInfo().getServerName()).isEqualTo("from-file");
            assertThat(nc.getServerInfo().getMaxPayload()).isEqualTo(64 * 1024);
        }
        signal(p, "TERM");
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void sighupReloadsRunTimeSettingsAndKeepsThePort() throws Exception {
        int port = freePort();
        int otherPort = freePort();
        int http = freePort();
        Path conf = dir.resolve("reload.conf");
        Path log = dir.resolve("reload.log");
        Files.writeString(conf, "listen: 127.0.0.1:" + port + "\nhttp_port: " + http + "\nmax_payload: 64KB\n");
        Process p = jetraft("-c", conf.toString(), "-l", log.toString());
        awaitHealthy(http);
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + port)) {
            assertThat(nc.getServerInfo().getMaxPayload()).isEqualTo(64 * 1024);
        }
        Files.writeString(conf, "listen: 127.0.0.1:" + otherPort + "\nhttp_port: " + http
                + "\nmax_payload: 128KB\nlame_duck_duration: 45s\n");
        signal(p, "HUP");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log)
                .contains("Reloaded server configuration"));
        String text = Files.readString(log);
        assertThat(text).contains("Trapped \"hangup\" signal")
                .contains("listen cannot be changed at run time (was 127.0.0.1:" + port + ", now 127.0.0.1:"
                        + otherPort + "); keeping 127.0.0.1:" + port)
                .contains("Reload: max_payload: 65536 -> 131072")
                .contains("Reload: lame_duck_duration: 2m0s -> 45s");
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + port)) {
            assertThat(nc.getServerInfo().getMaxPayload()).isEqualTo(128 * 1024);
        }
        Files.writeString(conf, "listen: 127.0.0.1:" + port + "\nmax_payload: {\n");
        signal(p, "HUP");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log)
                .contains("Failed to reload server configuration"));
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + port)) {
            assertThat(nc.getServerInfo().getMaxPayload()).isEqualTo(128 * 1024);
        }
        signal(p, "TERM");
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void sigusr1ReopensTheLogFileAfterRotation() throws Exception {
        int port = freePort();
        int http = freePort();
        Path log = dir.resolve("rotate.log");
        Path rotated = dir.resolve("rotate.log.1");
        Process p = jetraft("-a", "127.0.0.1", "-p", Integer.toString(port), "-m", Integer.toString(http), "-l",
                log.toString());
        awaitHealthy(http);
        Files.move(log, rotated);
        signal(p, "USR1");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log)
                && Files.readString(log).contains("Reopened log file"));
        assertThat(Files.readString(rotated)).contains("Server is ready").contains("Trapped \"user defined signal 1\"");
        signal(p, "TERM");
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(log)).contains("Server Exiting..");
    }

    @Test
    void aBadConfigFileIsRefusedWithFileLineAndColumn() throws Exception {
        Path conf = dir.resolve("broken.conf");
        Files.writeString(conf, "port: 4222\ncluster {\n  name: c1\n");
        Process p = jetraft("-c", conf.toString());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(stdout(0)).contains("broken.conf:");
    }

    /** Runs jetraft to its end (at most 30 s), its stdout and stderr kept apart; returns the exit code. */
    private int runToEnd(Path out, Path err, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), JetraftCommand.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        processes.add(p);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("jetraft " + String.join(" ", args) + " ended").isTrue();
        return p.exitValue();
    }

    @Test
    void testModeRefusesATypoAndAnUnknownBlockWithNatsServersWordsAndExitsOne() throws Exception {
        Path conf = dir.resolve("typo.conf");
        Files.writeString(conf, "port: 4222\n\nlame_duck_durtion: 30s\nwebsockett {\n}\n");
        Path out = dir.resolve("t.out");
        Path err = dir.resolve("t.err");
        assertThat(runToEnd(out, err, "server", "-t", "-c", conf.toString())).isEqualTo(1);
        assertThat(Files.readString(err)).isEqualTo("jetraft: " + conf + ":3:1: unknown field \"lame_duck_durtion\"\n"
                + conf + ":4:1: unknown field \"websockett\"\n");
        assertThat(Files.readString(out)).doesNotContain("valid");
    }

    @Test
    void testModeAcceptsAVariableUsedAsAValue() throws Exception {
        Path conf = dir.resolve("vars.conf");
        Files.writeString(conf, "PORT = 4222\nport: $PORT\nMONITOR = 8222\nhttp_port: $MONITOR\n");
        Path out = dir.resolve("v.out");
        Path err = dir.resolve("v.err");
        assertThat(runToEnd(out, err, "server", "-t", "-c", conf.toString())).isZero();
        assertThat(Files.readString(out)).contains("configuration file " + conf + " is valid");
        assertThat(Files.readString(err)).isEmpty();
    }

    @Test
    void aFieldJetraftDoesNotImplementStopsTheStartWithExitOneAndNoPortOpened() throws Exception {
        int port = freePort();
        int http = freePort();
        Path conf = dir.resolve("ws.conf");
        Files.writeString(conf, "listen: 127.0.0.1:" + port + "\nhttp_port: " + http
                + "\nwebsocket {\n  port: 8080\n}\n");
        Path out = dir.resolve("ws.out");
        Path err = dir.resolve("ws.err");
        assertThat(runToEnd(out, err, "server", "-c", conf.toString())).isEqualTo(1);
        assertThat(Files.readString(err)).isEqualTo("jetraft: " + conf + ":3:1: field \"websocket\" is not supported "
                + "by jetraft (nats-server knows it; remove it to start jetraft)\n");
        assertThat(Files.readString(out)).doesNotContain("Listening for client connections");
    }

    @Test
    void aTakenPortIsAClearErrorAndExitOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            Process p = jetraft("-a", "127.0.0.1", "-p", Integer.toString(taken.getLocalPort()), "-m",
                    Integer.toString(freePort()));
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(1);
            assertThat(stdout(0)).contains("Error listening on port");
        }
    }

    @Test
    void versionAndHelpFollowNatsServerFlags() throws Exception {
        Process v = jetraft("-v");
        assertThat(v.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(stdout(0)).startsWith("jetraft: v");
        Process h = jetraft("server", "-h");
        assertThat(h.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(stdout(1)).contains("-a, ", "--addr=HOST", "-p, --port", "-n, --name", "-c, --config",
                "-m, --http_port", "-js, --jetstream", "-sd, --store_dir", "-l, --log", "-P, --pid", "-D, --debug",
                "-V, --trace", "--cluster_name", "--cluster=URL", "--routes", "-v, --version", "-h, --help");
    }
}
