package io.jetraft.storage;

import org.rocksdb.EnvOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDBException;
import org.rocksdb.Snapshot;
import org.rocksdb.SstFileWriter;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One stream's snapshot file: every key of the stream in every column family, with the stream id stripped so it
 * can be restored under any id.
 *
 * <pre>
 * magic "JRSNAP" u16 format | UTF stream name | u64 term | u64 index
 * records: u8 column family (1 msgs, 2 index, 3 meta) | u32 key length | key | u32 value length | value
 * u8 0 (end) | u64 record count | 32 bytes SHA-256 of everything before
 * </pre>
 * Records come in column-family order and, within one, in key order, so a restore writes them straight into
 * SST files (SstFileWriter) and ingests those.
 */
final class StreamSnapshots {

    private static final byte[] MAGIC = "JRSNAP".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT = 1;
    static final int DIGEST_LEN = 32;
    private static final int MAX_KEY = 64 * 1024;
    private static final int MAX_VALUE = 256 * 1024 * 1024;

    record Header(String stream, AppliedIndex applied) {
    }

    private StreamSnapshots() {
    }

    static SnapshotInfo export(NodeStore node, String name, long sid, Snapshot snapshot, Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        MessageDigest sha = sha256();
        long records = 0;
        AppliedIndex applied;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (OutputStream fileOut = Files.newOutputStream(tmp);
                 BufferedOutputStream buffered = new BufferedOutputStream(fileOut, 1 << 16);
                 DigestOutputStream digested = new DigestOutputStream(buffered, sha);
                 DataOutputStream out = new DataOutputStream(digested)) {
                byte[] appliedValue;
                try (org.rocksdb.ReadOptions ro = new org.rocksdb.ReadOptions().setSnapshot(snapshot)) {
                    appliedValue = node.db().get(node.meta(), ro, Keys.kind(sid, Keys.META_APPLIED));
                }
                applied = Codec.decodeApplied(appliedValue);
                out.write(MAGIC);
                out.writeShort(FORMAT);
                out.writeUTF(name);
                out.writeLong(applied.term());
                out.writeLong(applied.index());
                records = writeRecords(out, node, sid, snapshot);
                out.flush();
                digested.on(false);
                byte[] digest = sha.digest();
                out.write(digest);
                out.flush();
                fileOut.flush();
            }
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            byte[] digest = readTrailer(file);
            return new SnapshotInfo(name, applied, records, Files.size(file), HexFormat.of().formatHex(digest), file);
        } catch (IOException | RocksDBException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new StoreException("exporting stream '" + name + "' to " + file + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Writes every key of stream {@code sid} in every column family, as of {@code snapshot}, without the stream id,
     * then the end marker and the count; returns the count.
     */
    static long writeRecords(DataOutputStream out, NodeStore node, long sid, Snapshot snapshot) throws IOException {
        long records = 0;
        for (int cf = 1; cf <= 3; cf++) {
            try (Scan s = Scan.ofSnapshot(node.db(), node.columnFamily(cf), Keys.streamStart(sid),
                    Keys.streamEnd(sid), snapshot).seekToFirst()) {
                for (; s.valid(); s.next()) {
                    byte[] k = s.key();
                    byte[] v = s.value();
                    out.writeByte(cf);
                    out.writeInt(k.length - Keys.SID);
                    out.write(k, Keys.SID, k.length - Keys.SID);
                    out.writeInt(v.length);
                    out.write(v);
                    records++;
                }
            }
        }
        out.writeByte(0);
        out.writeLong(records);
        return records;
    }

    static byte[] readTrailer(Path file) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(DIGEST_LEN);
            ch.position(ch.size() - DIGEST_LEN);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // read fully
            }
            return b.array();
        }
    }

    /**
     * Checks the whole file: its SHA-256, then its structure (header, every record, the end marker and count).
     * Returns the header; throws {@link SnapshotRejectedException} on any defect.
     */
    static Header verify(Path file) {
        verifyDigest(file, MAGIC.length + 2 + 2 + 16 + 1 + 8 + DIGEST_LEN);
        try (Reader r = new Reader(file)) {
            Header h = r.header();
            while (r.next() != null) {
                // structure check only
            }
            return h;
        }
    }

    /** Checks a snapshot file's size and its trailing SHA-256 over everything before it. */
    static void verifyDigest(Path file, long minSize) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new SnapshotRejectedException("cannot read snapshot " + file + ": " + e.getMessage(), e);
        }
        if (size < minSize) {
            throw new SnapshotRejectedException("snapshot " + file + " is truncated (" + size
                    + " bytes): refused, nothing changed");
        }
        MessageDigest sha = sha256();
        byte[] stored;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            byte[] buf = new byte[1 << 16];
            long left = size - DIGEST_LEN;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new EOFException();
                }
                sha.update(buf, 0, n);
                left -= n;
            }
            stored = in.readNBytes(DIGEST_LEN);
        } catch (IOException e) {
            throw new SnapshotRejectedException("cannot read snapshot " + file + ": " + e.getMessage(), e);
        }
        if (!Arrays.equals(sha.digest(), stored)) {
            throw new SnapshotRejectedException("snapshot " + file + " is corrupt or truncated (SHA-256 mismatch): "
                    + "refused, nothing changed");
        }
    }

    static SnapshotInfo inspect(Path file) {
        Header h = verify(file);
        try (Reader r = new Reader(file)) {
            r.header();
            long records = 0;
            while (r.next() != null) {
                records++;
            }
            return new SnapshotInfo(h.stream(), h.applied(), records, Files.size(file),
                    HexFormat.of().formatHex(readTrailer(file)), file);
        } catch (IOException e) {
            throw new SnapshotRejectedException("cannot read snapshot " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes the snapshot's records as SST files with {@code sid} as their stream id, and ingests them. */
    static void ingest(NodeStore node, Path file, long sid) {
        try (Reader r = new Reader(file)) {
            r.header();
            ingestRecords(node, r.records, sid, file.toString());
        }
    }

    /** Writes one stream's records (up to its end marker) as SST files under stream id {@code sid}, and ingests them. */
    static void ingestRecords(NodeStore node, Records records, long sid, String source) {
        Path dir = node.directory().resolve(NodeStore.RESTORE_DIR).resolve(Long.toString(sid));
        try {
            Files.createDirectories(dir);
            List<List<String>> perCf = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            try (EnvOptions env = new EnvOptions();
                 Options opts = new Options()) {
                SstFileWriter writer = null;
                int writerCf = 0;
                int fileNo = 0;
                try {
                    Record rec;
                    while ((rec = records.next()) != null) {
                        if (writer == null || rec.cf() != writerCf) {
                            if (writer != null) {
                                writer.finish();
                                writer.close();
                                writer = null;
                            }
                            writerCf = rec.cf();
                            Path sst = dir.resolve("cf" + writerCf + "-" + (fileNo++) + ".sst");
                            writer = new SstFileWriter(env, opts);
                            writer.open(sst.toString());
                            perCf.get(writerCf - 1).add(sst.toString());
                        }
                        writer.put(Keys.withSid(sid, rec.key()), rec.value());
                    }
                    if (writer != null) {
                        writer.finish();
                    }
                } finally {
                    if (writer != null) {
                        writer.close();
                    }
                }
            }
            for (int cf = 1; cf <= 3; cf++) {
                if (!perCf.get(cf - 1).isEmpty()) {
                    node.ingest(node.columnFamily(cf), perCf.get(cf - 1));
                }
            }
        } catch (IOException | RocksDBException e) {
            throw new StoreException("ingesting snapshot " + source + " failed: " + e.getMessage(), e);
        } finally {
            NodeStore.deleteRecursively(dir);
        }
    }

    record Record(int cf, byte[] key, byte[] value) {
    }

    /** Reads a stream snapshot's structure; any defect is a {@link SnapshotRejectedException}. */
    private static final class Reader implements AutoCloseable {
        private final Path file;
        private final DataInputStream in;
        final Records records;

        Reader(Path file) {
            this.file = file;
            try {
                this.in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
            } catch (IOException e) {
                throw new SnapshotRejectedException("cannot read snapshot " + file + ": " + e.getMessage(), e);
            }
            this.records = new Records(in, file);
        }

        Header header() {
            try {
                byte[] magic = in.readNBytes(MAGIC.length);
                if (!Arrays.equals(magic, MAGIC)) {
                    throw records.rejected("is not a jetraft stream snapshot");
                }
                int format = in.readUnsignedShort();
                if (format != FORMAT) {
                    throw records.rejected("has snapshot format " + format + ", this jetraft reads format " + FORMAT);
                }
                String name = in.readUTF();
                long term = in.readLong();
                long index = in.readLong();
                if (term < 0 || index < -1) {
                    throw records.rejected("has an invalid applied index");
                }
                return new Header(name, new AppliedIndex(term, index));
            } catch (IOException e) {
                throw records.rejected("has a damaged header (" + e + ")");
            }
        }

        Record next() {
            return records.next();
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

    /**
     * One stream's records in a snapshot, up to their end marker and count: in column-family order and, within one,
     * in key order, with sane lengths; any defect is a {@link SnapshotRejectedException}. {@link #reset} starts the
     * next stream's records (a group snapshot holds several).
     */
    static final class Records {
        private final DataInputStream in;
        private final Path file;
        private long records;
        private int lastCf;
        private byte[] lastKey;

        Records(DataInputStream in, Path file) {
            this.in = in;
            this.file = file;
        }

        void reset() {
            records = 0;
            lastCf = 0;
            lastKey = null;
        }

        /** The next record, or null at the end marker (whose count is checked). */
        Record next() {
            try {
                int cf = in.readUnsignedByte();
                if (cf == 0) {
                    long count = in.readLong();
                    if (count != records) {
                        throw rejected("says it holds " + count + " records but has " + records);
                    }
                    return null;
                }
                if (cf > 3 || cf < lastCf) {
                    throw rejected("has a record of unknown column family " + cf);
                }
                int kl = in.readInt();
                if (kl < 1 || kl > MAX_KEY) {
                    throw rejected("has a record with a bad key length " + kl);
                }
                byte[] key = in.readNBytes(kl);
                int vl = in.readInt();
                if (vl < 0 || vl > MAX_VALUE) {
                    throw rejected("has a record with a bad value length " + vl);
                }
                byte[] value = in.readNBytes(vl);
                if (key.length != kl || value.length != vl) {
                    throw rejected("is truncated");
                }
                if (cf == lastCf && lastKey != null && Arrays.compareUnsigned(lastKey, key) >= 0) {
                    throw rejected("has records out of order");
                }
                lastCf = cf;
                lastKey = key;
                records++;
                return new Record(cf, key, value);
            } catch (IOException e) {
                throw rejected("is truncated (" + e + ")");
            }
        }

        SnapshotRejectedException rejected(String what) {
            return new SnapshotRejectedException("snapshot " + file + " " + what + ": refused, nothing changed");
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
