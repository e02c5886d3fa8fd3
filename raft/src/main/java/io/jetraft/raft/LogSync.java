package io.jetraft.raft;

/** When a Raft log entry counts as written, and so when a publish may be acknowledged. */
public enum LogSync {
    /**
     * The default: an entry is acknowledged only after it is fsynced to the Raft log on a quorum of peers (Ratis
     * flushes before it reports an index as written; commit needs a quorum of written indexes).
     */
    FSYNC_BEFORE_ACK,
    /**
     * Faster and unsafe: Ratis counts an entry as written before its fsync ({@code raft.server.log.unsafe-flush}),
     * so an acknowledged write can be lost when a quorum of machines loses power at once.
     */
    UNSAFE_ACK_BEFORE_FSYNC
}
