package io.jetraft.server.dispatch;

import io.jetraft.server.subject.Subscriber;

/**
 * The sender of a message being dispatched. When a receiver falls behind, the publisher is asked to stop reading for
 * a while (back-pressure, as nats-server stalls fast producers) instead of letting the receiver's queue overflow.
 */
public interface Publisher {

    /** Pause reading input until {@code congested} has drained, or a short time has passed. Publisher's thread. */
    void stallUntilDrained(Subscriber congested);

    /**
     * A route's peer sent a message for a queue group that has no member here (any more): a route may pass it on.
     * The message is valid only during the call.
     */
    default void queueUnserved(io.jetraft.server.protocol.InboundMessage message, String queue) {
    }
}
