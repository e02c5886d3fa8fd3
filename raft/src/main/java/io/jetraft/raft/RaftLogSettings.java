package io.jetraft.raft;

import io.jetraft.config.ByteSize;

import java.util.Objects;

/**
 * The Raft log of every group on this node. Each group has its own log, fsync stream and write buffer, so these are
 * per group and small.
 *
 * @param segmentSize      a log segment is closed at this size; only closed segments are purged behind a snapshot
 * @param maxEntrySize     the largest entry (a publish batch with its headers); also the direct write buffer per group
 * @param snapshotEvery    a group takes a snapshot (and purges its log behind it) every this many applied entries
 * @param keepBehindSnapshot how many entries stay in the log behind a snapshot, for followers that are only a little
 *                         behind (more than this, and they receive the snapshot)
 * @param sync             when an entry counts as written
 */
public record RaftLogSettings(ByteSize segmentSize, ByteSize maxEntrySize, long snapshotEvery,
                              long keepBehindSnapshot, LogSync sync) {

    public RaftLogSettings {
        Objects.requireNonNull(segmentSize, "segmentSize");
        Objects.requireNonNull(maxEntrySize, "maxEntrySize");
        Objects.requireNonNull(sync, "sync");
        if (maxEntrySize.bytes() < 64 * 1024) {
            throw new IllegalArgumentException("the maximum Raft entry size must be at least 64KB, got "
                    + maxEntrySize);
        }
        if (segmentSize.bytes() < maxEntrySize.bytes()) {
            throw new IllegalArgumentException("a Raft log segment (" + segmentSize
                    + ") must hold at least one maximum-size entry (" + maxEntrySize + ")");
        }
        if (snapshotEvery < 1 || keepBehindSnapshot < 0) {
            throw new IllegalArgumentException("snapshotEvery must be positive and keepBehindSnapshot not negative");
        }
    }

    /** 8MB segments, 2MB entries (nats' 1MB max_payload plus headers and batching), snapshot every 100k entries. */
    public static RaftLogSettings defaults() {
        return new RaftLogSettings(ByteSize.ofMebibytes(8), ByteSize.ofMebibytes(2), 100_000, 10_000,
                LogSync.FSYNC_BEFORE_ACK);
    }

    public RaftLogSettings withSegmentSize(ByteSize s) {
        return new RaftLogSettings(s, maxEntrySize, snapshotEvery, keepBehindSnapshot, sync);
    }

    public RaftLogSettings withMaxEntrySize(ByteSize s) {
        return new RaftLogSettings(segmentSize, s, snapshotEvery, keepBehindSnapshot, sync);
    }

    public RaftLogSettings withSnapshots(long every, long keepBehind) {
        return new RaftLogSettings(segmentSize, maxEntrySize, every, keepBehind, sync);
    }

    public RaftLogSettings withSync(LogSync s) {
        return new RaftLogSettings(segmentSize, maxEntrySize, snapshotEvery, keepBehindSnapshot, s);
    }
}
