package io.jetraft.cluster.harness;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jetraft.server.signal.ProcessSignals;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One real jetraft process started from the packaged distribution, with its own ports, store directory, config file
 * and log. It can be started, signalled, killed with SIGKILL and restarted on the same directories and ports. For a
 * side-by-side comparison the same can be a real nats-server process ({@link #NATS_SERVER}, Debian's package), with a
 * config of the same shape (nats-server has no Raft port of its own, and takes no lame-duck duration under 30 s).
 */
public final class NodeProcess implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** Where Debian's nats-server package puts the binary. */
    public static final Path NATS_SERVER = Path.of("/usr/sbin/nats-server");

    private final String name;
    private final Path dir;
    private final boolean natsServer;
    private final int clientPort = freePort();
    private final int httpPort = freePort();
    private final int clusterPort = freePort();
    private final int raftPort = freePort();
    private Process process;
    private int starts;

    NodeProcess(String name, Path dir, boolean natsServer) {
        this.name = name;
        this.dir = dir;
        this.natsServer = natsServer;
    }

    /** Whether this is a nats-server process rather than a jetraft one. */
    public boolean isNatsServer() {
        return natsServer;
    }

    public String name() {
        return name;
    }

    public int clientPort() {
        return clientPort;
    }

    public int httpPort() {
        return httpPort;
    }

    public int clusterPort() {
        return clusterPort;
    }

    public int raftPort() {
        return raftPort;
    }

    public String clientUrl() {
        return "nats://127.0.0.1:" + clientPort;
    }

    public Path dir() {
        return dir;
    }

    public Path config() {
        return dir.resolve(name + ".conf");
    }

    public Path log() {
        return dir.resolve(name + ".log");
    }

    public Path storeDir() {
        return dir.resolve("store");
    }

    public Path pidFile() {
        return dir.resolve(name + ".pid");
    }

    /** Writes this node's config: loopback ports, short lame-duck times for tests, plus {@code extra} lines. */
    public void writeConfig(String cluster, List<NodeProcess> peers, String extra) {
        StringBuilder routes = new StringBuilder();
        for (NodeProcess p : peers) {
            routes.append("    nats-route://127.0.0.1:").append(p.clusterPort()).append('\n');
        }
        String conf = """
                server_name: %s
                listen: 127.0.0.1:%d
                http: 127.0.0.1:%d
                pid_file: "%s"
                lame_duck_duration: %s
                lame_duck_grace_period: 2s
                jetstream {
                  store_dir: "%s"
                }
                cluster {
                  name: %s
                  listen: 127.0.0.1:%d
                  %s
                  routes: [
                %s  ]
                }
                %s
                """.formatted(name, clientPort, httpPort, pidFile(), natsServer ? "30s" : "10s", storeDir(), cluster,
                clusterPort, natsServer ? "" : "raft_listen: 127.0.0.1:" + raftPort, routes,
                extra == null ? "" : extra);
        try {
            Files.createDirectories(dir);
            Files.writeString(config(), conf);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the process (java -Xmx256m -jar jetraft-server.jar server -c CONF -l LOG; or nats-server -c -l). */
    public NodeProcess start() {
        if (natsServer) {
            return launch(List.of(NATS_SERVER.toString(), "-c", config().toString(), "-l", log().toString()));
        }
        Path dist = Path.of(System.getProperty("jetraft.dist", "../server/target"));
        Path jar = dist.resolve("jetraft-server.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("the packaged distribution is missing: " + jar.toAbsolutePath()
                    + " (build the server module first)");
        }
        // MetaspaceSize: a node's ~48 MB of class metadata otherwise cost two full GCs in its first seconds (66-258
        // ms each with Serial), the second about when a restarted node takes its groups back
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:MetaspaceSize=96m", "-Djava.net.preferIPv4Stack=true"));
        // extra JVM options for a diagnosis run, e.g. -Djetraft.node.jvm="-Xlog:gc:file=gc.log"
        String extraJvm = System.getProperty("jetraft.node.jvm", "").trim();
        if (!extraJvm.isEmpty()) {
            cmd.addAll(List.of(extraJvm.split("\\s+")));
        }
        cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "server", "-c", config().toString(), "-l",
                log().toString()));
        return launch(cmd);
    }

    private NodeProcess launch(List<String> cmd) {
        try {
            starts++;
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".stdout").toFile()));
            // as bin/jetraft does: SIGUSR2 is lame-duck mode only, not also the JVM's thread-suspend signal
            pb.environment().put(ProcessSignals.JVM_SUSPEND_SIGNAL_ENV, ProcessSignals.JVM_SUSPEND_SIGNAL);
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Waits until /healthz answers 200. */
    public NodeProcess awaitHealthy(Duration max) {
        await().atMost(max).pollInterval(Duration.ofMillis(100)).ignoreExceptionsInstanceOf(IOException.class)
                .until(() -> {
                    if (!isAlive()) {
                        // at once, not after the whole wait
                        throw new IllegalStateException(name + " exited with " + process.exitValue());
                    }
                    return status("/healthz") == 200;
                });
        return this;
    }

    public int status(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    public JsonNode json(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** Sends a signal by name (TERM, INT, USR1, USR2, HUP, KILL) with the kill command. */
    public void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGKILL, and wait for the process to be gone. */
    public void kill9() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for the process to exit and returns its exit code. */
    public int awaitExit(Duration max) {
        try {
            if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " did not exit within " + max);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return process.exitValue();
    }

    /** The log file's text (empty if none yet). */
    public String logText() {
        try {
            return Files.exists(log()) ? Files.readString(log()) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Log and captured stdout, for a failure report. */
    public String describe() {
        StringBuilder sb = new StringBuilder("===== ").append(name).append(" (started ").append(starts)
                .append(" times) log ").append(log()).append(" =====\n").append(logText());
        Path out = dir.resolve(name + ".stdout");
        try {
            if (Files.exists(out) && Files.size(out) > 0) {
                sb.append("----- stdout/stderr -----\n").append(Files.readString(out));
            }
        } catch (IOException e) {
            sb.append("(stdout unreadable)");
        }
        return sb.toString();
    }

    @Override
    public void close() {
        kill9();
    }

    private static final int PORTS_FROM = 20_000;
    private static final int PORTS_TO = 32_000;
    /** Ports are handed out from here on, each once per test JVM, below Linux's ephemeral range (32768-60999). */
    private static final java.util.concurrent.atomic.AtomicInteger NEXT_PORT =
            new java.util.concurrent.atomic.AtomicInteger(java.util.concurrent.ThreadLocalRandom.current().nextInt(
                    PORTS_TO - PORTS_FROM));

    /**
     * A port nothing listens on now. Not an ephemeral one (port 0): the kernel also gives those to outgoing
     * connections, so between this check and the node's bind a client or route could take it and the node fail.
     */
    public static int freePort() {
        for (int tries = 0; tries < PORTS_TO - PORTS_FROM; tries++) {
            int port = PORTS_FROM + Math.floorMod(NEXT_PORT.getAndIncrement(), PORTS_TO - PORTS_FROM);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new java.net.InetSocketAddress(port));
                return port;
            } catch (IOException taken) {
                // in use: the next one
            }
        }
        throw new UncheckedIOException(new IOException("no free port in " + PORTS_FROM + "-" + PORTS_TO));
    }
}
