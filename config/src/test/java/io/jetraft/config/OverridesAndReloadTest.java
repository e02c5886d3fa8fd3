package io.jetraft.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Command-line flags over a file, and what a reload may change. */
class OverridesAndReloadTest {

    @TempDir
    Path dir;

    private Optional<Path> file(String text) throws IOException {
        Path p = dir.resolve("node.conf");
        Files.writeString(p, text);
        return Optional.of(p);
    }

    @Test
    void flagsWinOverTheFile() throws IOException {
        ServerConfig c = ConfigLoader.load(file("""
                        server_name: file-name
                        listen: 10.0.0.1:4222
                        http_port: 8222
                        jetstream { store_dir: /from/file }
                        cluster { name: file-cluster, listen: 0.0.0.0:6222, routes: [nats-route://a:1] }
                        """),
                ConfigOverrides.builder().put("port", "5555").put("server_name", "flag-name")
                        .put("http_port", "9999").put("jetstream.store_dir", "/from/flag")
                        .put("cluster.name", "flag-cluster").put("cluster.listen", "nats://127.0.0.1:7777")
                        .put("cluster.routes", "nats-route://b:2,nats-route://c:3").put("debug", true).build())
                .config();
        assertThat(c.serverName()).isEqualTo("flag-name");
        assertThat(c.clientListen()).isEqualTo(new HostPort("10.0.0.1", 5555));
        assertThat(c.httpListen().port()).isEqualTo(9999);
        assertThat(c.jetstream().storeDir()).isEqualTo(Path.of("/from/flag"));
        assertThat(c.jetstream().enabled()).isTrue();
        assertThat(c.cluster().get().name()).isEqualTo("flag-cluster");
        assertThat(c.cluster().get().listen()).isEqualTo(new HostPort("127.0.0.1", 7777));
        assertThat(c.cluster().get().routes()).containsExactly(URI.create("nats-route://b:2"),
                URI.create("nats-route://c:3"));
        assertThat(c.debug()).isTrue();
    }

    @Test
    void jetStreamCanBeSwitchedOnByAFlagOverAWordInTheFile() throws IOException {
        ServerConfig c = ConfigLoader.load(file("jetstream: disabled\n"),
                ConfigOverrides.builder().put("jetstream.enabled", true).put("jetstream.store_dir", "/x").build())
                .config();
        assertThat(c.jetstream().enabled()).isTrue();
        assertThat(c.jetstream().storeDir()).isEqualTo(Path.of("/x"));
    }

    @Test
    void aBadFlagValueNamesTheKeyAndTheCommandLine() {
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), ConfigOverrides.builder().put("port", "abc")
                .build())).isInstanceOf(ConfigException.class).hasMessage("command line: port: expected an integer, got 'abc'");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), ConfigOverrides.builder().put("port", "-3")
                .build())).hasMessageContaining("command line: port").hasMessageContaining("out of range");
    }

    @Test
    void reloadTakesRunTimeSettingsAndKeepsTheOthers() throws IOException {
        ServerConfig old = ConfigLoader.load(file("port: 4222\nmax_payload: 1MB\ndebug: false\n"
                + "lame_duck_duration: 30s\n"), ConfigOverrides.none()).config();
        ServerConfig next = ConfigLoader.load(file("port: 4333\nmax_payload: 2MB\ndebug: true\n"
                + "lame_duck_duration: 45s\nserver_name: renamed\n"), ConfigOverrides.none()).config();
        ReloadPlan plan = ReloadPlan.between(old, next);
        assertThat(plan.applied()).anyMatch(s -> s.startsWith("max_payload"))
                .anyMatch(s -> s.startsWith("debug")).anyMatch(s -> s.startsWith("lame_duck_duration"));
        assertThat(plan.refused()).contains("listen cannot be changed at run time (was 0.0.0.0:4222, now "
                + "0.0.0.0:4333); keeping 0.0.0.0:4222");
        assertThat(plan.refused()).anyMatch(s -> s.startsWith("server_name cannot be changed"));
        ServerConfig effective = plan.effective();
        assertThat(effective.clientListen().port()).isEqualTo(4222);
        assertThat(effective.serverName()).isEqualTo(old.serverName());
        assertThat(effective.maxPayload()).isEqualTo(ByteSize.ofMebibytes(2));
        assertThat(effective.debug()).isTrue();
        assertThat(effective.lameDuckDuration()).isEqualTo(Duration.ofSeconds(45));
        assertThat(ReloadPlan.between(old, old).changesAnything()).isFalse();
    }
}
