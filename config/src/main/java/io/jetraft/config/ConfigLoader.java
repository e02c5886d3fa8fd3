package io.jetraft.config;

import io.jetraft.config.parse.ConfParser;
import io.jetraft.config.parse.ConfValue;
import io.jetraft.config.parse.Position;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a nats-server style config file, applies command-line overrides and validates the result into one
 * {@link ServerConfig}. Unknown keys become warnings; wrong types, out-of-range values and contradicting settings
 * are a {@link ConfigException} that names the key and where it was written.
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
        List<String> warnings = new ArrayList<>();
        ServerConfig config = bind(root, file.map(p -> p.toAbsolutePath().normalize()), warnings);
        return new LoadedConfig(config, warnings);
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
        for (Map.Entry<String, Object> o : values.entrySet()) {
            String[] path = o.getKey().split("\\.");
            ConfValue value = new ConfValue.Raw(String.valueOf(o.getValue()), FLAGS);
            put(top, path, 0, value);
        }
        return new ConfValue.Block(top, root.position());
    }

    private static void put(Map<String, ConfValue.Entry> block, String[] path, int at, ConfValue value) {
        String key = path[at];
        if (at == path.length - 1) {
            block.put(key, new ConfValue.Entry(key, FLAGS, value));
            return;
        }
        ConfValue.Entry existing = block.get(key);
        Map<String, ConfValue.Entry> inner = new LinkedHashMap<>();
        if (existing != null && existing.value() instanceof ConfValue.Block b) {
            inner.putAll(b.entries());
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
                new ConfValue.Block(inner, existing == null ? FLAGS : existing.value().position())));
    }

    // ---- binding -----------------------------------------------------------------------------------------------

    private static ServerConfig bind(ConfValue.Block root, Optional<Path> file, List<String> warnings) {
        TypedBlock top = new TypedBlock(root, "", warnings);
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
        Duration pingInterval = positive(top, "ping_interval").orElse(ServerConfig.DEFAULT_PING_INTERVAL);
        int pingMax = top.integer(1, Integer.MAX_VALUE, "ping_max").map(Long::intValue)
                .orElse(ServerConfig.DEFAULT_PING_MAX_OUT);
        Duration writeDeadline = positive(top, "write_deadline").orElse(ServerConfig.DEFAULT_WRITE_DEADLINE);
        boolean debug = top.bool("debug").orElse(false);
        boolean trace = top.bool("trace").orElse(false);
        boolean logTime = top.bool("logtime").orElse(true);
        Optional<Path> logFile = top.path("log_file", "logfile");
        Optional<Path> pidFile = top.path("pid_file", "pidfile");
        Duration ldmDuration = top.duration("lame_duck_duration").orElse(ServerConfig.DEFAULT_LAME_DUCK_DURATION);
        Duration ldmGrace = top.duration("lame_duck_grace_period")
                .orElse(ServerConfig.DEFAULT_LAME_DUCK_GRACE_PERIOD);

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
            warnings.add("max_payload over 8MB is discouraged (nats-server warns the same): "
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
            warnings.add("lame_duck_duration of " + GoDuration.format(ldmDuration) + " is below nats-server's "
                    + "minimum of 30 seconds; jetraft accepts it (meant for tests and small clusters)");
        }
        if (ldmGrace.compareTo(ldmDuration) >= 0) {
            throw new ConfigException("lame duck grace period (" + GoDuration.format(ldmGrace)
                    + ") should be strictly lower than lame duck duration (" + GoDuration.format(ldmDuration) + ")");
        }

        JetStreamConfig jetstream = jetstream(top, warnings);
        Optional<ClusterConfig> cluster = cluster(top, client.host());
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

        top.ignoredNatsKeys("accounts", "authorization", "tls", "system_account", "no_auth_user", "leafnodes",
                "leaf", "gateway", "websocket", "mqtt", "operator", "resolver", "resolver_preload", "server_tags",
                "client_advertise", "max_subscriptions", "max_subs", "syslog", "remote_syslog",
                "logfile_size_limit", "http_base_path", "https", "https_port", "prof_port", "no_header_support",
                "no_system_account", "users", "connect_error_reports", "reconnect_error_reports", "trace_verbose",
                "max_traced_msg_len", "disable_sublist_cache", "no_fast_producer_stall");
        warnings.addAll(top.unknownKeys());

        return new ServerConfig(serverName, client, monitor, maxPayload, maxControlLine, maxPending, maxConnections,
                pingInterval, pingMax, writeDeadline, debug, trace, logTime, logFile, pidFile, ldmDuration, ldmGrace,
                cluster, jetstream, file);
    }

    private static Optional<Duration> positive(TypedBlock block, String key) {
        return block.duration(key).map(d -> {
            if (d.isNegative() || d.isZero()) {
                throw new ConfigException(key + " must be a positive duration, got " + GoDuration.format(d));
            }
            return d;
        });
    }

    private static JetStreamConfig jetstream(TypedBlock top, List<String> warnings) {
        boolean enabled = false;
        TypedBlock js = null;
        Optional<ConfValue.Entry> entry = top.blockEntry("jetstream");
        if (entry.isPresent()) {
            ConfValue v = entry.get().value();
            if (v instanceof ConfValue.Block) {
                js = top.block("jetstream").orElseThrow();
                enabled = js.has("enabled") ? enabledWord(js, "enabled") : true;
            } else {
                enabled = enabledWord(top, "jetstream");
            }
        }
        Path storeDir = JetStreamConfig.DEFAULT_STORE_DIR;
        ByteSize maxMemory = ByteSize.ofGibibytes(1);
        ByteSize maxFile = ByteSize.ofGibibytes(64);
        boolean syncAlways = true;
        Duration syncInterval = Duration.ofMinutes(2);
        String domain = "";
        ByteSize blockCache = JetStreamConfig.DEFAULT_BLOCK_CACHE;
        ByteSize writeBuffer = JetStreamConfig.DEFAULT_WRITE_BUFFER;
        if (js != null) {
            storeDir = js.path("store_dir", "store").orElse(storeDir);
            maxMemory = js.size("max_memory_store", "max_mem_store", "max_mem").orElse(maxMemory);
            maxFile = js.size("max_file_store", "max_file").orElse(maxFile);
            Optional<String> sync = js.entry("sync_interval", "sync").map(e -> e.value().scalarText() == null ? ""
                    : e.value().scalarText());
            if (sync.isPresent()) {
                if (sync.get().equalsIgnoreCase("always")) {
                    syncAlways = true;
                } else {
                    syncInterval = js.duration("sync_interval", "sync").orElseThrow();
                    syncAlways = false;
                    warnings.add("jetstream.sync_interval " + GoDuration.format(syncInterval)
                            + " acknowledges writes before they are on disk; jetraft's default is 'always'");
                }
            }
            domain = js.string("domain").orElse(domain);
            blockCache = js.size("block_cache_size").orElse(blockCache);
            writeBuffer = js.size("write_buffer_size").orElse(writeBuffer);
            js.ignoredNatsKeys("unique_tag", "max_outstanding_catchup", "max_buffered_size", "max_buffered_msgs",
                    "request_queue_limit", "strict", "key", "prev_key", "cipher", "limits", "compress_ok",
                    "max_ack_pending", "max_ha_assets", "extension_hint");
            warnings.addAll(js.unknownKeys());
        }
        return new JetStreamConfig(enabled, storeDir, maxMemory, maxFile, syncAlways, syncInterval, domain,
                blockCache, writeBuffer);
    }

    private static boolean enabledWord(TypedBlock block, String key) {
        ConfValue.Entry e = block.entry(key).orElseThrow();
        if (e.value() instanceof ConfValue.Raw r) {
            switch (r.text().toLowerCase(java.util.Locale.ROOT)) {
                case "enabled", "enable", "true", "yes", "on" -> {
                    return true;
                }
                case "disabled", "disable", "false", "no", "off" -> {
                    return false;
                }
                default -> {
                }
            }
        }
        throw block.error(key, e.value(), "expected enabled, disabled, true or false, got " + e.value().kind());
    }

    private static Optional<ClusterConfig> cluster(TypedBlock top, String clientHost) {
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
            c.ignoredNatsKeys("authorization", "tls", "pool_size", "compression", "accounts", "permissions",
                    "advertise", "cluster_advertise", "ping_interval", "ping_max", "write_deadline",
                    "connect_backoff");
            top.warningsFrom(c);
            return new ClusterConfig(name, at, routes, noAdvertise, retries, raft);
        });
    }
}
