package io.jetraft.server.cli;

import io.jetraft.config.ConfigException;
import io.jetraft.config.ConfigLoader;
import io.jetraft.config.ConfigOverrides;
import io.jetraft.config.LoadedConfig;
import io.jetraft.config.ServerConfig;
import io.jetraft.server.logging.LogSetup;
import io.jetraft.config.ReloadPlan;
import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.node.NodeState;
import io.jetraft.server.signal.ProcessSignals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jetraft server}: starts a node, with nats-server's flags; flags win over the config file. */
@Command(name = "server", versionProvider = JetraftCommand.Version.class,
        description = "Start a jetraft node.")
public final class ServerCommand implements Callable<Integer> {

    @picocli.CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
    boolean help;

    @picocli.CommandLine.Option(names = {"-v", "--version"}, versionHelp = true, description = "Show the version and exit")
    boolean version;

    private static final Logger LOG = LoggerFactory.getLogger("jetraft");

    @Option(names = {"-a", "--addr", "--net"}, paramLabel = "HOST", description = "Bind to host address (default: 0.0.0.0)")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "Use port for clients (default: 4222)")
    String port;

    @Option(names = {"-n", "--name", "--server_name"}, paramLabel = "NAME", description = "Server name (default: the server id)")
    String name;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Configuration file")
    Path configFile;

    @Option(names = {"-t"}, description = "Test the configuration and exit")
    boolean testConfig;

    @Option(names = {"-m", "--http_port"}, paramLabel = "PORT", description = "Use port for http monitoring (default: 8222)")
    String httpPort;

    @Option(names = {"-js", "--jetstream"}, description = "Enable JetStream functionality")
    boolean jetstream;

    @Option(names = {"-sd", "--store_dir"}, paramLabel = "DIR", description = "Set the storage directory (default: ./data)")
    String storeDir;

    @Option(names = {"-l", "--log"}, paramLabel = "FILE", description = "File to redirect log output")
    String logFile;

    @Option(names = {"-P", "--pid"}, paramLabel = "FILE", description = "File to store the process id")
    String pidFile;

    @Option(names = {"-D", "--debug"}, description = "Enable debugging output")
    boolean debug;

    @Option(names = {"-V", "--trace"}, description = "Trace the raw protocol")
    boolean trace;

    @Option(names = {"--cluster_name"}, paramLabel = "NAME", description = "Cluster name")
    String clusterName;

    @Option(names = {"--cluster"}, paramLabel = "URL", description = "Cluster listen URL, e.g. nats://0.0.0.0:6222")
    String clusterListen;

    @Option(names = {"--routes"}, paramLabel = "URLS", description = "Routes to solicit, comma separated")
    String routes;

    @Override
    public Integer call() {
        LoadedConfig loaded;
        try {
            loaded = ConfigLoader.load(Optional.ofNullable(configFile), overrides());
        } catch (ConfigException e) {
            System.err.println("jetraft: " + e.getMessage());
            return 1;
        }
        if (testConfig) {
            loaded.warnings().forEach(w -> System.err.println("jetraft: warning: " + w));
            System.out.println("jetraft: configuration " + (configFile == null ? "(defaults)" : "file " + configFile)
                    + " is valid");
            return 0;
        }
        ServerConfig config = loaded.config();
        LogSetup.configure(config.logFile(), config.debug(), config.trace(), config.logTime());
        loaded.warnings().forEach(w -> LOG.warn("{}", w));

        // Signals are trapped before the node starts (as nats-server does): one that arrives while the node starts
        // acts once it is up. Trapped after the start, a SIGHUP sent as soon as /healthz answered could still meet
        // the JVM's own handler, which exits.
        CompletableFuture<JetraftNode> started = new CompletableFuture<>();
        trapSignals(started);
        JetraftNode node;
        try {
            node = JetraftNode.start(config);
        } catch (RuntimeException e) {
            started.completeExceptionally(e);
            LOG.error("{}", e.getMessage() == null ? e.toString() : e.getMessage());
            LOG.debug("start-up failure", e);
            return 1;
        }
        started.complete(node);
        while (!node.awaitStopped(Duration.ofDays(1))) {
            // keep waiting: the node stops on a signal
        }
        if (!node.awaitExit(Duration.ofSeconds(5))) {
            LOG.warn("Lame duck mode did not finish logging within 5 s of the shutdown; exiting");
        }
        return 0;
    }

    private void trapSignals(CompletableFuture<JetraftNode> started) {
        ProcessSignals.trap("INT", "interrupt", () -> whenStarted(started, JetraftNode::shutdown));
        ProcessSignals.trap("TERM", "terminated", () -> whenStarted(started, node -> {
            if (node.state() == NodeState.LAME_DUCK) {
                // Kubernetes and systemd send TERM right after a pre-stop hook: the drain goes on (nats-server #1973)
                LOG.info("In lame duck mode: ignoring SIGTERM, the drain goes on");
            } else {
                node.shutdown();
            }
        }));
        ProcessSignals.trap("USR1", "user defined signal 1", () -> {
            LogSetup.reopen();
            LOG.info("Reopened log file");
        });
        ProcessSignals.trap("USR2", "user defined signal 2", () -> whenStarted(started,
                JetraftNode::enterLameDuckMode));
        ProcessSignals.warnIfSigusr2IsTheJvmsSuspendSignal();
        ProcessSignals.trap("HUP", "hangup", () -> whenStarted(started, this::reload));
    }

    /** Runs {@code action} on the node once it has started (on this signal's own thread); never if it failed to. */
    private static void whenStarted(CompletableFuture<JetraftNode> started, Consumer<JetraftNode> action) {
        JetraftNode node;
        try {
            node = started.join();
        } catch (CompletionException | CancellationException e) {
            return;
        }
        action.accept(node);
    }

    /** SIGHUP: reads the config file again; run-time settings change, the others are reported and kept. */
    private void reload(JetraftNode node) {
        LoadedConfig next;
        try {
            next = ConfigLoader.load(Optional.ofNullable(configFile), overrides());
        } catch (ConfigException e) {
            LOG.error("Failed to reload server configuration: {}", e.getMessage());
            return;
        }
        next.warnings().forEach(w -> LOG.warn("{}", w));
        ReloadPlan plan = ReloadPlan.between(node.config(), next.config());
        plan.refused().forEach(r -> LOG.warn("Reload: {}", r));
        ServerConfig before = node.config();
        node.applyConfig(plan.effective());
        ServerConfig after = plan.effective();
        if (before.debug() != after.debug() || before.trace() != after.trace() || before.logTime() != after.logTime()
                || !before.logFile().equals(after.logFile())) {
            LogSetup.configure(after.logFile(), after.debug(), after.trace(), after.logTime());
        }
        plan.applied().forEach(a -> LOG.info("Reload: {}", a));
        LOG.info("Reloaded server configuration");
    }

    private ConfigOverrides overrides() {
        ConfigOverrides.Builder b = ConfigOverrides.builder()
                .put("host", host)
                .put("port", port)
                .put("server_name", name)
                .put("http_port", httpPort)
                .put("jetstream.store_dir", storeDir)
                .put("log_file", logFile)
                .put("pid_file", pidFile)
                .put("cluster.name", clusterName)
                .put("cluster.listen", clusterListen)
                .put("cluster.routes", routes);
        if (jetstream) {
            b.put("jetstream.enabled", Boolean.TRUE);
        }
        if (debug) {
            b.put("debug", Boolean.TRUE);
        }
        if (trace) {
            b.put("trace", Boolean.TRUE);
        }
        return b.build();
    }
}
