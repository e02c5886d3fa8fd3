package io.jetraft.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RollupTest {

    @TempDir
    Path dir;

    private static byte[] rollup(String kind) {
        return ("NATS/1.0\r\nKV-Operation: PURGE\r\nNats-Rollup: " + kind + "\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aSubjectRollupRemovesEarlierMessagesOfItsSubjectInTheSameWrite() {
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore s = TestStores.stream(node, "KV", StreamLimits.unlimited());
            Entries e = new Entries();
            TestStores.append(s, e, "kv.a", "1", 1);
            TestStores.append(s, e, "kv.b", "keep", 2);
            TestStores.append(s, e, "kv.a", "2", 3);
            long seq = s.append(e.next(), Append.of("kv.a", rollup("sub"), new byte[0], 4)).value().seq();
            assertThat(TestStores.contents(s)).containsExactly("2 kv.b keep", seq + " kv.a ");
            assertThat(s.state().messages()).isEqualTo(2);
            assertThat(s.subjectCounts("kv.a")).containsEntry("kv.a", 1L);
        }
    }

    @Test
    void anAllRollupLeavesOnlyTheNewMessage() {
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore s = TestStores.stream(node, "ALL", StreamLimits.unlimited());
            Entries e = new Entries();
            TestStores.append(s, e, "x.a", "1", 1);
            TestStores.append(s, e, "x.b", "2", 2);
            long seq = s.append(e.next(), Append.of("x.c", rollup("all"), new byte[0], 3)).value().seq();
            assertThat(TestStores.contents(s)).containsExactly(seq + " x.c ");
            assertThat(s.state().firstSeq()).isEqualTo(seq);
            assertThat(Rollup.of("NATS/1.0\r\nNats-Rollup: other\r\n\r\n".getBytes())).isEqualTo(Rollup.NONE);
        }
    }
}
