package io.jetraft.server.jetstream;

import io.jetraft.storage.JsError;

/** The JetStream API errors the server layer raises itself, as nats-server's errors.json words them. */
final class JsErrors {

    static final JsError CLUSTER_NOT_AVAILABLE = new JsError(503, 10008, "JetStream system temporarily unavailable");
    static final JsError STREAM_NOT_MATCH = new JsError(400, 10060, "expected stream does not match");
    static final JsError STREAM_NOT_FOUND = new JsError(404, 10059, "stream not found");
    static final JsError CONSUMER_NOT_FOUND = new JsError(404, 10014, "consumer not found");
    static final JsError NO_MESSAGE_FOUND = new JsError(404, 10037, "no message found");
    static final JsError BAD_REQUEST = new JsError(400, 10003, "bad request");
    static final JsError NOT_ENABLED = new JsError(503, 10076, "JetStream not enabled");

    private JsErrors() {
    }

    /** 10025, with the reason Go's json.Unmarshal gave (nats-server 2.11 and later print it after the colon). */
    static JsError invalidJson(String reason) {
        return new JsError(400, 10025, "invalid JSON: " + reason);
    }
}
