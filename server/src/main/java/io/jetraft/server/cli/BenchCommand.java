package io.jetraft.server.cli;

import io.jetraft.config.GoDuration;
import io.jetraft.server.bench.CoreBench;
import io.jetraft.server.bench.JsBench;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jetraft bench}: publish/subscribe throughput against any NATS server, in the spirit of {@code nats bench}. */
@Command(name = "bench", versionProvider = JetraftCommand.Version.class,
        description = "Measure core NATS publish/subscribe throughput against any NATS server ('bench js' for "
                + "JetStream).", subcommands = BenchCommand.Js.class)
public final class BenchCommand implements Callable<Integer> {

    @picocli.CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
    boolean help;

    @picocli.CommandLine.Option(names = {"-v", "--version"}, versionHelp = true, description = "Show the version and exit")
    boolean version;

    @Parameters(index = "0", defaultValue = "bench", paramLabel = "SUBJECT", description = "Subject to use")
    String subject;

    @Option(names = {"-s", "--server"}, defaultValue = "nats://127.0.0.1:4222", description = "Server URL")
    String server;

    @Option(names = "--pub", defaultValue = "1", description = "Number of concurrent publishers")
    int publishers;

    @Option(names = "--sub", defaultValue = "0", description = "Number of concurrent subscribers")
    int subscribers;

    @Option(names = "--msgs", defaultValue = "1000000", description = "Number of messages to publish")
    long messages;

    @Option(names = "--size", defaultValue = "128", description = "Size of the test messages in bytes")
    int size;

    @Option(names = "--timeout", defaultValue = "120s", description = "Give up after this long")
    String timeout;

    @Override
    public Integer call() throws Exception {
        if (publishers < 1 || subscribers < 0 || messages < 1 || size < 0) {
            System.err.println("jetraft bench: --pub must be at least 1, --msgs at least 1, --sub and --size not"
                    + " negative");
            return 2;
        }
        Duration limit = timeout("jetraft bench", timeout);
        if (limit == null) {
            return 2;
        }
        CoreBench.run(new CoreBench.Plan(server, subject, publishers, subscribers, messages, size, limit),
                System.out);
        return 0;
    }

    /** --timeout as a Go duration (10s, 2m, 500ms), as everywhere else in jetraft; null after saying why not. */
    static Duration timeout(String command, String text) {
        try {
            return GoDuration.parse(text);
        } catch (IllegalArgumentException e) {
            System.err.println(command + ": --timeout: " + e.getMessage());
            return null;
        }
    }

    /** {@code jetraft bench js}: JetStream publish (sync and async) and pull-consume rates. */
    @Command(name = "js", description = "Measure JetStream publish (sync, async) and pull-consume rates against any "
            + "NATS server with JetStream.")
    static final class Js implements Callable<Integer> {

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
        boolean help;

        @Option(names = {"-s", "--server"}, defaultValue = "nats://127.0.0.1:4222", description = "Server URL")
        String server;

        @Option(names = "--stream", defaultValue = "BENCH", description = "Stream to create (deleted afterwards)")
        String stream;

        @Option(names = "--replicas", defaultValue = "1", description = "Stream replicas (1, 3 or 5)")
        int replicas;

        @Option(names = "--sync-msgs", defaultValue = "2000", description = "Messages published one at a time")
        long syncMessages;

        @Option(names = "--async-msgs", defaultValue = "50000", description = "Messages published asynchronously")
        long asyncMessages;

        @Option(names = "--window", defaultValue = "1000", description = "PubAcks outstanding in the async phase")
        int window;

        @Option(names = "--size", defaultValue = "128", description = "Size of the test messages in bytes")
        int size;

        @Option(names = "--batch", defaultValue = "500", description = "Messages per pull request")
        int batch;

        @Option(names = "--streams", defaultValue = "100",
                description = "Streams the last phase publishes to at once (0: no such phase)")
        int streams;

        @Option(names = "--timeout", defaultValue = "120s", description = "Give up after this long")
        String timeout;

        @Option(names = "--compare", description = "A second server URL: run the same phases against it too, in "
                + "turns with the first, and print each phase's rate on both and their ratio")
        String compare;

        @Option(names = "--rounds", defaultValue = "1", description = "With --compare: runs against each server "
                + "(the table gives the median)")
        int rounds;

        @Override
        public Integer call() throws Exception {
            if (rounds < 1 || rounds > 100 || (compare != null && compare.isBlank())) {
                System.err.println("jetraft bench js: --rounds must be between 1 and 100, and --compare a server URL");
                return 2;
            }
            if (syncMessages < 1 || asyncMessages < 0 || window < 1 || size < 0 || batch < 1 || replicas < 1
                    || streams < 0 || streams > 10_000) {
                System.err.println("jetraft bench js: --sync-msgs, --window, --batch and --replicas must be at least "
                        + "1; --async-msgs and --size not negative; --streams between 0 and 10000");
                return 2;
            }
            Duration limit = timeout("jetraft bench js", timeout);
            if (limit == null) {
                return 2;
            }
            JsBench.Plan plan = new JsBench.Plan(server, stream, replicas, syncMessages, asyncMessages, window, size,
                    batch, limit, streams);
            if (compare != null) {
                JsBench.compare(plan, compare, rounds, System.out);
            } else {
                JsBench.run(plan, System.out);
            }
            return 0;
        }
    }
}
