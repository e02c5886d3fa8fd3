package io.jetraft.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config refuses what nats-server refuses (server/opts.go, conf/parse.go in pedantic mode): every unknown field,
 * at any level, as {@code path:line:column: unknown field "key"}; every field nats-server knows that jetraft does not
 * implement as "not supported by jetraft"; a key only defined to be used as a {@code $VARIABLE} is not a field.
 */
class StrictFieldsTest {

    @TempDir
    Path dir;

    private Path conf(String text) throws IOException {
        Path p = dir.resolve("server.conf");
        Files.writeString(p, text);
        return p;
    }

    private LoadedConfig load(String text) throws IOException {
        return ConfigLoader.load(Optional.of(conf(text)), ConfigOverrides.none(), Map.of());
    }

    private String refusal(String text) throws IOException {
        Path p = conf(text);
        try {
            ConfigLoader.load(Optional.of(p), ConfigOverrides.none(), Map.of());
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + text);
    }

    private String at(int line, int column) {
        return dir.resolve("server.conf") + ":" + line + ":" + column + ": ";
    }

    @Test
    void aTypoAtTheTopLevelIsAnUnknownFieldWithFileLineAndColumn() throws IOException {
        assertThat(refusal("port: 4222\n\nlame_duck_durtion: 30s\n"))
                .isEqualTo(at(3, 1) + "unknown field \"lame_duck_durtion\"");
    }

    @Test
    void anUnknownBlockIsAnUnknownField() throws IOException {
        assertThat(refusal("port: 4222\nwebsockett { }\n")).isEqualTo(at(2, 1) + "unknown field \"websockett\"");
        assertThat(refusal("  \"flux_capacitor\": 88\n")).isEqualTo(at(1, 4) + "unknown field \"flux_capacitor\"");
    }

    @Test
    void unknownFieldsInsideClusterAndJetStreamAreRefusedToo() throws IOException {
        assertThat(refusal("cluster {\n  name: c1\n  warp: 9\n}\n")).isEqualTo(at(3, 3) + "unknown field \"warp\"");
        assertThat(refusal("jetstream {\n\tstore_dir: /tmp/x\n\tmax_ack_pending: 5\n}\n"))
                .isEqualTo(at(3, 2) + "unknown field \"max_ack_pending\"");
    }

    @Test
    void everyErrorIsReportedAtOnceInTheOrderOfTheFile() throws IOException {
        String message = refusal("""
                port: "abc"
                typo_one: 1
                cluster {
                  name: c1
                  routez: [nats-route://127.0.0.1:6222]
                }
                jetstream { store_dir: /tmp/x, unique_tag: az }
                websocket { port: 8080 }
                """);
        assertThat(message.split("\n")).containsExactly(
                at(1, 7) + "port: expected an integer, got a string",
                at(2, 1) + "unknown field \"typo_one\"",
                at(5, 3) + "unknown field \"routez\"",
                at(7, 32) + "field \"jetstream.unique_tag\" is not supported by jetraft (nats-server knows it; "
                        + "remove it to start jetraft)",
                at(8, 1) + "field \"websocket\" is not supported by jetraft (nats-server knows it; remove it to "
                        + "start jetraft)");
    }

    @Test
    void fieldsNatsServerKnowsButJetraftDoesNotImplementAreRefusedAsNotSupported() throws IOException {
        for (String block : List.of("websocket { port: 8080 }", "leafnodes { port: 7422 }", "mqtt { port: 1883 }",
                "gateway { name: g }", "accounts { A { users: [ { user: a, password: a } ] } }",
                "tls { cert_file: x.pem }", "authorization { token: s3cr3t }", "operator: op.jwt",
                "resolver: MEMORY", "system_account: SYS", "no_auth_user: app", "server_tags: [az:1]")) {
            String key = block.substring(0, block.indexOf(' ')).replace(":", "");
            assertThat(refusal("port: 4222\n" + block + "\n")).as(block)
                    .startsWith(at(2, 1) + "field \"" + key + "\" is not supported by jetraft");
        }
        assertThat(refusal("cluster {\n  name: c1\n  tls { cert_file: x.pem }\n}\n"))
                .startsWith(at(3, 3) + "field \"cluster.tls\" is not supported by jetraft");
        assertThat(refusal("cluster {\n  name: c1\n  authorization { user: u, password: p }\n}\n"))
                .startsWith(at(3, 3) + "field \"cluster.authorization\" is not supported by jetraft");
        assertThat(refusal("jetstream {\n  cipher: aes\n}\n"))
                .startsWith(at(2, 3) + "field \"jetstream.cipher\" is not supported by jetraft");
    }

    @Test
    void aVariableUsedAsAValueIsNotAField() throws IOException {
        // PORT also matches "port" (keys are case-insensitive); MONITORING is a variable and nothing else
        LoadedConfig top = load("PORT = 4333\nport: $PORT\nMONITORING = 8333\nhttp_port = $MONITORING\n");
        assertThat(top.config().clientListen().port()).isEqualTo(4333);
        assertThat(top.config().httpListen().port()).isEqualTo(8333);
        assertThat(top.warnings()).isEmpty();

        LoadedConfig nested = load("""
                NAME: n1
                server_name: $NAME
                cluster {
                  clustering_port = 6333
                  port = $clustering_port
                  name: $NAME
                }
                jetstream {
                  DIR: "/var/lib/x"
                  store_dir: $DIR
                }
                """);
        assertThat(nested.config().cluster().get().listen().port()).isEqualTo(6333);
        assertThat(nested.config().cluster().get().name()).isEqualTo("n1");
        assertThat(nested.config().jetstream().storeDir()).isEqualTo(Path.of("/var/lib/x"));
        assertThat(nested.warnings()).isEmpty();
    }

    @Test
    void aVariableDefinedInAnIncludedFileAndUsedAfterTheIncludeIsNotAField() throws IOException {
        Files.writeString(dir.resolve("ports.conf"), "CLIENT_PORT: 4444\n");
        assertThat(load("include ports.conf\nport: $CLIENT_PORT\n").config().clientListen().port())
                .isEqualTo(4444);
    }

    @Test
    void aVariableNeverUsedIsAnUnknownFieldAsInNatsServer() throws IOException {
        assertThat(refusal("unused = \"hello\"\nport: 4222\n")).isEqualTo(at(1, 1) + "unknown field \"unused\"");
        assertThat(refusal("cluster {\n  name: c1\n  P = 6222\n}\n")).isEqualTo(at(3, 3) + "unknown field \"P\"");
    }

    @Test
    void anUnknownFieldInAnIncludedFileNamesThatFile() throws IOException {
        Files.createDirectories(dir.resolve("conf.d"));
        Files.writeString(dir.resolve("conf.d/limits.conf"), "max_payload: 1MB\nmonitoring_port: 8222\n");
        assertThat(refusal("include conf.d/limits.conf\n"))
                .isEqualTo(dir.resolve("conf.d/limits.conf") + ":2:1: unknown field \"monitoring_port\"");
    }

    @Test
    void keysMatchWithoutRegardToCaseAsInNatsServer() throws IOException {
        ServerConfig c = load("Port: 4555\nJetStream {\n  Store_Dir: \"/x\"\n}\nLAME_DUCK_DURATION: 45s\n").config();
        assertThat(c.clientListen().port()).isEqualTo(4555);
        assertThat(c.jetstream().enabled()).isTrue();
        assertThat(c.jetstream().storeDir()).isEqualTo(Path.of("/x"));
        assertThat(c.lameDuckDuration()).hasSeconds(45);
    }

    @Test
    void aTopLevelStoreDirIsJetStreamsStoreDirButNotBesideTheBlocksOwn() throws IOException {
        ServerConfig c = load("store_dir: \"/top\"\njetstream: enabled\n").config();
        assertThat(c.jetstream().storeDir()).isEqualTo(Path.of("/top"));
        assertThat(refusal("store_dir: /top\njetstream {\n  store_dir: /inner\n}\n"))
                .startsWith(at(3, 14) + "jetstream.store_dir: Duplicate 'store_dir' configuration");
        ServerConfig flag = ConfigLoader.load(Optional.of(conf("store_dir: /top\njetstream: enabled\n")),
                ConfigOverrides.builder().put("jetstream.store_dir", "/flag").build(), Map.of()).config();
        assertThat(flag.jetstream().storeDir()).isEqualTo(Path.of("/flag"));
    }

    @Test
    void theExampleConfigsLoadUnderTheStrictRules() throws IOException {
        List<Path> examples;
        try (Stream<Path> files = Files.list(Path.of("../examples/cluster"))) {
            examples = files.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
        }
        assertThat(examples).hasSize(3);
        for (Path example : examples) {
            LoadedConfig c = ConfigLoader.load(Optional.of(example), ConfigOverrides.none(), Map.of());
            assertThat(c.config().cluster()).as(example.toString()).isPresent();
            assertThat(c.warnings()).as(example.toString()).isEmpty();
        }
    }
}
