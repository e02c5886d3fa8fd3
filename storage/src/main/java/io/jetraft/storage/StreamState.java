package io.jetraft.storage;

/**
 * A stream's StreamState as nats-server reports it: {@code messages, bytes, first_seq, first_ts, last_seq, last_ts,
 * num_subjects, num_deleted, consumer_count}. Timestamps are ns since the epoch, 0 when there is none. An empty stream
 * has {@code firstSeq == lastSeq + 1}. Bytes are counted as nats-server's file store counts them.
 */
public record StreamState(
        long messages,
        long bytes,
        long firstSeq,
        long firstTimestampNanos,
        long lastSeq,
        long lastTimestampNanos,
        long numSubjects,
        long numDeleted,
        int consumerCount) {
}
