package io.jetraft.server.protocol;

/** What a client connection does with each operation the {@link ClientProtocolDecoder} reads. */
public interface ClientProtocolHandler {

    /** Bytes arrived (once per read, before the operations in them). */
    void onInputActivity();

    void onConnect(String json);

    void onPublish(InboundMessage message);

    void onSubscribe(String subject, String queue, String sid);

    /** @param max the auto-unsubscribe count, or -1 to unsubscribe now */
    void onUnsubscribe(String sid, long max);

    void onPing();

    void onPong();

    /**
     * The input broke the protocol; the connection must close. {@code clientError} is the {@code -ERR} text to send
     * first, or null when nats-server closes without one; {@code logDetail} is what to log.
     */
    void onProtocolViolation(String clientError, String logDetail);

    /** Whether the client announced header support in CONNECT (HPUB is refused otherwise). */
    boolean headersEnabled();

    /** The current max_payload (may change on reload). */
    int maxPayload();

    /** The current max_control_line (may change on reload). */
    int maxControlLine();
}
