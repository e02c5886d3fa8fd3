package io.jetraft.server.protocol;

import java.util.List;

/** What a route connection does with each operation the {@link RouteProtocolDecoder} reads from a peer node. */
public interface RouteProtocolHandler {

    void onInfo(String json);

    void onConnect(String json);

    /** RS+: the peer has interest in the subject (for a queue group when queue is not null). */
    void onRemoteSubscribe(String subject, String queue);

    /** RS-: the peer no longer has that interest. */
    void onRemoteUnsubscribe(String subject, String queue);

    /**
     * RMSG/HRMSG: a message from a client of the peer. Local plain subscribers all get it; of the local queue groups,
     * only those named in {@code queues} (the peer chose this node for them).
     */
    void onRoutedMessage(InboundMessage message, List<String> queues);

    void onPing();

    void onPong();

    /** -ERR from the peer: it will close the route. */
    void onPeerError(String text);

    void onProtocolViolation(String error, String logDetail);

    int maxPayload();
}
