package io.jetraft.cluster.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What a running node process costs, read from outside: threads (/proc), Raft groups on disk, heap after a GC. */
public final class ProcessFigures {

    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    private ProcessFigures() {
    }

    /** The process's thread count, from /proc/PID/status. */
    public static int threads(NodeProcess n) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(n.pid()), "status"))) {
                if (line.startsWith("Threads:")) {
                    return Integer.parseInt(line.substring("Threads:".length()).trim());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no thread count for " + n.name());
    }

    /** The Raft group directories under the node's store (one per Raft group it hosts). */
    public static Set<String> raftGroups(NodeProcess n) {
        Set<String> ids = new TreeSet<>();
        Path raft = n.storeDir().resolve("raft");
        if (!Files.isDirectory(raft)) {
            return ids;
        }
        try (Stream<Path> dirs = Files.list(raft)) {
            dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).forEach(name -> {
                try {
                    UUID.fromString(name);
                    ids.add(name);
                } catch (IllegalArgumentException notAGroup) {
                    // removed-groups and such
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ids;
    }

    /** Heap in use right after a full GC (jcmd GC.run, then GC.heap_info), in MiB. */
    public static double heapAfterGcMiB(NodeProcess n) {
        jcmd(n, "GC.run");
        String info = jcmd(n, "GC.heap_info");
        long kib = 0;
        for (String line : info.lines().toList()) {
            // serial GC: one line per generation, "total NK, used NK"; metaspace lines are not heap
            if (line.contains("generation")) {
                Matcher m = USED.matcher(line);
                if (m.find()) {
                    kib += Long.parseLong(m.group(1));
                }
            }
        }
        return kib / 1024.0;
    }

    private static String jcmd(NodeProcess n, String command) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(n.pid()), command).redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("jcmd " + command + " did not finish");
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
