package io.jetraft.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Sends the node's log to stdout or to a file ({@code -l}) in nats-server's line format
 * ({@code [pid] 2006/01/02 15:04:05.000000 [INF] message}), at INFO, DEBUG ({@code -D}) or TRACE ({@code -V});
 * libraries log at WARN unless tracing. {@link #reopen()} starts a new file after log rotation (SIGUSR1).
 */
public final class LogSetup {

    private static final Object LOCK = new Object();
    private static OutputStreamAppender<ILoggingEvent> appender;
    private static Optional<Path> currentFile = Optional.empty();

    private LogSetup() {
    }

    public static void configure(Optional<Path> logFile, boolean debug, boolean trace, boolean logTime) {
        synchronized (LOCK) {
            LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
            ctx.reset();
            @SuppressWarnings("unchecked")
            Map<String, String> rules = (Map<String, String>) ctx.getObject(CoreConstants.PATTERN_RULE_REGISTRY);
            if (rules == null) {
                rules = new HashMap<>();
                ctx.putObject(CoreConstants.PATTERN_RULE_REGISTRY, rules);
            }
            rules.put("natslevel", NatsLevelConverter.class.getName());
            rules.put("natstime", NatsTimeConverter.class.getName());

            PatternLayoutEncoder encoder = new PatternLayoutEncoder();
            encoder.setContext(ctx);
            String time = logTime ? "%natstime " : "";
            encoder.setPattern("[" + ProcessHandle.current().pid() + "] " + time + "[%natslevel] %msg%n");
            encoder.start();

            OutputStreamAppender<ILoggingEvent> out;
            if (logFile.isPresent()) {
                FileAppender<ILoggingEvent> file = new FileAppender<>();
                file.setFile(logFile.get().toString());
                file.setAppend(true);
                out = file;
            } else {
                out = new ConsoleAppender<>();
            }
            out.setContext(ctx);
            out.setName("jetraft");
            out.setEncoder(encoder);
            out.start();
            appender = out;
            currentFile = logFile;

            Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            root.detachAndStopAllAppenders();
            root.addAppender(out);
            root.setLevel(trace ? Level.DEBUG : Level.WARN);
            Level ours = trace ? Level.TRACE : debug ? Level.DEBUG : Level.INFO;
            ctx.getLogger("jetraft").setLevel(ours);
            ctx.getLogger("io.jetraft").setLevel(ours);
            // Ratis logs WARN and above unless asked (-Djetraft.log.ratis=INFO), for diagnosing Raft by hand
            String ratis = System.getProperty("jetraft.log.ratis");
            if (ratis != null) {
                ctx.getLogger("org.apache.ratis").setLevel(Level.toLevel(ratis, Level.WARN));
            }
            // single loggers, for diagnosing one part by hand: -Djetraft.log.levels=io.jetraft.raft.Proposer=DEBUG,...
            for (String pair : System.getProperty("jetraft.log.levels", "").split(",")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    ctx.getLogger(pair.substring(0, eq).trim()).setLevel(Level.toLevel(pair.substring(eq + 1).trim(),
                            Level.INFO));
                }
            }
        }
    }

    /** Closes and reopens the log file, so that a rotated file is let go and a new one started. */
    public static void reopen() {
        synchronized (LOCK) {
            if (appender instanceof FileAppender<ILoggingEvent> file && currentFile.isPresent()) {
                file.stop();
                file.setFile(currentFile.get().toString());
                file.start();
            }
        }
    }
}
