package io.jetraft.server.client;

/** Why a connection ended, in nats-server's words (the {@code reason} field of closed connections in /connz). */
public enum ClosedReason {
    CLIENT_CLOSED("Client Closed"),
    SERVER_SHUTDOWN("Server Shutdown"),
    SLOW_CONSUMER_PENDING_BYTES("Slow Consumer (Pending Bytes)"),
    SLOW_CONSUMER_WRITE_DEADLINE("Slow Consumer (Write Deadline)"),
    STALE_CONNECTION("Stale Connection"),
    PROTOCOL_VIOLATION("Protocol Violation"),
    PARSE_ERROR("Parse Error"),
    BAD_CLIENT_PROTOCOL_VERSION("Bad Client Protocol Version"),
    MAX_CONNECTIONS_EXCEEDED("Maximum Connections Exceeded"),
    MAX_PAYLOAD_EXCEEDED("Maximum Message Payload Exceeded"),
    MAX_CONTROL_LINE_EXCEEDED("Maximum Control Line Exceeded"),
    READ_ERROR("Read Error");

    private final String text;

    ClosedReason(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }
}
