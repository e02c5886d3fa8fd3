package io.jetraft.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a reload (SIGHUP) does with a changed config: settings that can change at run time are taken, the others are
 * reported and keep their old value, never half-applied. {@code effective} is the configuration to run with.
 */
public record ReloadPlan(ServerConfig effective, List<String> applied, List<String> refused) {

    public ReloadPlan {
        applied = List.copyOf(applied);
        refused = List.copyOf(refused);
    }

    public boolean changesAnything() {
        return !applied.isEmpty();
    }

    public static ReloadPlan between(ServerConfig old, ServerConfig next) {
        List<String> applied = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        note(applied, "debug", old, next, ServerConfig::debug);
        note(applied, "trace", old, next, ServerConfig::trace);
        note(applied, "logtime", old, next, ServerConfig::logTime);
        note(applied, "log_file", old, next, c -> c.logFile().map(Object::toString).orElse(""));
        note(applied, "max_payload", old, next, c -> c.maxPayload().bytes());
        note(applied, "max_control_line", old, next, c -> c.maxControlLine().bytes());
        note(applied, "max_pending", old, next, c -> c.maxPending().bytes());
        note(applied, "max_connections", old, next, ServerConfig::maxConnections);
        note(applied, "ping_interval", old, next, c -> GoDuration.format(c.pingInterval()));
        note(applied, "ping_max", old, next, ServerConfig::pingMaxOut);
        note(applied, "write_deadline", old, next, c -> GoDuration.format(c.writeDeadline()));
        note(applied, "lame_duck_duration", old, next, c -> GoDuration.format(c.lameDuckDuration()));
        note(applied, "lame_duck_grace_period", old, next, c -> GoDuration.format(c.lameDuckGracePeriod()));
        note(applied, "cluster.routes", old, next, c -> c.cluster().map(ClusterConfig::routes).orElse(List.of()));

        refuse(refused, "server_name", old, next, ServerConfig::serverName);
        refuse(refused, "listen", old, next, c -> c.clientListen().toString());
        refuse(refused, "http", old, next, c -> c.httpListen().toString());
        refuse(refused, "pid_file", old, next, c -> c.pidFile().map(Object::toString).orElse(""));
        refuse(refused, "jetstream", old, next, c -> c.jetstream().enabled());
        refuse(refused, "jetstream.store_dir", old, next, c -> c.jetstream().storeDir().toString());
        refuse(refused, "jetstream.sync_interval", old, next, c -> c.jetstream().syncAlways() ? "always"
                : GoDuration.format(c.jetstream().syncInterval()));
        refuse(refused, "jetstream.groups_per_replica_set", old, next, c -> c.jetstream().groupsPerReplicaSet()
                .stream().mapToObj(Integer::toString).findFirst().orElse("one per member"));
        refuse(refused, "cluster", old, next, c -> c.cluster().isPresent());
        refuse(refused, "cluster.name", old, next, c -> c.cluster().map(ClusterConfig::name).orElse(""));
        refuse(refused, "cluster.listen", old, next, c -> c.cluster().map(cl -> cl.listen().toString()).orElse(""));
        refuse(refused, "cluster.raft_listen", old, next,
                c -> c.cluster().flatMap(ClusterConfig::raftListen).map(Object::toString).orElse(""));

        Optional<ClusterConfig> cluster = old.cluster().map(o -> next.cluster()
                .map(n -> new ClusterConfig(o.name(), o.listen(), n.routes(), o.noAdvertise(), o.connectRetries(),
                        o.raftListen()))
                .orElse(o));
        ServerConfig effective = new ServerConfig(old.serverName(), old.clientListen(), old.httpListen(),
                next.maxPayload(), next.maxControlLine(), next.maxPending(), next.maxConnections(),
                next.pingInterval(), next.pingMaxOut(), next.writeDeadline(), next.debug(), next.trace(),
                next.logTime(), next.logFile(), old.pidFile(), next.lameDuckDuration(), next.lameDuckGracePeriod(),
                cluster, old.jetstream(), next.configFile());
        return new ReloadPlan(effective, applied, refused);
    }

    private static <T> void note(List<String> out, String key, ServerConfig old, ServerConfig next,
                                 Function<ServerConfig, T> get) {
        T a = get.apply(old);
        T b = get.apply(next);
        if (!Objects.equals(a, b)) {
            out.add(key + ": " + a + " -> " + b);
        }
    }

    private static <T> void refuse(List<String> out, String key, ServerConfig old, ServerConfig next,
                                   Function<ServerConfig, T> get) {
        T a = get.apply(old);
        T b = get.apply(next);
        if (!Objects.equals(a, b)) {
            out.add(key + " cannot be changed at run time (was " + a + ", now " + b + "); keeping " + a);
        }
    }
}
