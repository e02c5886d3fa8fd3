package io.jetraft.config;

import io.jetraft.config.parse.ConfParser;
import io.jetraft.config.parse.ConfValue;
import io.jetraft.config.parse.Position;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a nats-server style config file, applies command-line overrides and validates the result into one
 * {@link ServerConfig}. What nats-server refuses is refused: an unknown key (nats-server's
 * {@code file:line:column: unknown field "key"}), a key nats-server knows that jetraft does not implement ("not
 * supported by jetraft"), a wrong type or an out-of-range value; all of them are collected and thrown together in
 * one {@link ConfigException}, one per line, each with where it was written. A key defined only to be used as a
 * {@code $VARIABLE} is not a field. Settings that contradict each other are checked after that, one at a time.
 */
public final class ConfigLoader {

    private static final Duration NATS_MIN_LAME_DUCK_DURATION = Duration.ofSeconds(30);

    private ConfigLoader() {
    }

    public static LoadedConfig load(Optional<Path> file, ConfigOverrides overrides) {
        return load(file, overrides, System.getenv());
    }

    /**
     * @param environment where {@code $VAR} references not defined in the file are looked up
     */
    public static LoadedConfig load(Optional<Path> file, ConfigOverrides overrides, Map<String, String> environment) {
        ConfParser parser = new ConfParser(environment);
        ConfValue.Block root = file.map(parser::parseFile)
                .orElseGet(() -> new ConfValue.Block(Map.of(), new Position(null, 1, 1)));
        root = applyOverrides(root, overrides);
        ConfigFindings findings = new ConfigFindings();
        ServerConfig config = bind(root, file.map(p -> p.toAbsolutePath().normalize()), findings);
        return new LoadedConfig(config, findings.warnings());
    }

    // ---- overrides ---------------------------------------------------------------------------------------------

    private static final Position FLAGS = new Position(null, 0, 0);

    /** Puts each flag's value into the tree at its key path, so it is checked like the same key in a file. */
    private static ConfValue.Block applyOverrides(ConfValue.Block root, ConfigOverrides overrides) {
        Map<String, ConfValue.Entry> top = new LinkedHashMap<>(root.entries());
        Map<String, Object> values = overrides.values();
        // a listen address in the file gives way to -a/-p, keeping whichever half the flags did not set
        if ((values.containsKey("port") || values.containsKey("host")) && top.containsKey("listen")) {
            ConfValue.Entry listen = top.remove("listen");
            String text = listen.value().scalarText();
            if (text != null) {
                try {
                    HostPort hp = TypedBlock.parseHostPort(text, "0.0.0.0");
                    top.putIfAbsent("host", new ConfValue.Entry("host", listen.keyPosition(),
                            new ConfValue.Raw(hp.host(), listen.value().position())));
                    top.put("port", new ConfValue.Entry("port", listen.keyPosition(),
                            new ConfValue.Raw(Integer.toString(hp.port()), listen.value().position())));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(TypedBlock.where(listen.value().position()) + ": listen: "
                            + e.getMessage());
                }
            }
        }
        if (values.containsKey("http_port")) {
            top.remove("http");
            top.remove("monitor_port");
        }
        if (values.containsKey("jetstream.store_dir")) {
            // -sd wins over a top-level store_dir as well (nats-server sets the same option from both)
            top.remove("store_dir");
            top.remove("storedir");
        }
        for (Map.Entry<String, Object> o : values.entrySet()) {
            String[] path = o.getKey().split("\\.");
            ConfValue value = new ConfValue.Raw(String.valueOf(o.getValue()), FLAGS);
            put(top, path, 0, value);
        }
        return new ConfValue.Block(top, root.position(), root.usedAsVariables());
    }

    private static void put(Map<String, ConfValue.Entry> block, String[] path, int at, ConfValue value) {
        String key = path[at];
        if (at == path.length - 1) {
            block.put(key, new ConfValue.Entry(key, FLAGS, value));
            return;
        }
        ConfValue.Entry existing = block.get(key);
        Map<String, ConfValue.Entry> inner = new LinkedHashMap<>();
        Set<String> usedAsVariables = Set.of();
        if (existing != null && existing.value() instanceof ConfValue.Block b) {
            inner.putAll(b.entries());
            usedAsVariables = b.usedAsVariables();
        } else if (existing != null && key.equals("jetstream")) {
            // "jetstream: enabled" in the file becomes a block so flags can add to it
            inner.put("enabled", new ConfValue.Entry("enabled", existing.keyPosition(), existing.value()));
        }
        if (key.equals("cluster") && path[at + 1].equals("listen")) {
            inner.remove("host");
            inner.remove("port");
        }
        put(inner, path, at + 1, value);
        block.put(key, new ConfValue.Entry(key, existing == null ? FLAGS : existing.keyPosition(),
                new ConfValue.Block(inner, existing == null ? FLAGS : existing.value().position(), usedAsVariables)));
    }

    // ---- binding -----------------------------------------------------------------------------------------------

    private static ServerConfig bind(ConfValue.Block root, Optional<Path> file, ConfigFindings findings) {
        TypedBlock top = new TypedBlock(root, "", findings);
        String serverName = top.string("server_name").orElse("");
        String host = top.string("host", "net").orElse("0.0.0.0");
        Optional<HostPort> listen = top.hostPort(host, "listen");
        int port = top.integer(0, 65535, "port").map(Long::intValue)
                .orElse(listen.map(HostPort::port).orElse(ServerConfig.DEFAULT_CLIENT_PORT));
        HostPort client = new HostPort(listen.filter(l -> !top.has("host", "net")).map(HostPort::host).orElse(host),
                port);

        String httpHost = top.string("http_host").orElse(client.host());
        Optional<HostPort> http = top.hostPort(httpHost, "http");
        int httpPort = top.integer(0, 65535, "http_port", "monitor_port").map(Long::intValue)
                .orElse(http.map(HostPort::port).orElse(ServerConfig.DEFAULT_HTTP_PORT));
        HostPort monitor = new HostPort(http.map(HostPort::host).orElse(httpHost), httpPort);

        ByteSize maxPayload = top.size("max_payload").orElse(ServerConfig.DEFAULT_MAX_PAYLOAD);
        ByteSize maxControlLine = top.size("max_control_line").orElse(ServerConfig.DEFAULT_MAX_CONTROL_LINE);
        ByteSize maxPending = top.size("max_pending").orElse(ServerConfig.DEFAULT_MAX_PENDING);
        int maxConnections = top.integer(0, Integer.MAX_VALUE, "max_connections", "max_conn")
                .map(Long::intValue).filter(v -> v > 0).orElse(ServerConfig.DEFAULT_MAX_CONNECTIONS);
        Duration pingInterval = top.positiveDuration("ping_interval").orElse(ServerConfig.DEFAULT_PING_INTERVAL);
        int pingMax = top.integer(1, Integer.MAX_VALUE, "ping_max").map(Long::intValue)
                .orElse(ServerConfig.DEFAULT_PING_MAX_OUT);
        Duration writeDeadline = top.positiveDuration("write_deadline").orElse(ServerConfig.DEFAULT_WRITE_DEADLINE);
        boolean debug = top.bool("debug").orElse(false);
        boolean trace = top.bool("trace").orElse(false);
        boolean logTime = top.bool("logtime").orElse(true);
        Optional<Path> logFile = top.path("log_file", "logfile");
        Optional<Path> pidFile = top.path("pid_file", "pidfile");
        Duration ldmDuration = top.duration("lame_duck_duration").orElse(ServerConfig.DEFAULT_LAME_DUCK_DURATION);
        Duration ldmGrace = top.duration("lame_duck_grace_period")
                .orElse(ServerConfig.DEFAULT_LAME_DUCK_GRACE_PERIOD);
        JetStreamConfig jetstream = JetStreamBinding.read(top, findings);
        Optional<ClusterConfig> cluster = cluster(top);
        top.refuseUnread(NatsServerFields.TOP);
        findings.throwIfErrors();

        if (maxControlLine.bytes() < 1 || maxControlLine.bytes() > Integer.MAX_VALUE) {
            throw new ConfigException("max_control_line must be between 1 and " + Integer.MAX_VALUE + ", got "
                    + maxControlLine.bytes());
        }
        if (maxPayload.bytes() < 1 || maxPayload.bytes() > Integer.MAX_VALUE) {
            throw new ConfigException("max_payload must be between 1 and " + Integer.MAX_VALUE + " bytes, got "
                    + maxPayload.bytes());
        }
        if (maxPayload.compareTo(maxPending) > 0) {
            throw new ConfigException("max_payload (" + maxPayload.bytes() + ") cannot be higher than max_pending ("
                    + maxPending.bytes() + ")");
        }
        if (maxPayload.compareTo(ServerConfig.MAX_PAYLOAD_WARN_ABOVE) > 0) {
            findings.warn("max_payload over 8MB is discouraged (nats-server warns the same): "
                    + maxPayload.bytes() + " bytes");
        }
        if (ldmGrace.isNegative()) {
            throw new ConfigException("invalid lame_duck_grace_period, needs to be positive");
        }
        if (ldmDuration.isNegative() || ldmDuration.isZero()) {
            throw new ConfigException("invalid lame_duck_duration of " + GoDuration.format(ldmDuration)
                    + ", needs to be positive");
        }
        if (ldmDuration.compareTo(NATS_MIN_LAME_DUCK_DURATION) < 0) {
            findings.warn("lame_duck_duration of " + GoDuration.format(ldmDuration) + " is below nats-server's "
                    + "minimum of 30 seconds; jetraft accepts it (meant for tests and small clusters)");
        }
        if (ldmGrace.compareTo(ldmDuration) >= 0) {
            throw new ConfigException("lame duck grace period (" + GoDuration.format(ldmGrace)
                    + ") should be strictly lower than lame duck duration (" + GoDuration.format(ldmDuration) + ")");
        }

        if (jetstream.enabled() && cluster.isPresent()) {
            // as nats-server, unless the store already names this node (a restart: the kept name is used)
            if (serverName.isBlank() && !java.nio.file.Files.exists(jetstream.storeDir()
                    .resolve(JetStreamConfig.NODE_IDENTITY_FILE))) {
                throw new ConfigException("jetstream cluster requires `server_name` to be set");
            }
            if (cluster.get().name().isBlank()) {
                throw new ConfigException("jetstream cluster requires `cluster.name` to be set");
            }
        }
        if (serverName.contains(" ")) {
            throw new ConfigException("server_name \"" + serverName + "\" cannot contain spaces");
        }

        return new ServerConfig(serverName, client, monitor, maxPayload, maxControlLine, maxPending, maxConnections,
                pingInterval, pingMax, writeDeadline, debug, trace, logTime, logFile, pidFile, ldmDuration, ldmGrace,
                cluster, jetstream, file);
    }

    private static Optional<ClusterConfig> cluster(TypedBlock top) {
        return top.block("cluster").map(c -> {
            String name = c.string("name").orElse("");
            String host = c.string("host", "net").orElse("0.0.0.0");
            Optional<HostPort> listen = c.hostPort(host, "listen");
            int port = c.integer(0, 65535, "port").map(Long::intValue)
                    .orElse(listen.map(HostPort::port).orElse(6222));
            HostPort at = new HostPort(listen.filter(l -> !c.has("host", "net")).map(HostPort::host).orElse(host),
                    port);
            List<URI> routes = c.urls("routes").orElse(List.of());
            boolean noAdvertise = c.bool("no_advertise").orElse(false);
            int retries = c.integer(-1, Integer.MAX_VALUE, "connect_retries").map(Long::intValue).orElse(0);
            Optional<HostPort> raft = c.hostPort(at.host(), "raft_listen");
            c.refuseUnread(NatsServerFields.CLUSTER);
            return new ClusterConfig(name, at, routes, noAdvertise, retries, raft);
        });
    }
}
