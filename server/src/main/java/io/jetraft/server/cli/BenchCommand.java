package io.jetraft.server.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code jetraft bench}: publish/subscribe throughput against any NATS server, in the spirit of {@code nats bench}. */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = JetraftCommand.Version.class,
        description = "Measure publish/subscribe throughput.")
public final class BenchCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        return 0;
    }
}
