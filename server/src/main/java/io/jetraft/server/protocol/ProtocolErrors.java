package io.jetraft.server.protocol;

/** The {@code -ERR} texts nats-server sends, word for word. */
public final class ProtocolErrors {

    public static final String UNKNOWN_OPERATION = "Unknown Protocol Operation";
    public static final String MAX_PAYLOAD = "Maximum Payload Violation";
    public static final String MAX_CONTROL_LINE = "maximum control line exceeded";
    public static final String MAX_CONNECTIONS = "maximum connections exceeded";
    public static final String STALE_CONNECTION = "Stale Connection";
    public static final String INVALID_SUBJECT = "Invalid Subject";
    public static final String INVALID_PUBLISH_SUBJECT = "Invalid Publish Subject";
    public static final String INVALID_CLIENT_PROTOCOL = "invalid client protocol";
    public static final String NO_RESPONDERS_REQUIRES_HEADERS = "no responders requires headers support";

    private ProtocolErrors() {
    }
}
