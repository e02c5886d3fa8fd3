package io.jetraft.storage;

import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stream group's snapshot file: the group's applied index and every key of each of its streams (with the stream
 * ids stripped, so they restore under any ids), in one file under one SHA-256.
 *
 * <pre>
 * magic "JRGSNAP" u16 format | UTF group id | u64 term | u64 index | u32 position in the entry | u32 stream count
 * per stream: UTF stream name | its records as in a stream snapshot ({@link StreamSnapshots}), ending u8 0 | u64 count
 * 32 bytes SHA-256 of everything before
 * </pre>
 * A restore checks the digest and the whole structure before it changes anything, ingests each stream under a fresh
 * id, and switches the whole group over in one atomic write.
 */
final class GroupSnapshots {

    private static final Logger LOG = LoggerFactory.getLogger(GroupSnapshots.class);
    private static final byte[] MAGIC = "JRGSNAP".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT = 1;
    private static final int MIN_SIZE = MAGIC.length + 2 + 2 + 16 + 8 + StreamSnapshots.DIGEST_LEN;
    private static final int MAX_STREAMS = 1_000_000;

    private record Header(String group, AppliedIndex applied, int streams) {
    }

    private GroupSnapshots() {
    }

    static GroupSnapshotInfo export(NodeStore node, String groupId, Map<String, Long> streams, Snapshot snapshot,
                                    Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        MessageDigest sha = StreamSnapshots.sha256();
        long records = 0;
        AppliedIndex applied;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (OutputStream fileOut = Files.newOutputStream(tmp);
                 DigestOutputStream digested = new DigestOutputStream(new BufferedOutputStream(fileOut, 1 << 16), sha);
                 DataOutputStream out = new DataOutputStream(digested)) {
                try (ReadOptions ro = new ReadOptions().setSnapshot(snapshot)) {
                    applied = Codec.decodeApplied(node.db().get(node.meta(), ro, Keys.groupApplied(groupId)));
                }
                out.write(MAGIC);
                out.writeShort(FORMAT);
                out.writeUTF(groupId);
                out.writeLong(applied.term());
                out.writeLong(applied.index());
                out.writeInt(applied.sub());
                out.writeInt(streams.size());
                for (Map.Entry<String, Long> s : streams.entrySet()) {
                    out.writeUTF(s.getKey());
                    records += StreamSnapshots.writeRecords(out, node, s.getValue(), snapshot);
                }
                out.flush();
                digested.on(false);
                out.write(sha.digest());
                out.flush();
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new GroupSnapshotInfo(groupId, applied, List.copyOf(streams.keySet()), records, Files.size(file),
                    HexFormat.of().formatHex(StreamSnapshots.readTrailer(file)), file);
        } catch (IOException | RocksDBException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new StoreException("exporting stream group '" + groupId + "' to " + file + " failed: "
                    + e.getMessage(), e);
        }
    }

    /** Checks the whole file (digest, then structure) and says what it holds; changes nothing. */
    static GroupSnapshotInfo verify(Path file) {
        StreamSnapshots.verifyDigest(file, MIN_SIZE);
        List<String> names = new ArrayList<>();
        long records = 0;
        AppliedIndex applied;
        String group;
        try (Reader r = new Reader(file)) {
            Header h = r.header();
            group = h.group();
            applied = h.applied();
            for (int i = 0; i < h.streams(); i++) {
                String name = r.streamName();
                if (names.contains(name)) {
                    throw r.records.rejected("holds stream '" + name + "' twice");
                }
                names.add(name);
                r.records.reset();
                while (r.records.next() != null) {
                    records++;
                }
            }
            r.expectTrailer();
        }
        try {
            return new GroupSnapshotInfo(group, applied, names, records, Files.size(file),
                    HexFormat.of().formatHex(StreamSnapshots.readTrailer(file)), file);
        } catch (IOException e) {
            throw new SnapshotRejectedException("cannot read snapshot " + file + ": " + e.getMessage(), e);
        }
    }

    /** Replaces group {@code g} with the snapshot's content (caller holds the catalog's lock). */
    static GroupSnapshotInfo restore(NodeStore node, StreamCatalog catalog, GroupStore g, Path file) {
        long started = System.nanoTime();
        GroupSnapshotInfo info = verify(file);
        if (!info.groupId().equals(g.id())) {
            throw new SnapshotRejectedException("snapshot " + file + " holds stream group '" + info.groupId()
                    + "', not '" + g.id() + "': refused, nothing changed");
        }
        List<String> current = catalog.streamsOf(g);
        for (String name : info.streams()) {
            if (!current.contains(name) && catalog.stream(name).isPresent()) {
                throw new SnapshotRejectedException("snapshot " + file + " holds stream '" + name + "', which this "
                        + "store keeps outside group '" + g.id() + "': refused, nothing changed");
            }
        }
        Map<String, Long> newIds = new LinkedHashMap<>();
        try (WriteBatch b = new WriteBatch()) {
            long next = node.allocateStreamId();
            for (String name : info.streams()) {
                newIds.put(name, next);
                b.put(node.meta(), Keys.globalRestoring(next), new byte[0]);
                next++;
            }
            b.put(node.meta(), Keys.global(Keys.GLOBAL_NEXT_SID), Keys.u64(next));
            node.writeSync(b);
        } catch (RocksDBException e) {
            throw new StoreException("cannot start restoring stream group '" + g.id() + "': " + e.getMessage(), e);
        }
        Map<String, Long> oldIds = new LinkedHashMap<>();
        for (String name : current) {
            oldIds.put(name, catalog.sid(name));
        }
        List<String> gone = new ArrayList<>();
        try {
            try (Reader r = new Reader(file)) {
                r.header();
                for (int i = 0; i < info.streams().size(); i++) {
                    String name = r.streamName();
                    r.records.reset();
                    StreamSnapshots.ingestRecords(node, r.records, newIds.get(name), file.toString());
                }
            }
            node.restoreFault.run();
            try (WriteBatch b = new WriteBatch()) {
                for (Map.Entry<String, Long> e : newIds.entrySet()) {
                    b.put(node.meta(), Keys.globalStream(e.getKey()), Keys.u64(e.getValue()));
                    b.put(node.meta(), Keys.groupStream(g.id(), e.getKey()), new byte[0]);
                    b.delete(node.meta(), Keys.globalRestoring(e.getValue()));
                }
                for (Map.Entry<String, Long> e : oldIds.entrySet()) {
                    node.deleteStreamRange(b, e.getValue());
                    if (!newIds.containsKey(e.getKey())) {
                        gone.add(e.getKey());
                        b.delete(node.meta(), Keys.globalStream(e.getKey()));
                        b.delete(node.meta(), Keys.groupStream(g.id(), e.getKey()));
                    }
                }
                b.put(node.meta(), g.appliedKey(), Codec.applied(info.applied()));
                node.writeSync(b);
            }
        } catch (RuntimeException | RocksDBException e) {
            abandon(node, newIds.values());
            if (e instanceof SnapshotRejectedException r) {
                throw r;
            }
            throw new StoreException("restoring stream group '" + g.id() + "' from " + file + " failed (the old copy "
                    + "is unchanged): " + e.getMessage(), e);
        }
        catalog.restored(g, newIds, gone, info.applied());
        for (long sid : oldIds.values()) {
            node.reclaim(sid);
        }
        LOG.info("Restored stream group '{}' ({} streams) at applied index {} from {} in {} ms", g.id(),
                newIds.size(), info.applied(), file, (System.nanoTime() - started) / 1_000_000);
        return info;
    }

    private static void abandon(NodeStore node, Iterable<Long> sids) {
        try (WriteBatch b = new WriteBatch()) {
            for (long sid : sids) {
                node.deleteStreamRange(b, sid);
                b.delete(node.meta(), Keys.globalRestoring(sid));
            }
            node.writeSync(b);
        } catch (RocksDBException e) {
            LOG.warn("Cleaning up a failed group restore failed; it is retried at the next open: {}", e.getMessage());
            return;
        }
        for (long sid : sids) {
            node.reclaim(sid);
        }
    }

    /** Reads a group snapshot's structure; any defect is a {@link SnapshotRejectedException}. */
    private static final class Reader implements AutoCloseable {
        private final DataInputStream in;
        final StreamSnapshots.Records records;

        Reader(Path file) {
            try {
                this.in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
            } catch (IOException e) {
                throw new SnapshotRejectedException("cannot read snapshot " + file + ": " + e.getMessage(), e);
            }
            this.records = new StreamSnapshots.Records(in, file);
        }

        Header header() {
            try {
                if (!Arrays.equals(in.readNBytes(MAGIC.length), MAGIC)) {
                    throw records.rejected("is not a jetraft stream group snapshot");
                }
                int format = in.readUnsignedShort();
                if (format != FORMAT) {
                    throw records.rejected("has group snapshot format " + format + ", this jetraft reads format "
                            + FORMAT);
                }
                String group = in.readUTF();
                long term = in.readLong();
                long index = in.readLong();
                int sub = in.readInt();
                int streams = in.readInt();
                if (term < 0 || index < -1 || sub < 0) {
                    throw records.rejected("has an invalid applied index");
                }
                if (streams < 0 || streams > MAX_STREAMS) {
                    throw records.rejected("has an invalid stream count " + streams);
                }
                return new Header(group, new AppliedIndex(term, index, sub), streams);
            } catch (IOException e) {
                throw records.rejected("has a damaged header (" + e + ")");
            }
        }

        String streamName() {
            try {
                String name = in.readUTF();
                if (!NodeStore.isValidName(name)) {
                    throw records.rejected("has an invalid stream name");
                }
                return name;
            } catch (IOException e) {
                throw records.rejected("is truncated (" + e + ")");
            }
        }

        /** After the last stream only the digest may follow. */
        void expectTrailer() {
            try {
                byte[] rest = in.readAllBytes();
                if (rest.length != StreamSnapshots.DIGEST_LEN) {
                    throw records.rejected("has " + (rest.length - StreamSnapshots.DIGEST_LEN)
                            + " unexpected bytes after its last stream");
                }
            } catch (IOException e) {
                throw records.rejected("cannot be read to its end (" + e + ")");
            }
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException e) {
                // read-only stream
            }
        }
    }
}
