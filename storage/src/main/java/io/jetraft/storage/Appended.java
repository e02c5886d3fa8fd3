package io.jetraft.storage;

/**
 * The result of an append: the message's sequence, or the first sequence stored with the same message id when
 * {@code duplicate} (nats-server's PubAck {@code {"seq":..,"duplicate":true}}).
 */
public record Appended(long seq, boolean duplicate) {
}
