package io.jetraft.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.jetraft.config.ByteSize;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.StoreOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm-up builds the descriptors of Ratis's protocol and of ours (what a first leadership would build), and
 * practises a leadership on a throwaway Ratis server that it removes afterwards.
 */
class LeaderWarmUpTest {

    @TempDir
    Path dir;

    @Test
    void buildsBothProtocolsDescriptors() {
        // top-level messages: Ratis's protocol file and ours describe 103 together
        assertThat(LeaderWarmUp.run()).isGreaterThan(80);
    }

    @Test
    void practisesALeadershipWithTheNodesRatisSettingsAndLeavesNothingBehind() throws Exception {
        List<Path> before = warmUpDirs();
        // a node's settings as RaftNode gives them (its own port and directory, which the practice must not use)
        int writes;
        RaftNodeConfig config;
        try (NodeStore store = NodeStore.open(new StoreOptions(dir.resolve("store"), ByteSize.ofMebibytes(8),
                ByteSize.ofMebibytes(4), false))) {
            config = RaftNodeConfig.of("n1", "127.0.0.1:1", store, dir.resolve("raft"))
                    .withTiming(TestCluster.fastTiming()).withLog(TestCluster.smallLog());
            writes = LeaderWarmUp.practise(RatisProperties.server(config));
        }

        assertThat(writes).isEqualTo(LeaderWarmUp.PRACTICE_WRITES);
        assertThat(warmUpDirs()).isEqualTo(before);
        // the node's own directories are not touched
        assertThat(config.raftDirectory()).doesNotExist();
    }

    private static List<Path> warmUpDirs() throws IOException {
        try (Stream<Path> all = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return all.filter(p -> p.getFileName().toString().startsWith("jetraft-leader-warm-up")).sorted().toList();
        }
    }
}
