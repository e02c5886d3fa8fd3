package io.jetraft.server.cli;

import io.jetraft.config.GoDuration;
import io.jetraft.server.ops.JetStreamCheck;
import io.jetraft.server.ops.JetStreamReport;
import io.jetraft.server.ops.JszSource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jetraft check jetstream}: natscli's checks and exit codes, for pipelines and monitoring. */
@Command(name = "check", versionProvider = JetraftCommand.Version.class,
        description = "Nagios-style health checks (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).",
        subcommands = CheckCommand.Jetstream.class)
public final class CheckCommand implements Runnable {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
    boolean help;

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** Meta group and stream replica health. */
    @Command(name = "jetstream", aliases = {"js"}, description = "Check the meta group and every stream's replicas")
    static final class Jetstream implements Callable<Integer> {

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
        boolean help;

        @Option(names = {"-s", "--server"}, required = true, split = ",", paramLabel = "URL",
                description = "Monitoring URLs of the nodes (http://host:8222), comma separated or repeated")
        List<String> servers;

        @Option(names = "--replica-seen-critical", defaultValue = "5s", paramLabel = "DURATION",
                description = "A replica unseen for longer is critical (default ${DEFAULT-VALUE})")
        String seenCritical;

        @Option(names = "--replica-lag-critical", defaultValue = "200", paramLabel = "OPS",
                description = "A replica further behind is critical (default ${DEFAULT-VALUE})")
        long lagCritical;

        @Option(names = "--expect", defaultValue = "0", paramLabel = "PEERS",
                description = "How many meta peers there must be (0: do not check)")
        int expect;

        @Option(names = "--wait", paramLabel = "DURATION", description = "Poll until OK or this long has passed")
        String wait;

        @Override
        public Integer call() throws InterruptedException {
            Duration seen;
            Duration waitFor;
            try {
                seen = GoDuration.parse(seenCritical);
                waitFor = wait == null ? Duration.ZERO : GoDuration.parse(wait);
            } catch (IllegalArgumentException e) {
                System.out.println("UNKNOWN JetStream " + e.getMessage());
                return JetStreamCheck.Status.UNKNOWN.exitCode;
            }
            JetStreamCheck.Thresholds t = new JetStreamCheck.Thresholds(seen, lagCritical, expect);
            long deadline = System.nanoTime() + waitFor.toNanos();
            JszSource source = new JszSource();
            while (true) {
                JetStreamReport report = new JetStreamReport(source.fetch(JszSource.urls(servers),
                        Duration.ofSeconds(5)));
                JetStreamCheck.Verdict v = JetStreamCheck.evaluate(report, t);
                if (v.status() == JetStreamCheck.Status.OK || System.nanoTime() >= deadline) {
                    System.out.println(v.line());
                    return v.status().exitCode;
                }
                Thread.sleep(1000);
            }
        }
    }
}
