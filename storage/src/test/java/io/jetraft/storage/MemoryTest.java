package io.jetraft.storage;

import io.jetraft.config.ByteSize;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class MemoryTest {

    @TempDir
    Path dir;

    @Test
    void twoHundredOpenCloseCyclesLeaveNoNativeHandlesAndFlatMemory() throws IOException {
        long rssAfterWarmUp = 0;
        long seq = 0;
        for (int cycle = 0; cycle < 200; cycle++) {
            try (NodeStore node = TestStores.open(dir)) {
                StreamStore s = node.stream("S")
                        .orElseGet(() -> node.createStream("S", StreamLimits.unlimited().withMaxMsgs(5000)).value());
                Entries e = new Entries();
                for (long i = 0; i < s.appliedIndex().index(); i++) {
                    e.next();
                }
                for (int i = 0; i < 50; i++) {
                    s.append(e.next(), Append.of("s." + (i % 5), null, new byte[256], ++seq));
                }
                assertThat(s.lastMessage("s.*")).isPresent();
                assertThat(s.nextMessage("s.3", 1)).isPresent();
                assertThat(s.subjectCounts(">")).hasSize(5);
                assertThat(NodeStore.liveNativeHandles()).isPositive();
            }
            assertThat(NodeStore.liveNativeHandles()).as("native handles after cycle %d", cycle).isZero();
            if (cycle == 19) {
                rssAfterWarmUp = rssBytes();
            }
        }
        long growth = rssBytes() - rssAfterWarmUp;
        System.out.printf("RSS growth over 180 open/close cycles: %d KiB%n", growth / 1024);
        // one leaked store per cycle would be 180 block caches, memtables and table readers
        assertThat(growth).isLessThan(64L * 1024 * 1024);
        try (NodeStore node = TestStores.open(dir)) {
            assertThat(node.stream("S").orElseThrow().state().messages()).isEqualTo(5000);
        }
    }

    @Test
    void aThousandStreamsStayWithinTheConfiguredMemoryBudget() {
        ByteSize cache = ByteSize.ofMebibytes(8);
        ByteSize writeBuffers = ByteSize.ofMebibytes(4);
        Random random = new Random(42);
        long written = 0;
        long maxMemTables = 0;
        long maxCache = 0;
        try (NodeStore node = NodeStore.open(new StoreOptions(dir, cache, writeBuffers, false))) {
            StreamStore[] streams = new StreamStore[1000];
            Entries[] entries = new Entries[streams.length];
            for (int i = 0; i < streams.length; i++) {
                streams[i] = node.createStream("S" + i, StreamLimits.unlimited()).value();
                entries[i] = new Entries();
            }
            for (int round = 0; round < 40; round++) {
                for (int i = 0; i < streams.length; i++) {
                    byte[] payload = new byte[1024];
                    random.nextBytes(payload);
                    streams[i].append(entries[i].next(), Append.of("s." + round, null, payload, round));
                    written += payload.length;
                }
                MemoryUsage u = node.memoryUsage();
                maxMemTables = Math.max(maxMemTables, u.memTableBytes());
                maxCache = Math.max(maxCache, u.blockCacheUsage());
            }
            for (int i = 0; i < 20_000; i++) {
                StreamStore s = streams[random.nextInt(streams.length)];
                assertThat(s.message(1 + random.nextInt(40))).isPresent();
                if (i % 1000 == 0) {
                    maxCache = Math.max(maxCache, node.memoryUsage().blockCacheUsage());
                }
            }
            MemoryUsage end = node.memoryUsage();
            maxCache = Math.max(maxCache, end.blockCacheUsage());
            System.out.printf("wrote %d MiB into 1000 streams: max memtables %d KiB (budget %d KiB), "
                            + "max block cache usage %d KiB (capacity %d KiB), pinned %d KiB%n",
                    written >> 20, maxMemTables >> 10, writeBuffers.bytes() >> 10, maxCache >> 10,
                    cache.bytes() >> 10, end.blockCachePinned() >> 10);
        }
        assertThat(written).isGreaterThan(3 * (cache.bytes() + writeBuffers.bytes()));
        // the write buffer manager flushes (and stalls writes) when all memtables together reach the budget;
        // without it, the three column families' memtables reach ~6 MiB here
        assertThat(maxMemTables).isLessThanOrEqualTo(writeBuffers.bytes() + writeBuffers.bytes() / 10);
        // the cache holds blocks and the memtable reservations; LRU eviction keeps it at its capacity
        assertThat(maxCache).isLessThanOrEqualTo(cache.bytes() + cache.bytes() / 10);
    }

    private static long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
