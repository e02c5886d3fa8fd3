package io.jetraft.server.cli;

import io.jetraft.server.node.NodeIdentity;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code jetraft} command line. As with nats-server, server flags may be given without a subcommand
 * ({@code jetraft -c n1.conf} means {@code jetraft server -c n1.conf}).
 */
@Command(name = "jetraft",
        versionProvider = JetraftCommand.Version.class,
        description = "A clustered, JetStream-style replicated storage node for NATS clients.",
        subcommands = {ServerCommand.class, BenchCommand.class, DevClusterCommand.class, ReportCommand.class,
                CheckCommand.class})
public final class JetraftCommand implements java.util.concurrent.Callable<Integer> {

    @picocli.CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
    boolean help;

    @picocli.CommandLine.Option(names = {"-v", "--version"}, versionHelp = true, description = "Show the version and exit")
    boolean version;

    private static final Set<String> TOP_LEVEL = Set.of("server", "bench", "dev-cluster", "report", "check", "help", "-sl", "--signal", "-h", "--help", "-v",
            "--version");

    @picocli.CommandLine.Option(names = {"-sl", "--signal"}, paramLabel = "CMD[=PID|PIDFILE|PREFIX*]",
            description = "Send a signal to a running jetraft: stop, quit, term, reopen, reload, ldm")
    String signal;

    @Override
    public Integer call() {
        if (signal != null) {
            return new SignalSender(System.out, System.err).send(signal);
        }
        new CommandLine(this).usage(System.out);
        return 0;
    }

    public static void main(String[] args) {
        String signal = signalOnly(args);
        if (signal != null) {
            System.exit(new SignalSender(System.out, System.err).send(signal));
        }
        io.jetraft.raft.CommonPool.atLeastTwoThreads();
        System.exit(execute(args));
    }

    /**
     * The signal spec of {@code --signal CMD}, {@code -sl CMD}, {@code --signal=CMD} or {@code -sl=CMD} given alone,
     * else null. Sent without the command-line parser: an operator's runbook runs it on a node about to hand over its
     * leaderships, and the parser's start-up (its ~170 classes, the reflection over every command) took 0.36 s of
     * the 0.42 s of CPU this JVM took from that node.
     */
    static String signalOnly(String... args) {
        if (args.length == 2 && (args[0].equals("--signal") || args[0].equals("-sl")) && !args[1].startsWith("-")) {
            return args[1];
        }
        for (String prefix : new String[] {"--signal=", "-sl="}) {
            if (args.length == 1 && args[0].startsWith(prefix) && args[0].length() > prefix.length()) {
                return args[0].substring(prefix.length());
            }
        }
        return null;
    }

    /** Runs the command line and returns its exit code (for tests and main). */
    public static int execute(String... args) {
        String[] effective = args;
        if (impliesServer(args)) {
            effective = new String[args.length + 1];
            effective[0] = "server";
            System.arraycopy(args, 0, effective, 1, args.length);
        }
        return new CommandLine(new JetraftCommand()).execute(effective);
    }

    /** Server flags without a subcommand: {@code jetraft -c n1.conf} runs {@code jetraft server -c n1.conf}. */
    private static boolean impliesServer(String... args) {
        return args.length > 0 && !TOP_LEVEL.contains(args[0]) && !args[0].startsWith("--signal=")
                && !args[0].startsWith("-sl=");
    }

    /**
     * Whether these arguments (what follows the main class or jar) run a server, as {@link #execute} dispatches
     * them: {@code server ...} or server flags alone; never {@code check}, {@code report}, {@code bench},
     * {@code dev-cluster}, {@code --signal}, help or version.
     */
    static boolean runsServer(java.util.List<String> args) {
        return !args.isEmpty() && (args.get(0).equals("server") || impliesServer(args.toArray(String[]::new)));
    }

    /** {@code jetraft -v}: our version and the nats-server version whose protocol we speak. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jetraft: v" + NodeIdentity.JETRAFT_VERSION + " (NATS protocol "
                    + NodeIdentity.NATS_COMPATIBLE_VERSION + ")"};
        }
    }
}
