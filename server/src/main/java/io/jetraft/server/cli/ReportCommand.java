package io.jetraft.server.cli;

import io.jetraft.server.ops.JetStreamReport;
import io.jetraft.server.ops.JszSource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jetraft report jetstream}: the same questions as {@code nats server report jetstream}. */
@Command(name = "report", versionProvider = JetraftCommand.Version.class,
        description = "Reports about a running cluster.", subcommands = ReportCommand.Jetstream.class)
public final class ReportCommand implements Runnable {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
    boolean help;

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** The JetStream summary and the meta group, read over each node's /jsz. */
    @Command(name = "jetstream", aliases = {"js", "jsz"}, description = "JetStream summary and RAFT meta group "
            + "information of the cluster")
    static final class Jetstream implements Callable<Integer> {

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
        boolean help;

        @Option(names = {"-s", "--server"}, required = true, split = ",", paramLabel = "URL",
                description = "Monitoring URLs of the nodes (http://host:8222), comma separated or repeated")
        List<String> servers;

        @Option(names = "--json", description = "Print the report as JSON")
        boolean json;

        @Option(names = "--timeout", defaultValue = "5", description = "Seconds to wait for each node")
        int timeoutSeconds;

        @Override
        public Integer call() {
            List<JszSource.Answer> answers = new JszSource().fetch(JszSource.urls(servers),
                    Duration.ofSeconds(timeoutSeconds));
            JetStreamReport report = new JetStreamReport(answers);
            if (json) {
                System.out.println(report.toJson().toPrettyString());
            } else {
                System.out.print(report.render());
            }
            return report.answered().isEmpty() ? 1 : 0;
        }
    }
}
