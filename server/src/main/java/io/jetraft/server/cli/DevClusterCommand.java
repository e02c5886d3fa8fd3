package io.jetraft.server.cli;

import io.jetraft.config.ConfigException;
import io.jetraft.config.ConfigLoader;
import io.jetraft.config.ConfigOverrides;
import io.jetraft.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code jetraft dev-cluster}: runs a three-node cluster on loopback from {@code examples/cluster/*.conf}, one
 * child process per node, each logging to its own file; Ctrl-C (or SIGTERM) stops them all gracefully.
 */
@Command(name = "dev-cluster", versionProvider = JetraftCommand.Version.class,
        description = "Run the example three-node cluster on loopback until interrupted.")
public final class DevClusterCommand implements Callable<Integer> {

    @picocli.CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
    boolean help;

    @Option(names = "--config-dir", paramLabel = "DIR", description = "Directory of the node configs "
            + "(default: examples/cluster of this checkout)")
    Path configDir;

    @Option(names = "--log-dir", paramLabel = "DIR", defaultValue = "data/dev-cluster",
            description = "Where each node's log goes (default: ${DEFAULT-VALUE})")
    Path logDir;

    @Override
    public Integer call() throws Exception {
        Path dir = configDir != null ? configDir : defaultConfigDir();
        List<Path> configs;
        try (Stream<Path> files = Files.list(dir)) {
            configs = files.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
        } catch (IOException e) {
            System.err.println("jetraft dev-cluster: cannot read config directory " + dir + ": " + e.getMessage());
            return 1;
        }
        if (configs.isEmpty()) {
            System.err.println("jetraft dev-cluster: no .conf files in " + dir);
            return 1;
        }
        // every config is checked before any node starts, so that a bad one leaves no half-started cluster behind
        List<ServerConfig> loaded = new ArrayList<>();
        for (Path config : configs) {
            try {
                loaded.add(ConfigLoader.load(Optional.of(config), ConfigOverrides.none()).config());
            } catch (ConfigException e) {
                System.err.println("jetraft dev-cluster: " + e.getMessage());
                return 1;
            }
        }
        Files.createDirectories(logDir);
        List<Process> nodes = new ArrayList<>();
        System.out.println("jetraft dev-cluster: starting " + configs.size() + " nodes from " + dir);
        for (int i = 0; i < configs.size(); i++) {
            Path config = configs.get(i);
            ServerConfig c = loaded.get(i);
            String name = c.serverName().isBlank() ? config.getFileName().toString() : c.serverName();
            Path log = logDir.resolve(name + ".log");
            ProcessBuilder pb = new ProcessBuilder(javaCommand("server", "-c", config.toString(), "-l",
                    log.toString())).inheritIO();
            pb.environment().putIfAbsent(io.jetraft.server.signal.ProcessSignals.JVM_SUSPEND_SIGNAL_ENV,
                    io.jetraft.server.signal.ProcessSignals.JVM_SUSPEND_SIGNAL);
            Process p = pb.start();
            nodes.add(p);
            System.out.printf("  %-4s pid %-7d clients nats://%s:%d  monitor http://%s:%d  log %s%n", name, p.pid(),
                    c.clientListen().host(), c.clientListen().port(), c.httpListen().host(), c.httpListen().port(),
                    log);
        }
        System.out.println("Press Ctrl-C to stop the cluster.");
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Thread watcher = new Thread(() -> {
            for (Process p : nodes) {
                try {
                    p.waitFor();
                } catch (InterruptedException e) {
                    return;
                }
            }
            stop.countDown();
        }, "dev-cluster-watcher");
        watcher.setDaemon(true);
        watcher.start();
        stop.await();
        System.out.println("jetraft dev-cluster: stopping");
        for (Process p : nodes) {
            p.destroy();
        }
        for (Process p : nodes) {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        return 0;
    }

    /** examples/cluster in the current directory, or in the checkout this jar was built in. */
    private static Path defaultConfigDir() {
        Path here = Path.of("examples", "cluster");
        if (Files.isDirectory(here)) {
            return here;
        }
        try {
            Path jar = Path.of(DevClusterCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path candidate = jar.getParent().getParent().getParent().resolve("examples").resolve("cluster");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        } catch (Exception e) {
            // fall through to the relative default
        }
        return here;
    }

    static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xmx256m");
        // a node uses ~48 MB of class metadata; below this threshold the JVM collects (a full GC with Serial) as it grows
        cmd.add("-XX:MetaspaceSize=96m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(JetraftCommand.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }
}
