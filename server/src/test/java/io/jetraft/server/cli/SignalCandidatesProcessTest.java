package io.jetraft.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.support.JetraftProcesses;
import io.jetraft.server.support.Ports;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jetraft --signal} picks running servers only: a {@code check --wait} beside a node is never a candidate. */
class SignalCandidatesProcessTest {

    @TempDir
    Path dir;

    private JetraftProcesses processes;

    @AfterEach
    void stop() throws Exception {
        if (processes != null) {
            processes.close();
        }
    }

    @Test
    void aRunningCheckIsNeverSignalledAndTheNodeIsFoundWithoutASelector() throws Exception {
        int http = Ports.free();
        Process node = startServer(http);
        // nothing answers on port 1: the check polls (UNKNOWN) until --wait runs out
        Process check = processes.start("check", "jetstream", "--server", "http://127.0.0.1:1", "--wait", "5m");
        JetraftProcesses.awaitHealthy(http, Duration.ofSeconds(60));
        assertThat(check.isAlive()).isTrue();

        // the node is the one candidate (a server left by an earlier test may take a moment to go away)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(SignalSender.runningServers())
                .containsExactly(node.pid()));

        Sent noSelector = send("reopen");
        assertThat(noSelector.exitCode()).as(noSelector.err()).isZero();
        assertThat(noSelector.out()).isEqualTo("jetraft: sent SIGUSR1 (reopen) to " + node.pid() + "\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> processes.output(node).contains("Reopened log file"));

        Sent atCheck = send("reopen=" + check.pid());
        assertThat(atCheck.exitCode()).isEqualTo(1);
        assertThat(atCheck.err()).isEqualTo("jetraft: process " + check.pid() + " is not a jetraft server\n");
        assertThat(atCheck.out()).isEmpty();
        assertThat(check.isAlive()).as(processes.output(check)).isTrue();
        assertThat(node.isAlive()).isTrue();
    }

    /**
     * {@code jetraft --signal} sends its signal without starting the command-line parser: an operator runs it on the
     * node about to hand over its leaderships, and the parser's start-up took 0.36 s of CPU of the 0.42 s the
     * command took (0.06 s without it); under the rolling drill's load the node trapped the signal 1.3-1.8 s after
     * the command started, while hand-backs landed on the same two cores.
     */
    @Test
    void aSignalIsSentWithoutStartingTheCommandLineParser() throws Exception {
        int http = Ports.free();
        Process node = startServer(http);
        JetraftProcesses.awaitHealthy(http, Duration.ofSeconds(60));

        for (List<String> form : List.of(List.of("--signal", "reopen=" + node.pid()),
                List.of("-sl", "reopen=" + node.pid()), List.of("--signal=reopen=" + node.pid()),
                List.of("-sl=reopen=" + node.pid()))) {
            Process signal = processes.startWithJvm(List.of("-Xlog:class+load"), form.toArray(String[]::new));
            assertThat(signal.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            String out = processes.output(signal);
            assertThat(signal.exitValue()).as(out).isZero();
            assertThat(out).as("%s", form).contains("jetraft: sent SIGUSR1 (reopen) to " + node.pid())
                    .doesNotContain("picocli.");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> processes.output(node).split("Reopened log file").length > 4);
        assertThat(JetraftCommand.signalOnly("--signal")).isNull();
        assertThat(JetraftCommand.signalOnly("--signal", "-h")).isNull();
        assertThat(JetraftCommand.signalOnly("--signal=")).isNull();
        assertThat(JetraftCommand.signalOnly("--signal", "ldm", "-c", "x.conf")).isNull();
    }

    @Test
    void onlyArgumentsThatRunAServerMakeACandidate() {
        assertThat(JetraftCommand.runsServer(List.of("server", "-c", "n1.conf"))).isTrue();
        assertThat(JetraftCommand.runsServer(List.of("-c", "n1.conf"))).isTrue();
        assertThat(JetraftCommand.runsServer(List.of("-js", "-sd", "data"))).isTrue();
        for (List<String> notServers : List.of(List.of("check", "jetstream", "--wait", "30s"),
                List.of("check", "js", "-s", "localhost:8222"), List.of("report", "jetstream", "-s", "x"),
                List.of("bench", "js"), List.of("dev-cluster"), List.of("--signal", "ldm"), List.of("--signal=ldm"),
                List.of("-sl", "reload"), List.of("-sl=reload"), List.of("-h"), List.of("--version"), List.of("help"),
                List.<String>of())) {
            assertThat(JetraftCommand.runsServer(notServers)).as("%s", notServers).isFalse();
        }
    }

    /** A node on loopback, its monitoring port {@code http}, started with the processes of this test. */
    private Process startServer(int http) throws java.io.IOException {
        processes = new JetraftProcesses(dir);
        return processes.start("server", "-a", "127.0.0.1", "-p", Integer.toString(Ports.free()), "-m",
                Integer.toString(http));
    }

    private record Sent(int exitCode, String out, String err) {
    }

    private static Sent send(String spec) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new SignalSender(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).send(spec);
        return new Sent(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
