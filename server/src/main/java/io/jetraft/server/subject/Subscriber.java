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

    /**
     * Whether messages routed here by another node may reach this subscriber. Peers route only for interest this node
     * told them of; a subscriber it never announced (its own {@code $JS.API.>} answerer) would otherwise take, and
     * answer a second time, what a peer routed here for someone else.
     */
    default boolean takesRouted() {
        return true;
    }

    /**
     * Whether this subscriber hears, with each message published on this node, how many other subscribers and routes
     * took it ({@link #deliverAfter}); such a subscriber gets each message after all the others.
     */
    default boolean countsOthers() {
        return false;
    }

    /** As {@link #deliver}, for a subscriber that {@link #countsOthers}: {@code others} took the message before it. */
    default boolean deliverAfter(Subscription subscription, InboundMessage message, int others) {
        return deliver(subscription, message);
    }

    /** Whether this subscriber is still open; closed ones are skipped when picking a queue member. */
    boolean isOpen();
}
