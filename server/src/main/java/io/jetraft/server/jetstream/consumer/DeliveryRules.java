package io.jetraft.server.jetstream.consumer;

import java.time.Duration;
import java.util.List;

/**
 * What a consumer's engine needs of its configuration, with nats-server's defaults already filled in: where it
 * starts, how acknowledgements work, when messages are redelivered, which subjects it wants, and how it delivers
 * (push to a subject, or pull on request).
 */
public record DeliveryRules(
        String stream,
        String consumer,
        DeliverPolicy deliverPolicy,
        long optStartSeq,
        long optStartTimeNanos,
        AckPolicy ackPolicy,
        Duration ackWait,
        int maxDeliver,
        List<Duration> backoff,
        List<String> filters,
        int maxAckPending,
        int maxWaiting,
        boolean headersOnly,
        String deliverSubject,
        Duration idleHeartbeat,
        boolean flowControl,
        int maxBatch,
        Duration maxExpires,
        long maxBytes) {

    /** Where a new consumer starts in its stream. */
    public enum DeliverPolicy { ALL, LAST, NEW, BY_START_SEQUENCE, BY_START_TIME, LAST_PER_SUBJECT }

    /** How deliveries are acknowledged. */
    public enum AckPolicy { NONE, ALL, EXPLICIT }

    public DeliveryRules {
        backoff = backoff == null ? List.of() : List.copyOf(backoff);
        filters = filters == null ? List.of() : List.copyOf(filters);
        idleHeartbeat = idleHeartbeat == null ? Duration.ZERO : idleHeartbeat;
        maxExpires = maxExpires == null ? Duration.ZERO : maxExpires;
    }

    public boolean isPush() {
        return deliverSubject != null && !deliverSubject.isEmpty();
    }

    public boolean tracksAcks() {
        return ackPolicy != AckPolicy.NONE;
    }

    /** How long the {@code deliveryCount}-th delivery waits for its ack: backoff[n-1] (last repeats) or ack_wait. */
    public Duration ackWaitFor(long deliveryCount) {
        if (backoff.isEmpty()) {
            return ackWait;
        }
        int i = (int) Math.min(Math.max(deliveryCount - 1, 0), backoff.size() - 1);
        return backoff.get(i);
    }
}
