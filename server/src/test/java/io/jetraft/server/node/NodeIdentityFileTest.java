package io.jetraft.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jetraft.server.support.TestConfigs;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a node keeps of itself in its store directory (node.json), and what it keeps without one. */
class NodeIdentityFileTest {

    @TempDir
    Path dir;

    @Test
    void anUnnamedJetStreamNodeIsTheSameNodeOnEveryStart() {
        Path store = dir.resolve("store");
        NodeIdentity first;
        try (JetraftNode n = JetraftNode.start(TestConfigs.node().jetstream(store).build())) {
            first = n.identity();
        }
        assertThat(first.serverName()).isEqualTo(first.serverId()).startsWith("N").hasSize(56);
        try (JetraftNode n = JetraftNode.start(TestConfigs.node().jetstream(store).build())) {
            assertThat(n.identity()).isEqualTo(first);
        }
        assertThat(new NodeIdentityFile(store).loadOrCreate(null)).isEqualTo(first);
        assertThat(store.resolve("node.json")).exists();
        assertThat(store).isDirectoryNotContaining("glob:**.tmp-*");
    }

    @Test
    void aConfiguredNameIsKeptAndTheSameNameIsAccepted() {
        Path store = dir.resolve("named");
        NodeIdentity first = new NodeIdentityFile(store).loadOrCreate("n1");
        assertThat(first.serverName()).isEqualTo("n1");
        assertThat(new NodeIdentityFile(store).loadOrCreate("n1")).isEqualTo(first);
        assertThat(new NodeIdentityFile(store).loadOrCreate("")).isEqualTo(first);
    }

    @Test
    void aNameGivenToAStoreThatChoseItsOwnIsRefusedWithWhatToDo() {
        Path store = dir.resolve("unnamed");
        NodeIdentity kept = new NodeIdentityFile(store).loadOrCreate(null);
        assertThatThrownBy(() -> new NodeIdentityFile(store).loadOrCreate("n9"))
                .hasMessageContaining("belongs to server \"" + kept.serverName() + "\"")
                .hasMessageContaining("Start it without server_name (or with server_name \"" + kept.serverName()
                        + "\"");
    }

    @Test
    void aNodeJsonThatCannotBeReadIsRefusedNotReplaced() throws Exception {
        Path store = dir.resolve("broken");
        Files.createDirectories(store);
        Files.writeString(store.resolve("node.json"), "{\"server_id\":");
        assertThatThrownBy(() -> JetraftNode.start(TestConfigs.node().jetstream(store).build()))
                .hasMessageContaining("cannot read this node's identity from " + store.resolve("node.json")
                        .toAbsolutePath());
        Files.writeString(store.resolve("node.json"), "{\"server_id\":\"NABC\"}");
        assertThatThrownBy(() -> new NodeIdentityFile(store).loadOrCreate(null))
                .hasMessageContaining("server_id or server_name is missing");
        assertThat(Files.readString(store.resolve("node.json"))).isEqualTo("{\"server_id\":\"NABC\"}");
    }

    @Test
    void aNodeWithoutJetStreamGetsANewIdOnEveryStart() {
        String first;
        try (JetraftNode n = JetraftNode.start(TestConfigs.node().build())) {
            first = n.identity().serverId();
        }
        try (JetraftNode n = JetraftNode.start(TestConfigs.node().build())) {
            assertThat(n.identity().serverId()).isNotEqualTo(first);
        }
    }
}
