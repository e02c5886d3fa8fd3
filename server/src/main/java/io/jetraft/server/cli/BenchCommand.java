package io.jetraft.server.cli;

import io.jetraft.server.bench.CoreBench;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jetraft bench}: publish/subscribe throughput against any NATS server, in the spirit of {@code nats bench}. */
@Command(name = "bench", versionProvider = JetraftCommand.Version.class,
        description = "Measure core NATS publish/subscribe throughput against any NATS server.")
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
        CoreBench.run(new CoreBench.Plan(server, subject, publishers, subscribers, messages, size,
                Duration.parse("PT" + timeout.toUpperCase())), System.out);
        return 0;
    }
}
