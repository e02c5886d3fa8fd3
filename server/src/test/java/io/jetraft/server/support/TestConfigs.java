package io.jetraft.server.support;

import io.jetraft.config.ByteSize;
import io.jetraft.config.ClusterConfig;
import io.jetraft.config.HostPort;
import io.jetraft.config.JetStreamConfig;
import io.jetraft.config.ServerConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Server configurations for in-process tests: loopback, free ports, nats-server defaults otherwise. */
public final class TestConfigs {

    private TestConfigs() {
    }

    public static Builder node() {
        return new Builder();
    }

    /** Builds a ServerConfig field by field; only what tests vary has a setter. */
    public static final class Builder {
        private String name = "";
        private int port = 0;
        private ByteSize maxPayload = ServerConfig.DEFAULT_MAX_PAYLOAD;
        private ByteSize maxControlLine = ServerConfig.DEFAULT_MAX_CONTROL_LINE;
        private ByteSize maxPending = ServerConfig.DEFAULT_MAX_PENDING;
        private int maxConnections = ServerConfig.DEFAULT_MAX_CONNECTIONS;
        private Duration pingInterval = ServerConfig.DEFAULT_PING_INTERVAL;
        private int pingMax = ServerConfig.DEFAULT_PING_MAX_OUT;
        private Duration writeDeadline = ServerConfig.DEFAULT_WRITE_DEADLINE;
        private Optional<ClusterConfig> cluster = Optional.empty();
        private java.nio.file.Path storeDir;
        private Duration lameDuckDuration = ServerConfig.DEFAULT_LAME_DUCK_DURATION;
        private Duration lameDuckGrace = ServerConfig.DEFAULT_LAME_DUCK_GRACE_PERIOD;

        /** lame_duck_duration and lame_duck_grace_period. */
        public Builder lameDuck(Duration duration, Duration grace) {
            this.lameDuckDuration = duration;
            this.lameDuckGrace = grace;
            return this;
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder maxPayload(ByteSize v) {
            this.maxPayload = v;
            return this;
        }

        public Builder maxControlLine(ByteSize v) {
            this.maxControlLine = v;
            return this;
        }

        public Builder maxPending(ByteSize v) {
            this.maxPending = v;
            return this;
        }

        public Builder maxConnections(int v) {
            this.maxConnections = v;
            return this;
        }

        public Builder ping(Duration interval, int max) {
            this.pingInterval = interval;
            this.pingMax = max;
            return this;
        }

        public Builder writeDeadline(Duration v) {
            this.writeDeadline = v;
            return this;
        }

        private int raftPort;

        /** The Raft listen port (with a cluster: raft_listen on loopback). */
        public Builder raftPort(int port) {
            this.raftPort = port;
            this.cluster = cluster.map(c -> new ClusterConfig(c.name(), c.listen(), c.routes(), c.noAdvertise(),
                    c.connectRetries(), Optional.of(new HostPort("127.0.0.1", port))));
            return this;
        }

        /** A cluster block: name, the cluster port on loopback, and the route ports to dial. */
        public Builder cluster(String clusterName, int clusterPort, int... routePorts) {
            List<URI> routes = new ArrayList<>();
            for (int p : routePorts) {
                routes.add(URI.create("nats-route://127.0.0.1:" + p));
            }
            this.cluster = Optional.of(new ClusterConfig(clusterName, new HostPort("127.0.0.1", clusterPort), routes,
                    false, 0, raftPort == 0 ? Optional.empty() : Optional.of(new HostPort("127.0.0.1", raftPort))));
            return this;
        }

        /** JetStream on, storing under {@code dir}. */
        public Builder jetstream(java.nio.file.Path dir) {
            this.storeDir = dir;
            return this;
        }

        public ServerConfig build() {
            JetStreamConfig js = new JetStreamConfig(storeDir != null,
                    storeDir != null ? storeDir : JetStreamConfig.DEFAULT_STORE_DIR,
                    ByteSize.ofGibibytes(1), ByteSize.ofGibibytes(10), true, Duration.ofMinutes(2), "",
                    JetStreamConfig.DEFAULT_BLOCK_CACHE, JetStreamConfig.DEFAULT_WRITE_BUFFER);
            return new ServerConfig(name, new HostPort("127.0.0.1", port), new HostPort("127.0.0.1", 0),
                    maxPayload, maxControlLine, maxPending, maxConnections, pingInterval, pingMax, writeDeadline,
                    false, false, true, Optional.empty(), Optional.empty(),
                    lameDuckDuration, lameDuckGrace, cluster, js, Optional.empty());
        }
    }
}
