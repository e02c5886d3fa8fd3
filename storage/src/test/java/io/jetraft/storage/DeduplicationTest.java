package io.jetraft.storage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static io.jetraft.storage.TestStores.bytes;
import static org.assertj.core.api.Assertions.assertThat;

class DeduplicationTest {

    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path dir;
    NodeStore node;
    StreamStore s;
    final Entries e = new Entries();

    @BeforeEach
    void open() {
        node = TestStores.open(dir);
        s = TestStores.stream(node, "S", StreamLimits.unlimited().withDuplicateWindow(Duration.ofSeconds(60)));
    }

    @AfterEach
    void close() {
        node.close();
    }

    private Outcome<Appended> publish(String id, String payload, long ts) {
        return s.append(e.next(), Append.of("orders", null, bytes(payload), ts).withMsgId(id));
    }

    @Test
    void aMessageIdSeenInTheWindowReturnsTheFirstSequence() {
        assertThat(publish("id-1", "a", 10 * SECOND).value()).isEqualTo(new Appended(1, false));
        assertThat(publish("id-2", "b", 11 * SECOND).value()).isEqualTo(new Appended(2, false));
        assertThat(publish("id-1", "a again", 20 * SECOND).value()).isEqualTo(new Appended(1, true));

        assertThat(s.state().messages()).isEqualTo(2);
        assertThat(s.state().lastSeq()).isEqualTo(2);
        assertThat(s.duplicateOf("id-1", 30 * SECOND)).hasValue(1);
    }

    @Test
    void theWindowExpiresByTheGivenTimestamps() {
        publish("id-1", "a", 10 * SECOND);
        // 59.999 s later: still a duplicate; 60 s later: a new message
        assertThat(publish("id-1", "x", 10 * SECOND + 60 * SECOND - 1).value().duplicate()).isTrue();
        assertThat(publish("id-1", "y", 70 * SECOND).value()).isEqualTo(new Appended(2, false));
        // and the new entry has its own window
        assertThat(publish("id-1", "z", 100 * SECOND).value()).isEqualTo(new Appended(2, true));
        assertThat(s.duplicateOf("id-1", 131 * SECOND)).isEmpty();
    }

    @Test
    void theWindowSurvivesARestartAndExpiredIdsAreForgotten() {
        publish("id-1", "a", 10 * SECOND);
        publish("id-2", "b", 50 * SECOND);
        node.close();
        node = TestStores.open(dir);
        s = node.stream("S").orElseThrow();

        assertThat(publish("id-1", "again", 20 * SECOND).value()).isEqualTo(new Appended(1, true));
        s.removeExpired(e.next(), 80 * SECOND);
        assertThat(s.duplicateOf("id-1", 60 * SECOND)).isEmpty();
        assertThat(s.duplicateOf("id-2", 60 * SECOND)).hasValue(2);
    }
}
