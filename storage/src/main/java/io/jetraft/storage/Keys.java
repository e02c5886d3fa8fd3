package io.jetraft.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Key layout. Every key of a stream, in every column family, starts with the stream's 8-byte id (big-endian, so
 * byte order is numeric order), so one stream is exactly the range [sid, sid+1) of each column family: that range is
 * what a snapshot exports and what a delete drops. Stream id 0 is the node's catalog.
 *
 * <pre>
 * msgs   [sid][seq]                            → [ts u64][subjLen u16][subject][hdrLen u32][headers][payload]
 * index  [sid][0x01][subject][0x00][seq]       → ()            per-subject index (last-by-subject, filters)
 *        [sid][0x02][ts][seq]                  → ()            time index (max_age without a full scan)
 * meta   [sid][0x01]                           → stream counters (first/last seq and time, msgs, bytes, subjects)
 *        [sid][0x02]                           → applied (term, index)
 *        [sid][0x03]                           → stream name and limits
 *        [sid][0x04][subject]                  → messages on that subject (u64)
 *        [sid][0x10][consumer]                 → consumer config, delivered, ack floor
 *        [sid][0x11][consumer][0x00][sseq]     → pending (consumer seq, timestamp)
 *        [sid][0x12][consumer][0x00][sseq]     → redelivery count
 *        [sid][0x20][msg id]                   → (seq, ts) de-duplication by Nats-Msg-Id
 *        [sid][0x21][ts][seq]                  → msg id       de-duplication window expiry order
 *        [0][0x01]                             → store format version (u32)
 *        [0][0x02]                             → next stream id (u64, ids are never reused)
 *        [0][0x03][stream name]                → stream id
 *        [0][0x04][sid]                        → a restore into sid is in progress (dropped at open if left over)
 *        [0][0x05][key]                        → a meta record (opaque bytes of the Raft meta group, {@link MetaRecords})
 *        [0][0x06]                             → the meta records' applied (term, index)
 *        [0][0x07][group id]                   → a stream group's applied (term, index) ({@link GroupStore})
 *        [0][0x08][group id][0x00][stream]     → ()            the stream belongs to that group
 * </pre>
 * A stream of a group records its group's applied index in the same write as its own data; the group's record is
 * the one that counts for replays.
 */
final class Keys {

    static final int SID = 8;

    static final byte IDX_SUBJECT = 0x01;
    static final byte IDX_TIME = 0x02;

    static final byte META_STATE = 0x01;
    static final byte META_APPLIED = 0x02;
    static final byte META_CONFIG = 0x03;
    static final byte META_SUBJECT_COUNT = 0x04;
    static final byte META_CONSUMER = 0x10;
    static final byte META_PENDING = 0x11;
    static final byte META_REDELIVERED = 0x12;
    static final byte META_DEDUPE_ID = 0x20;
    static final byte META_DEDUPE_TIME = 0x21;

    static final byte GLOBAL_FORMAT = 0x01;
    static final byte GLOBAL_NEXT_SID = 0x02;
    static final byte GLOBAL_STREAM = 0x03;
    static final byte GLOBAL_RESTORING = 0x04;
    static final byte GLOBAL_META_RECORD = 0x05;
    static final byte GLOBAL_META_APPLIED = 0x06;
    static final byte GLOBAL_GROUP_APPLIED = 0x07;
    static final byte GLOBAL_GROUP_STREAM = 0x08;

    private Keys() {
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] streamStart(long sid) {
        return ByteBuffer.allocate(SID).putLong(sid).array();
    }

    static byte[] streamEnd(long sid) {
        return ByteBuffer.allocate(SID).putLong(sid + 1).array();
    }

    static byte[] msg(long sid, long seq) {
        return ByteBuffer.allocate(16).putLong(sid).putLong(seq).array();
    }

    static long msgSeq(byte[] key) {
        return ByteBuffer.wrap(key, SID, 8).getLong();
    }

    static byte[] kind(long sid, byte kind) {
        return ByteBuffer.allocate(SID + 1).putLong(sid).put(kind).array();
    }

    static byte[] kindWith(long sid, byte kind, byte[] rest) {
        return ByteBuffer.allocate(SID + 1 + rest.length).putLong(sid).put(kind).put(rest).array();
    }

    /** [sid][kind][name][0x00]: the prefix of all entries of one subject or consumer. */
    static byte[] kindNamePrefix(long sid, byte kind, byte[] name) {
        return ByteBuffer.allocate(SID + 2 + name.length).putLong(sid).put(kind).put(name).put((byte) 0).array();
    }

    static byte[] kindNameSeq(long sid, byte kind, byte[] name, long seq) {
        return ByteBuffer.allocate(SID + 10 + name.length).putLong(sid).put(kind).put(name).put((byte) 0)
                .putLong(seq).array();
    }

    static byte[] kindTimeSeq(long sid, byte kind, long ts, long seq) {
        return ByteBuffer.allocate(SID + 17).putLong(sid).put(kind).putLong(ts).putLong(seq).array();
    }

    /** The trailing u64 of a key (the seq of index, pending and time keys). */
    static long trailingLong(byte[] key) {
        return ByteBuffer.wrap(key, key.length - 8, 8).getLong();
    }

    /** The u64 right after [sid][kind] (the timestamp of a time key). */
    static long longAfterKind(byte[] key) {
        return ByteBuffer.wrap(key, SID + 1, 8).getLong();
    }

    /** The name bytes in [sid][kind][name] or [sid][kind][name][0][seq] keys. */
    static String nameOf(byte[] key, boolean hasSeq) {
        int end = hasSeq ? key.length - 9 : key.length;
        return new String(key, SID + 1, end - SID - 1, StandardCharsets.UTF_8);
    }

    /** The smallest key greater than every key that starts with {@code prefix}. */
    static byte[] prefixEnd(byte[] prefix) {
        byte[] end = Arrays.copyOf(prefix, prefix.length);
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xFF) {
                end[i]++;
                return Arrays.copyOf(end, i + 1);
            }
        }
        throw new IllegalArgumentException("no end for an all-0xFF prefix");
    }

    static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    static byte[] global(byte kind) {
        return kind(0, kind);
    }

    static byte[] globalStream(String name) {
        return kindWith(0, GLOBAL_STREAM, utf8(name));
    }

    static byte[] globalMetaRecord(String key) {
        return kindWith(0, GLOBAL_META_RECORD, utf8(key));
    }

    static byte[] groupApplied(String groupId) {
        return kindWith(0, GLOBAL_GROUP_APPLIED, utf8(groupId));
    }

    /** [0][0x08][group id][0x00]: the prefix of a group's membership keys. */
    static byte[] groupStreamsPrefix(String groupId) {
        return kindNamePrefix(0, GLOBAL_GROUP_STREAM, utf8(groupId));
    }

    static byte[] groupStream(String groupId, String stream) {
        byte[] prefix = groupStreamsPrefix(groupId);
        byte[] name = utf8(stream);
        return ByteBuffer.allocate(prefix.length + name.length).put(prefix).put(name).array();
    }

    static byte[] globalRestoring(long sid) {
        return kindWith(0, GLOBAL_RESTORING, ByteBuffer.allocate(8).putLong(sid).array());
    }

    /** Replace the 8-byte stream id at the start of a key. */
    static byte[] withSid(long sid, byte[] keyWithoutSid) {
        return ByteBuffer.allocate(SID + keyWithoutSid.length).putLong(sid).put(keyWithoutSid).array();
    }

    static long u64(byte[] v) {
        return ByteBuffer.wrap(v).getLong();
    }

    static byte[] u64(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }
}
