package io.jetraft.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The whole, validated configuration of one jetraft node: what the config file and the command-line flags said,
 * with nats-server's defaults for everything left out. Immutable; built by {@link ConfigLoader}.
 *
 * <p>Config-file keys (nats-server names, aliases in brackets):
 * {@code server_name}, {@code host} [net], {@code port}, {@code listen} (host:port),
 * {@code http_host}, {@code http_port} [monitor_port], {@code http} (host:port), {@code max_payload},
 * {@code max_control_line}, {@code max_pending}, {@code max_connections} [max_conn], {@code ping_interval},
 * {@code ping_max}, {@code write_deadline}, {@code debug}, {@code trace}, {@code logtime}, {@code log_file},
 * {@code pid_file}, {@code lame_duck_duration}, {@code lame_duck_grace_period}, {@code store_dir},
 * {@code cluster {..}}, {@code jetstream {..}} (or {@code jetstream: enabled|disabled|true|false}). Keys match
 * without regard to case, as in nats-server. Any other key is refused, as nats-server refuses it: see
 * {@link ConfigLoader}.
 */
public record ServerConfig(
        String serverName,
        HostPort clientListen,
        HostPort httpListen,
        ByteSize maxPayload,
        ByteSize maxControlLine,
        ByteSize maxPending,
        int maxConnections,
        Duration pingInterval,
        int pingMaxOut,
        Duration writeDeadline,
        boolean debug,
        boolean trace,
        boolean logTime,
        Optional<Path> logFile,
        Optional<Path> pidFile,
        Duration lameDuckDuration,
        Duration lameDuckGracePeriod,
        Optional<ClusterConfig> cluster,
        JetStreamConfig jetstream,
        Optional<Path> configFile) {

    public static final int DEFAULT_CLIENT_PORT = 4222;
    public static final int DEFAULT_HTTP_PORT = 8222;
    public static final ByteSize DEFAULT_MAX_PAYLOAD = ByteSize.ofMebibytes(1);
    public static final ByteSize MAX_PAYLOAD_WARN_ABOVE = ByteSize.ofMebibytes(8);
    public static final ByteSize DEFAULT_MAX_CONTROL_LINE = ByteSize.ofBytes(4096);
    public static final ByteSize DEFAULT_MAX_PENDING = ByteSize.ofMebibytes(64);
    public static final int DEFAULT_MAX_CONNECTIONS = 64 * 1024;
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofMinutes(2);
    public static final int DEFAULT_PING_MAX_OUT = 2;
    public static final Duration DEFAULT_WRITE_DEADLINE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_LAME_DUCK_DURATION = Duration.ofMinutes(2);
    public static final Duration DEFAULT_LAME_DUCK_GRACE_PERIOD = Duration.ofSeconds(10);

    /** The configuration of a node started with no file and no flags. */
    public static ServerConfig defaults() {
        return ConfigLoader.load(Optional.empty(), ConfigOverrides.none()).config();
    }
}
