package io.jetraft.storage;

/**
 * One delivery of a consumer (nats-server's UpdateDelivered): consumer sequence {@code dseq} carried stream sequence
 * {@code sseq} for the {@code deliveryCount}-th time at {@code tsNanos}.
 */
public record Delivery(long dseq, long sseq, long deliveryCount, long tsNanos) {
}
