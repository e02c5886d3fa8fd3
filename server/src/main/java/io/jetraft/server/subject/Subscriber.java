package io.jetraft.server.subject;

import io.jetraft.server.protocol.InboundMessage;

/** Something that receives messages for its subscriptions: a client connection, later a route. */
public interface Subscriber {

    /**
     * Queues one message for this subscriber; called from any thread, must not block.
     *
     * @return false when the subscriber could not take it (closed, or cut off as a slow consumer)
     */
    boolean deliver(Subscription subscription, InboundMessage message);

    /** The subscription has received the last message its UNSUB max allowed: remove it. Any thread. */
    void limitReached(Subscription subscription);

    /** Whether this subscriber's queue is over half its max_pending: publishers to it should pause reading. */
    default boolean isCongested() {
        return false;
    }

    /** Runs the action (on any thread) once this subscriber is no longer congested; at once if it is not. */
    default void whenDrained(Runnable action) {
        action.run();
    }

    /** Whether this subscriber is still open; closed ones are skipped when picking a queue member. */
    boolean isOpen();
}
