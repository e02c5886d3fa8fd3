package io.jetraft.server.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.jetraft.server.cli.JetraftCommand;
import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jetraft bench} and {@code jetraft bench js} against a real node, with small counts. */
class BenchTest {

    @TempDir
    Path dir;

    private JetraftNode node;
    private String url;

    @BeforeEach
    void start() {
        node = JetraftNode.start(TestConfigs.node().name("bench1").jetstream(dir).build());
        url = "nats://127.0.0.1:" + node.clientPort();
    }

    @AfterEach
    void stop() {
        node.shutdown();
    }

    @Test
    void coreBenchCountsEveryMessageOnBothSidesAndPrintsRates() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        CoreBench.Result r = CoreBench.run(new CoreBench.Plan(url, "bench.test", 1, 1, 20_000, 128,
                Duration.ofSeconds(60)), new PrintStream(printed, true, StandardCharsets.UTF_8));
        assertThat(r.publish().messages()).isEqualTo(20_000);
        assertThat(r.subscribe().messages()).isEqualTo(20_000);
        assertThat(r.publish().bytes()).isEqualTo(20_000L * 128);
        assertThat(r.total().messagesPerSecond()).isPositive();
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .contains("NATS Pub/Sub stats:").contains(" Pub stats:").contains(" Sub stats:")
                .contains("msgs/sec").contains("MB/sec");
    }

    @Test
    void jetStreamBenchRunsEveryPhaseAndLeavesNoStreamBehind() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        JsBench.Result r = JsBench.run(new JsBench.Plan(url, "BENCHTEST", 1, 50, 1_000, 100, 128, 200,
                Duration.ofSeconds(60), 5), new PrintStream(printed, true, StandardCharsets.UTF_8));
        long total = 200 + 50 + 1_000;
        assertThat(r.sync().messages()).isEqualTo(50);
        assertThat(r.sync().p99Millis()).isGreaterThanOrEqualTo(r.sync().p50Millis()).isPositive();
        assertThat(r.async().messages()).isEqualTo(1_000);
        assertThat(r.consume().messages()).isEqualTo(total);
        assertThat(r.consumeAck().messages()).isEqualTo(total);
        assertThat(r.manyStreams().messages()).isEqualTo(1_000);
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("sync publish:").contains("async publish:")
                .contains("pull consume:").contains("pull consume + ack:").contains("async publish to 5 streams:");
        try (io.nats.client.Connection nc = io.nats.client.Nats.connect(url)) {
            assertThat(nc.jetStreamManagement().getStreamNames()).noneMatch(n -> n.startsWith("BENCHTEST"));
        }
    }

    /** --compare: the same phases against a second server, in turns, and a table of both rates and their ratio. */
    @Test
    void jetStreamBenchComparesTwoServersPhaseByPhase() throws Exception {
        JetraftNode other = JetraftNode.start(TestConfigs.node().name("bench2").jetstream(dir.resolve("other"))
                .build());
        try {
            String otherUrl = "nats://127.0.0.1:" + other.clientPort();
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            JsBench.Comparison c = JsBench.compare(new JsBench.Plan(url, "BENCHCMP", 1, 20, 500, 100, 64, 200,
                    Duration.ofSeconds(60), 3), otherUrl, 2, new PrintStream(printed, true, StandardCharsets.UTF_8));
            assertThat(c.first()).hasSize(2);
            assertThat(c.second()).hasSize(2);
            assertThat(c.second()).allSatisfy(r -> assertThat(r.async().messages()).isEqualTo(500));
            for (int i = 0; i < 5; i++) {
                assertThat(c.ratio(i)).as("phase %d", i).isPositive();
            }
            String text = printed.toString(StandardCharsets.UTF_8);
            assertThat(text).contains("Side by side, median of 2 runs each").contains(url).contains(otherUrl);
            assertThat(text.lines().filter(l -> l.startsWith(" sync publish ") || l.startsWith(" async publish ")
                    || l.startsWith(" pull consume ") || l.startsWith(" pull consume + ack ")
                    || l.startsWith(" async publish to 3 streams ")).filter(l -> l.contains("msgs/sec") && l.matches(".*\\d\\.\\d\\d$")))
                    .as("a ratio on each phase's row").hasSize(5);
            assertThat(text).contains("sync publish latency p50");
        } finally {
            other.shutdown();
        }
    }

    @Test
    void badArgumentsAreRefusedWithExitCodeTwo() {
        assertThat(JetraftCommand.execute("bench", "js", "-s", url, "--compare", url, "--rounds", "0")).isEqualTo(2);
        assertThat(JetraftCommand.execute("bench", "js", "-s", url, "--compare", " ")).isEqualTo(2);
        assertThat(JetraftCommand.execute("bench", "js", "-s", url, "--rounds", "two")).isEqualTo(2);
        assertThat(JetraftCommand.execute("bench", "-s", url, "--pub", "0", "x")).isEqualTo(2);
        assertThat(JetraftCommand.execute("bench", "-s", url, "--size", "-1", "x")).isEqualTo(2);
        assertThat(JetraftCommand.execute("bench", "-s", url, "--timeout", "5x", "x")).isEqualTo(2);
        assertThat(JetraftCommand.execute("bench", "-s", url, "--msgs", "many", "x")).isEqualTo(2);
        assertThat(JetraftCommand.execute("bench", "js", "-s", url, "--batch", "0")).isEqualTo(2);
        assertThat(JetraftCommand.execute("bench", "js", "-s", url, "--timeout", "soon")).isEqualTo(2);
        assertThat(JetraftCommand.execute("bench", "js", "-s", url, "--streams", "-1")).isEqualTo(2);
    }
}
