package io.jetraft.storage;

import java.util.Map;

/**
 * A consumer's replicated state, as nats-server's ConsumerState: the last delivered and the ack floor (each a consumer
 * and stream sequence), the pending messages (stream sequence → delivery) and redelivery counts (stream sequence →
 * times redelivered). Maps are sorted by stream sequence and unmodifiable.
 */
public record ConsumerState(
        SequencePair delivered,
        SequencePair ackFloor,
        Map<Long, Pending> pending,
        Map<Long, Long> redelivered) {

    /** A consumer sequence and the stream sequence delivered with it. */
    public record SequencePair(long consumerSeq, long streamSeq) {
    }

    /** An unacknowledged delivery: the consumer sequence it was first delivered with and the last delivery time. */
    public record Pending(long consumerSeq, long timestampNanos) {
    }
}
