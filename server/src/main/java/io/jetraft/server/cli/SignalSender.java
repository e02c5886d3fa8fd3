package io.jetraft.server.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code jetraft --signal CMD[=PID|PIDFILE|PREFIX*]}, as nats-server's {@code --signal}: finds the running jetraft
 * server (or the one named by pid, pid file or pid prefix) and sends it the signal for the command.
 */
final class SignalSender {

    /** Command to signal, as nats-server's CommandToSignal. */
    static final Map<String, String> COMMANDS = Map.of(
            "stop", "KILL",
            "quit", "INT",
            "term", "TERM",
            "reopen", "USR1",
            "reload", "HUP",
            "ldm", "USR2");

    private final PrintStream out;
    private final PrintStream err;

    SignalSender(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Returns the exit code: 0 when every signal was sent. */
    int send(String spec) {
        String[] parts = spec.split("=", -1);
        if (parts.length > 2) {
            return fail("invalid signal parameters: " + Arrays.toString(parts));
        }
        String command = parts[0];
        String signal = COMMANDS.get(command);
        if (signal == null) {
            return fail("unknown signal \"" + command + "\"");
        }
        String selector = parts.length == 2 ? parts[1] : "";
        List<Long> targets;
        try {
            targets = targets(selector);
        } catch (IllegalArgumentException e) {
            return fail(e.getMessage());
        }
        List<String> failures = new ArrayList<>();
        for (long pid : targets) {
            String error = kill(signal, pid);
            if (error != null) {
                failures.add("signal \"" + command + "\" " + pid + ": " + error);
            } else {
                out.println("jetraft: sent SIG" + signal + " (" + command + ") to " + pid);
            }
        }
        if (!failures.isEmpty()) {
            return fail(String.join("\n", failures));
        }
        return 0;
    }

    private List<Long> targets(String selector) {
        List<Long> running = runningServers();
        if (selector.isEmpty()) {
            if (running.isEmpty()) {
                throw new IllegalArgumentException("no jetraft processes running");
            }
            if (running.size() > 1) {
                StringBuilder sb = new StringBuilder("multiple jetraft processes running:");
                running.forEach(p -> sb.append('\n').append(p));
                throw new IllegalArgumentException(sb.toString());
            }
            return running;
        }
        if (selector.endsWith("*")) {
            String prefix = selector.substring(0, selector.length() - 1);
            if (!prefix.isEmpty() && !prefix.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("invalid pid: " + prefix);
            }
            List<Long> matching = running.stream().filter(p -> Long.toString(p).startsWith(prefix)).toList();
            if (matching.isEmpty()) {
                throw new IllegalArgumentException("no jetraft processes running with a pid starting with " + prefix);
            }
            return matching;
        }
        String pidText = selector;
        Path file = Path.of(selector);
        if (!selector.chars().allMatch(Character::isDigit)) {
            if (!Files.exists(file) && !selector.contains("/")) {
                throw new IllegalArgumentException("invalid pid: " + selector);
            }
            try {
                pidText = Files.readString(file, StandardCharsets.US_ASCII).trim();
            } catch (IOException e) {
                throw new IllegalArgumentException("could not read pid file " + selector + ": "
                        + (e.getMessage() == null ? e.toString() : e.getClass().getSimpleName() + " " + e.getMessage()));
            }
            if (pidText.isEmpty() || !pidText.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("pid file " + selector + " does not hold a pid: \""
                        + pidText + "\"");
            }
        }
        long pid;
        try {
            pid = Long.parseLong(pidText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid pid: " + pidText);
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive()) {
            throw new IllegalArgumentException("no process with pid " + pid);
        }
        if (!isJetraftServer(process.get())) {
            throw new IllegalArgumentException("process " + pid + " is not a jetraft server");
        }
        return List.of(pid);
    }

    /** Every live jetraft server process but this one, by pid. */
    static List<Long> runningServers() {
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self)
                .filter(SignalSender::isJetraftServer)
                .map(ProcessHandle::pid)
                .sorted()
                .toList();
    }

    /**
     * A java process running jetraft's jar or main class as a server: its arguments dispatch to {@code server}, so
     * {@code check}, {@code report}, {@code bench}, {@code dev-cluster} and {@code --signal} are never candidates.
     */
    static boolean isJetraftServer(ProcessHandle p) {
        String[] args = arguments(p);
        if (args == null) {
            return false;
        }
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            boolean main = a.equals(JetraftCommand.class.getName())
                    || (a.endsWith("jetraft-server.jar") && i > 0 && args[i - 1].equals("-jar"));
            if (main) {
                return JetraftCommand.runsServer(Arrays.asList(args).subList(i + 1, args.length));
            }
        }
        return false;
    }

    /**
     * The process's arguments (without the command). The JDK reads only the first 4 KiB of a Linux command line and
     * reports no arguments past that, so a java started with a long class path is read from /proc itself.
     */
    private static String[] arguments(ProcessHandle p) {
        Optional<String[]> reported = p.info().arguments();
        if (reported.isPresent()) {
            return reported.get();
        }
        Path cmdline = Path.of("/proc", Long.toString(p.pid()), "cmdline");
        try {
            String all = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8);
            String[] parts = all.split("\0");
            return parts.length < 2 ? null : Arrays.copyOfRange(parts, 1, parts.length);
        } catch (IOException | SecurityException e) {
            // not Linux, gone, or not ours to read: not a candidate
            return null;
        }
    }

    private static String kill(String signal, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
                    .start();
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                return "kill did not finish";
            }
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return kill.exitValue() == 0 ? null : output.isEmpty() ? "kill exited " + kill.exitValue() : output;
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private int fail(String message) {
        err.println("jetraft: " + message);
        return 1;
    }
}
