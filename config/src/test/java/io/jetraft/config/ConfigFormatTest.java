package io.jetraft.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nats-server config format as jetraft reads it, from real files. */
class ConfigFormatTest {

    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private LoadedConfig load(String text) throws IOException {
        return load(text, Map.of());
    }

    private LoadedConfig load(String text, Map<String, String> env) throws IOException {
        return ConfigLoader.load(Optional.of(file("server.conf", text)), ConfigOverrides.none(), env);
    }

    @Test
    void allThreeSeparatorsCommentsAndQuotingAreAccepted() throws IOException {
        ServerConfig c = load("""
                # a comment
                server_name: "n1"          // a trailing comment
                port = 4333
                http_port 8333
                max_payload: '512KB'
                debug: true; trace: off
                """).config();
        assertThat(c.serverName()).isEqualTo("n1");
        assertThat(c.clientListen().port()).isEqualTo(4333);
        assertThat(c.httpListen().port()).isEqualTo(8333);
        assertThat(c.maxPayload()).isEqualTo(ByteSize.ofKibibytes(512));
        assertThat(c.debug()).isTrue();
        assertThat(c.trace()).isFalse();
    }

    @Test
    void blocksArraysAndUrlsWithSlashesAreRead() throws IOException {
        ServerConfig c = load("""
                server_name: n1
                listen: 127.0.0.1:4222
                cluster {
                  name: c1
                  listen: 127.0.0.1:6222
                  routes: [
                    nats-route://127.0.0.1:6222
                    nats-route://127.0.0.1:6223, nats-route://127.0.0.1:6224
                  ]
                }
                jetstream: { store_dir: "/var/lib/jetraft", max_mem: 1G, max_file: 10GB }
                """).config();
        assertThat(c.clientListen()).isEqualTo(new HostPort("127.0.0.1", 4222));
        assertThat(c.cluster()).isPresent();
        assertThat(c.cluster().get().name()).isEqualTo("c1");
        assertThat(c.cluster().get().routes()).containsExactly(URI.create("nats-route://127.0.0.1:6222"),
                URI.create("nats-route://127.0.0.1:6223"), URI.create("nats-route://127.0.0.1:6224"));
        assertThat(c.jetstream().enabled()).isTrue();
        assertThat(c.jetstream().storeDir()).isEqualTo(Path.of("/var/lib/jetraft"));
        assertThat(c.jetstream().maxMemoryStore().bytes()).isEqualTo(1_000_000_000L);
        assertThat(c.jetstream().maxFileStore()).isEqualTo(ByteSize.ofGibibytes(10));
    }

    @Test
    void sizesFollowNatsSuffixes() throws IOException {
        assertThat(load("max_payload: 1KB\nmax_pending: 64MB").config().maxPayload().bytes()).isEqualTo(1024);
        assertThat(load("max_payload: 2k").config().maxPayload().bytes()).isEqualTo(2000);
        assertThat(load("max_pending: 1G").config().maxPending().bytes()).isEqualTo(1_000_000_000L);
        assertThat(load("max_pending: 1gb").config().maxPending().bytes()).isEqualTo(1L << 30);
        assertThat(load("max_payload: 65536").config().maxPayload().bytes()).isEqualTo(65536);
    }

    @Test
    void durationsAreReadByTheKeysType() throws IOException {
        ServerConfig c = load("""
                ping_interval: 10s
                write_deadline: "2m"
                lame_duck_duration: 1h
                lame_duck_grace_period: 1m30s
                """).config();
        assertThat(c.pingInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.writeDeadline()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.lameDuckDuration()).isEqualTo(Duration.ofHours(1));
        assertThat(c.lameDuckGracePeriod()).isEqualTo(Duration.ofSeconds(90));
        LoadedConfig seconds = load("ping_interval: 30");
        assertThat(seconds.config().pingInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(seconds.warnings()).anyMatch(w -> w.contains("ping_interval") && w.contains("seconds"));
    }

    @Test
    void includesAreReadRelativeToTheIncludingFile() throws IOException {
        Files.createDirectories(dir.resolve("conf.d"));
        file("conf.d/limits.conf", "max_payload: 2MB\nmax_pending: 8MB\n");
        file("conf.d/cluster.conf", "cluster { name: c9 }\n");
        ServerConfig c = load("""
                include conf.d/limits.conf
                include "conf.d/cluster.conf"
                port: 4999
                """).config();
        assertThat(c.maxPayload()).isEqualTo(ByteSize.ofMebibytes(2));
        assertThat(c.cluster().get().name()).isEqualTo("c9");
        assertThat(c.clientListen().port()).isEqualTo(4999);
    }

    @Test
    void anIncludeCycleOrAMissingIncludeIsAnErrorNamingTheLine() throws IOException {
        file("a.conf", "include b.conf\n");
        file("b.conf", "port: 1\ninclude a.conf\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(dir.resolve("a.conf")), ConfigOverrides.none()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("b.conf:2:1").hasMessageContaining("cycle");
        assertThatThrownBy(() -> load("port: 1\ninclude nope.conf\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("server.conf:2:1")
                .hasMessageContaining("does not exist");
    }

    @Test
    void variablesComeFromTheFileOrTheEnvironment() throws IOException {
        ServerConfig c = load("""
                NAME: "from-var"
                server_name: $NAME
                cluster {
                  name: $CLUSTER
                  port: $CLUSTER_PORT
                }
                """, Map.of("CLUSTER", "env-cluster", "CLUSTER_PORT", "7444")).config();
        assertThat(c.serverName()).isEqualTo("from-var");
        assertThat(c.cluster().get().name()).isEqualTo("env-cluster");
        assertThat(c.cluster().get().listen().port()).isEqualTo(7444);
        assertThat(load("NAME: x\nserver_name: $NAME").warnings()).isEmpty();
        assertThatThrownBy(() -> load("server_name: $UNDEFINED_THING"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("server.conf:1:14")
                .hasMessageContaining("UNDEFINED_THING");
    }

    @Test
    void syntaxErrorsNameFileLineColumnAndWhatWasExpected() {
        assertThatThrownBy(() -> load("port: 4222\ncluster {\n  name: c1\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(dir.resolve("server.conf")
                        + ":4:1: expected '}' to close the block opened at 2:");
        assertThatThrownBy(() -> load("server_name: \"unterminated\nport: 1"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("server.conf:1:14")
                .hasMessageContaining("unterminated string");
        assertThatThrownBy(() -> load("port:\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("server.conf:1:6")
                .hasMessageContaining("expected a value for key 'port'");
        assertThatThrownBy(() -> load("routes: [a, b\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("expected ']'");
        assertThatThrownBy(() -> load("}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("server.conf:1:1");
        assertThatThrownBy(() -> load("port: 4222 4333\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("server.conf:1:12");
    }

    @Test
    void wrongTypesAndOutOfRangeValuesNameTheKey() {
        assertThatThrownBy(() -> load("port: \"abc\"")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("server.conf:1:7").hasMessageContaining("port").hasMessageContaining("integer");
        assertThatThrownBy(() -> load("port: 70000")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("port").hasMessageContaining("out of range");
        assertThatThrownBy(() -> load("max_payload: true")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("max_payload");
        assertThatThrownBy(() -> load("max_payload: -1MB")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("max_payload").hasMessageContaining("negative");
        assertThatThrownBy(() -> load("ping_max: 0")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("ping_max");
        assertThatThrownBy(() -> load("ping_interval: 10 parsecs")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> load("ping_interval: 10x")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("ping_interval").hasMessageContaining("unknown unit");
        assertThatThrownBy(() -> load("debug: maybe")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("debug");
        assertThatThrownBy(() -> load("cluster: 5")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("cluster").hasMessageContaining("block");
        assertThatThrownBy(() -> load("max_payload: 10MB\nmax_pending: 1MB")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("max_payload").hasMessageContaining("max_pending");
    }

    @Test
    void lameDuckSettingsAreValidatedAsNatsServerDoesExceptTheMinimum() throws IOException {
        assertThatThrownBy(() -> load("lame_duck_duration: 10s\nlame_duck_grace_period: 10s"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("lame duck grace period (10s) should be strictly lower than lame duck duration (10s)");
        assertThatThrownBy(() -> load("lame_duck_grace_period: 3m"))
                .hasMessage("lame duck grace period (3m0s) should be strictly lower than lame duck duration (2m0s)");
        assertThatThrownBy(() -> load("lame_duck_grace_period: -1s"))
                .hasMessage("invalid lame_duck_grace_period, needs to be positive");
        LoadedConfig shortDrain = load("lame_duck_duration: 5s\nlame_duck_grace_period: 1s");
        assertThat(shortDrain.config().lameDuckDuration()).isEqualTo(Duration.ofSeconds(5));
        assertThat(shortDrain.warnings()).anyMatch(w -> w.contains("30 seconds"));
        ServerConfig defaults = load("").config();
        assertThat(defaults.lameDuckDuration()).isEqualTo(Duration.ofMinutes(2));
        assertThat(defaults.lameDuckGracePeriod()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void aJetStreamClusterNeedsServerAndClusterNames() {
        assertThatThrownBy(() -> load("jetstream: enabled\ncluster { name: c1 }"))
                .hasMessage("jetstream cluster requires `server_name` to be set");
        assertThatThrownBy(() -> load("server_name: n1\njetstream: enabled\ncluster { port: 6222 }"))
                .hasMessage("jetstream cluster requires `cluster.name` to be set");
    }

    @Test
    void aJetStreamClusterNodeWhoseStoreNamesItMayOmitServerName() throws IOException {
        Path store = dir.resolve("store");
        String conf = "jetstream { store_dir: \"" + store + "\" }\ncluster { name: c1 }";
        assertThatThrownBy(() -> load(conf)).hasMessage("jetstream cluster requires `server_name` to be set");
        Files.createDirectories(store);
        Files.writeString(store.resolve(JetStreamConfig.NODE_IDENTITY_FILE), "{}");
        assertThat(load(conf).config().serverName()).isEmpty();
    }

    @Test
    void defaultsAreNatsServersWithMonitoringOn8222() throws IOException {
        ServerConfig c = ConfigLoader.load(Optional.empty(), ConfigOverrides.none()).config();
        assertThat(c.clientListen()).isEqualTo(new HostPort("0.0.0.0", 4222));
        assertThat(c.httpListen()).isEqualTo(new HostPort("0.0.0.0", 8222));
        assertThat(c.maxPayload()).isEqualTo(ByteSize.ofMebibytes(1));
        assertThat(c.maxControlLine().bytes()).isEqualTo(4096);
        assertThat(c.maxPending()).isEqualTo(ByteSize.ofMebibytes(64));
        assertThat(c.maxConnections()).isEqualTo(65536);
        assertThat(c.pingInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.pingMaxOut()).isEqualTo(2);
        assertThat(c.jetstream().enabled()).isFalse();
        assertThat(c.jetstream().syncAlways()).isTrue();
        assertThat(c.cluster()).isEmpty();
    }

    @Test
    void badFilesAreClearErrors() throws IOException {
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(dir.resolve("missing.conf")), ConfigOverrides.none()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("missing.conf").hasMessageContaining(
                        "does not exist");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(dir), ConfigOverrides.none()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("directory");
        Path binary = dir.resolve("garbage.conf");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0xc3});
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(binary), ConfigOverrides.none()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("garbage.conf");
        assertThat(load("").config().clientListen().port()).isEqualTo(4222);
        assertThatThrownBy(() -> load("x: " + "[".repeat(500)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("nested deeper than 100");
        assertThatThrownBy(() -> load("a { ".repeat(300)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("nested deeper than 100");
        assertThat(load("port: 1\nport: 2").config().clientListen().port()).isEqualTo(2);
    }
}
