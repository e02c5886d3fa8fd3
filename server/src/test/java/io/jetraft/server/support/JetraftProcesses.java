package io.jetraft.server.support;

import static org.awaitility.Awaitility.await;

import io.jetraft.server.cli.JetraftCommand;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** {@code jetraft} commands run as real processes of this build; each one's output goes to a file. Closing kills. */
public final class JetraftProcesses implements AutoCloseable {

    private final Path dir;
    private final Map<Process, Path> outputs = new LinkedHashMap<>();

    public JetraftProcesses(Path dir) {
        this.dir = dir;
    }

    /** Starts {@code jetraft args...}; stdout and stderr go to one file. */
    public Process start(String... args) throws IOException {
        return startWithJvm(List.of(), args);
    }

    /** As {@link #start}, with more JVM options (e.g. {@code -Xlog:class+load}). */
    public Process startWithJvm(List<String> jvm, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m"));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), JetraftCommand.class.getName()));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("process-" + outputs.size() + ".txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        outputs.put(p, out);
        return p;
    }

    /** Runs {@code jetraft args...} to its end (at most {@code max}) and returns its exit code and output. */
    public Result run(Duration max, String... args) throws IOException, InterruptedException {
        Process p = start(args);
        if (!p.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("jetraft " + String.join(" ", args) + " did not end within " + max + ":\n"
                    + output(p));
        }
        return new Result(p.exitValue(), output(p));
    }

    /** What a finished command printed, and its exit code. */
    public record Result(int exitCode, String output) {
    }

    public String output(Process p) throws IOException {
        return Files.readString(outputs.get(p));
    }

    /** Waits until the monitoring port answers /healthz with 200. */
    public static void awaitHealthy(int httpPort, Duration max) {
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(max).ignoreExceptions().until(() -> http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : outputs.keySet()) {
            p.destroyForcibly();
        }
        for (Process p : outputs.keySet()) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
