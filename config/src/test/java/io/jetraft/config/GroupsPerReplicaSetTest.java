package io.jetraft.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jetstream { groups_per_replica_set: N }}: how many Raft stream groups each replica set gets. */
class GroupsPerReplicaSetTest {

    @TempDir
    Path dir;

    private Path conf(String jetstreamLine) throws IOException {
        Path p = dir.resolve("js.conf");
        Files.writeString(p, "jetstream {\n  store_dir: \"/tmp/js\"\n" + jetstreamLine + "\n}\n");
        return p;
    }

    private JetStreamConfig load(String jetstreamLine) throws IOException {
        return ConfigLoader.load(Optional.of(conf(jetstreamLine)), ConfigOverrides.none(), Map.of()).config()
                .jetstream();
    }

    @Test
    void absentMeansOneGroupPerMemberOfTheSet() throws IOException {
        assertThat(load("").groupsPerReplicaSet()).isEmpty();
        assertThat(ServerConfig.defaults().jetstream().groupsPerReplicaSet()).isEmpty();
    }

    @Test
    void aPositiveNumberIsTaken() throws IOException {
        assertThat(load("  groups_per_replica_set: 4").groupsPerReplicaSet()).isEqualTo(OptionalInt.of(4));
        assertThat(load("  groups_per_replica_set = 1").groupsPerReplicaSet()).isEqualTo(OptionalInt.of(1));
    }

    @Test
    void zeroNegativeTooManyOrNotANumberIsRefusedNamingTheFieldFileAndPosition() throws IOException {
        String at = dir.resolve("js.conf") + ":3:27: jetstream.groups_per_replica_set: ";
        assertThatThrownBy(() -> load("  groups_per_replica_set: 0")).isInstanceOf(ConfigException.class)
                .hasMessage(at + "the number of Raft stream groups per replica set must be between 1 and 1024, got 0");
        assertThatThrownBy(() -> load("  groups_per_replica_set: -2"))
                .hasMessage(at + "the number of Raft stream groups per replica set must be between 1 and 1024, got -2");
        assertThatThrownBy(() -> load("  groups_per_replica_set: 5000"))
                .hasMessage(at + "the number of Raft stream groups per replica set must be between 1 and 1024, "
                        + "got 5000");
        assertThatThrownBy(() -> load("  groups_per_replica_set: three"))
                .hasMessage(at + "expected an integer, got 'three'");
        assertThatThrownBy(() -> load("  groups_per_replica_set: \"3\""))
                .hasMessage(at + "expected an integer, got a string");
        assertThatThrownBy(() -> load("  groups_per_replica_set: 2.5"))
                .hasMessage(at + "expected an integer, got '2.5'");
        assertThatThrownBy(() -> load("  groups_per_replica_set: [3]"))
                .hasMessage(at + "expected an integer, got an array");
    }

    @Test
    void aChangeIsNotAppliedByAReload() throws IOException {
        ServerConfig before = ConfigLoader.load(Optional.of(conf("  groups_per_replica_set: 2")),
                ConfigOverrides.none(), Map.of()).config();
        ServerConfig after = ConfigLoader.load(Optional.of(conf("  groups_per_replica_set: 6")),
                ConfigOverrides.none(), Map.of()).config();
        ReloadPlan plan = ReloadPlan.between(before, after);
        assertThat(plan.refused()).contains("jetstream.groups_per_replica_set cannot be changed at run time "
                + "(was 2, now 6); keeping 2");
        assertThat(plan.effective().jetstream().groupsPerReplicaSet()).isEqualTo(OptionalInt.of(2));
    }
}
