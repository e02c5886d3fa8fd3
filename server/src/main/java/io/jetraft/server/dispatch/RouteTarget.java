package io.jetraft.server.dispatch;

import io.jetraft.server.protocol.InboundMessage;
import java.util.List;

/**
 * A route to a peer node, as a receiver of messages: the subscriptions it holds in the subject index stand for the
 * peer's interest, and a message goes to it once, however many of those subscriptions match.
 */
public interface RouteTarget {

    /**
     * Queues the message for the peer.
     *
     * @param queues the queue groups the peer should deliver to (this node chose one of its members); empty when
     *        only the peer's plain subscriptions want it
     * @return false when the route could not take it
     */
    boolean sendRouted(InboundMessage message, List<String> queues);

    /** The route that carries this one's messages now (another, once it was replaced), so a message goes once. */
    default RouteTarget current() {
        return this;
    }
}
