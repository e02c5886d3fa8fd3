package io.jetraft.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.jetraft.storage.TestStores.append;
import static io.jetraft.storage.TestStores.bytes;
import static io.jetraft.storage.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class BadInputTest {

    @TempDir
    Path dir;

    @Test
    void invalidLimitsAreRefusedWithTheStreamConfigError() {
        try (NodeStore node = TestStores.open(dir)) {
            assertThat(node.createStream("S", StreamLimits.unlimited().withMaxMsgs(-2)))
                    .isEqualTo(new Outcome.Rejected<>(new JsError(500, 10052,
                            "max_msgs can not be less than -1 (-1 means unlimited): -2")));
            assertThat(rejection(node, StreamLimits.unlimited().withMaxBytes(-5))).contains("max_bytes");
            assertThat(rejection(node, StreamLimits.unlimited().withMaxMsgsPerSubject(-3)))
                    .contains("max_msgs_per_subject");
            assertThat(rejection(node, StreamLimits.unlimited().withMaxMsgSize(-9))).contains("max_msg_size");
            assertThat(rejection(node, StreamLimits.unlimited().withMaxAge(Duration.ofMillis(-1))))
                    .isEqualTo("max age can not be negative");
            assertThat(rejection(node, StreamLimits.unlimited().withMaxAge(Duration.ofMillis(50))))
                    .isEqualTo("max age needs to be >= 100ms");
            assertThat(rejection(node, StreamLimits.unlimited().withMaxAge(Duration.ofSeconds(1))
                    .withDuplicateWindow(Duration.ofSeconds(2))))
                    .isEqualTo("duplicates window can not be larger then max age");
            assertThat(rejection(node, StreamLimits.unlimited().withDiscardNewPerSubject(true)))
                    .isEqualTo("discard new per subject requires discard new policy to be set");
            assertThat(node.createStream("a.b", StreamLimits.unlimited())).isInstanceOf(Outcome.Rejected.class);
            assertThat(node.streamNames()).isEmpty();

            // -1 and 0 mean unlimited, and the duplicate window defaults as in nats-server
            StreamStore ok = node.createStream("OK", StreamLimits.unlimited().withMaxMsgs(0)
                    .withMaxAge(Duration.ofSeconds(30))).value();
            assertThat(ok.limits().maxMsgs()).isEqualTo(-1);
            assertThat(ok.limits().duplicateWindow()).isEqualTo(Duration.ofSeconds(30));
            assertThat(node.createStream("OK", StreamLimits.unlimited().withMaxMsgs(5)))
                    .isEqualTo(new Outcome.Rejected<>(JsError.streamNameInUse()));

            Entries e = new Entries();
            append(ok, e, "a", "kept", 1);
            assertThat(ok.updateLimits(e.next(), StreamLimits.unlimited().withMaxMsgs(-7)))
                    .isInstanceOf(Outcome.Rejected.class);
            assertThat(ok.limits().maxMsgs()).isEqualTo(-1);
            assertThat(contents(ok)).containsExactly("1 a kept");
        }
    }

    private static String rejection(NodeStore node, StreamLimits limits) {
        Outcome<StreamStore> out = node.createStream("S", limits);
        assertThat(out).isInstanceOf(Outcome.Rejected.class);
        JsError error = ((Outcome.Rejected<StreamStore>) out).error();
        assertThat(error.errCode()).isEqualTo(10052);
        return error.description();
    }

    @Test
    void aMessageOverMaxMsgSizeIsRefusedAndNothingIsLost() {
        try (NodeStore node = TestStores.open(dir)) {
            StreamStore s = TestStores.stream(node, "S", StreamLimits.unlimited().withMaxMsgSize(1024));
            Entries e = new Entries();
            append(s, e, "a", "small", 1);
            Outcome<Appended> big = s.append(e.next(), Append.of("a", null, new byte[1025], 2));
            assertThat(big).isEqualTo(new Outcome.Rejected<>(new JsError(400, 10054,
                    "message size exceeds maximum allowed")));
            assertThat(contents(s)).containsExactly("1 a small");
            assertThat(s.append(e.next(), Append.of("a.*", null, bytes("x"), 3)))
                    .isEqualTo(new Outcome.Rejected<>(JsError.badRequest()));
            assertThat(s.appliedIndex()).isEqualTo(e.current());
        }
    }

    @Test
    void aStoreDirectoryThatCannotBeCreatedIsAClearError() throws Exception {
        Path file = dir.resolve("plain-file");
        Files.writeString(file, "not a directory");
        Path storeDir = file.resolve("store");

        assertThatThrownBy(() -> TestStores.open(storeDir))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("cannot create the store directory " + storeDir)
                .hasMessageContaining("store_dir");
        assertThatThrownBy(() -> TestStores.open(file))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(file.toString());
        assertThat(Files.readString(file)).isEqualTo("not a directory");
        assertThat(NodeStore.liveNativeHandles()).isZero();
    }

    @Test
    void aStoreLockedByAnotherProcessIsAClearErrorNamingTheDirectory() throws Exception {
        try (NodeStore node = TestStores.open(dir)) {
            append(TestStores.stream(node, "S", StreamLimits.unlimited()), new Entries(), "a", "mine", 1);
        }
        try (ChildJvm holder = ChildJvm.start(HoldStoreMain.class, dir.toString())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> holder.printed("open") || !holder.process().isAlive());
            assertThat(holder.lines()).anyMatch(l -> l.startsWith("open [S]"));

            assertThatThrownBy(() -> TestStores.open(dir))
                    .isInstanceOf(StoreLockedException.class)
                    .hasMessageContaining(dir.toString())
                    .hasMessageContaining("another jetraft process may be using it");
            assertThat(NodeStore.liveNativeHandles()).isZero();
        }
        try (NodeStore node = TestStores.open(dir)) {
            assertThat(contents(node.stream("S").orElseThrow())).containsExactly("1 a mine");
        }
    }

    @Test
    void aSecondOpenInTheSameProcessIsRefusedToo() {
        try (NodeStore node = TestStores.open(dir)) {
            assertThatThrownBy(() -> TestStores.open(dir))
                    .isInstanceOf(StoreLockedException.class)
                    .hasMessageContaining(dir.toString())
                    .hasMessageContaining("another jetraft process may be using it");
            assertThat(node.streamNames()).isEmpty();
        }
    }

    @Test
    void aStoreWrittenByANewerFormatIsRefusedAndLeftAsItWas() throws Exception {
        try (NodeStore node = TestStores.open(dir)) {
            append(TestStores.stream(node, "S", StreamLimits.unlimited()), new Entries(), "a", "precious", 1);
        }
        writeFormatVersion(NodeStore.FORMAT_VERSION + 1);

        assertThatThrownBy(() -> TestStores.open(dir))
                .isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("format version " + (NodeStore.FORMAT_VERSION + 1))
                .hasMessageContaining("newer jetraft");
        assertThat(NodeStore.liveNativeHandles()).isZero();

        writeFormatVersion(NodeStore.FORMAT_VERSION);
        try (NodeStore node = TestStores.open(dir)) {
            assertThat(contents(node.stream("S").orElseThrow())).containsExactly("1 a precious");
        }
    }

    @Test
    void aStoreOfTheOneGroupPerStreamLayoutIsRefusedWithWhatToDo() throws Exception {
        try (NodeStore node = TestStores.open(dir)) {
            append(TestStores.stream(node, "S", StreamLimits.unlimited()), new Entries(), "a", "precious", 1);
        }
        writeFormatVersion(1);

        assertThatThrownBy(() -> TestStores.open(dir))
                .isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("format version 1")
                .hasMessageContaining("a Raft group of its own")
                .hasMessageContaining("run the older jetraft")
                .hasMessageContaining("move the store directory");
        assertThat(NodeStore.liveNativeHandles()).isZero();
        // nothing was changed: put the version back and the data is there
        writeFormatVersion(NodeStore.FORMAT_VERSION);
        try (NodeStore node = TestStores.open(dir)) {
            assertThat(contents(node.stream("S").orElseThrow())).containsExactly("1 a precious");
        }
    }

    /** Stands in for another jetraft: rewrites the format key with plain RocksDB. */
    private void writeFormatVersion(int version) throws Exception {
        List<ColumnFamilyDescriptor> cfs = new ArrayList<>();
        for (String name : List.of("default", "msgs", "index", "meta")) {
            cfs.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8)));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions o = new DBOptions(); RocksDB db = RocksDB.open(o, dir.toString(), cfs, handles)) {
            db.put(handles.get(3), Keys.global(Keys.GLOBAL_FORMAT), ByteBuffer.allocate(4).putInt(version).array());
            handles.forEach(ColumnFamilyHandle::close);
        }
    }
}
