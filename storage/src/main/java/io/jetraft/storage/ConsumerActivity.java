package io.jetraft.storage;

/**
 * When a replica last applied a delivery of a consumer (the delivery time the leader stamped on it) and an
 * acknowledgement (this replica's clock when it applied it), in ns since the epoch, 0 when none since the store was
 * opened. Kept in memory only, as nats-server keeps a consumer's last activity: after a restart it is unknown until
 * the next delivery or acknowledgement.
 */
public record ConsumerActivity(long lastDeliveredNanos, long lastAckedNanos) {
}
