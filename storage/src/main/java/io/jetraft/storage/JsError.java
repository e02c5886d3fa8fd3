package io.jetraft.storage;

/**
 * A JetStream API error as nats-server reports it: {@code code} (HTTP-like), {@code err_code} and the description,
 * verbatim from nats-server's errors.json where one exists. User errors are returned as values, never thrown, so that
 * the Raft apply path never fails on them.
 */
public record JsError(int code, int errCode, String description) {

    /** 10052 (code 500): "{err}", an invalid stream configuration. */
    public static JsError invalidStreamConfig(String why) {
        return new JsError(500, 10052, why);
    }

    /** 10054 (code 400): the message (headers plus payload) is larger than max_msg_size. */
    public static JsError messageExceedsMaximum() {
        return new JsError(400, 10054, "message size exceeds maximum allowed");
    }

    /** 10058 (code 400). */
    public static JsError streamNameInUse() {
        return new JsError(400, 10058, "stream name already in use with a different configuration");
    }

    /** 10077 (code 503): "{err}", the store refused the write, e.g. "maximum messages exceeded" with discard new. */
    public static JsError storeFailed(String err) {
        return new JsError(503, 10077, err);
    }

    public static JsError maximumMessagesExceeded() {
        return storeFailed("maximum messages exceeded");
    }

    public static JsError maximumBytesExceeded() {
        return storeFailed("maximum bytes exceeded");
    }

    public static JsError maximumMessagesPerSubjectExceeded() {
        return storeFailed("maximum messages per subject exceeded");
    }

    /** 10071 (code 400). */
    public static JsError wrongLastSequence(long seq) {
        return new JsError(400, 10071, "wrong last sequence: " + seq);
    }

    /** 10043 (code 400). */
    public static JsError sequenceNotFound(long seq) {
        return new JsError(400, 10043, "sequence " + seq + " not found");
    }

    /** 10003 (code 400). */
    public static JsError badRequest() {
        return new JsError(400, 10003, "bad request");
    }

    /** 10014 (code 404). */
    public static JsError consumerNotFound() {
        return new JsError(404, 10014, "consumer not found");
    }

    /** 10148 (code 400). */
    public static JsError consumerAlreadyExists() {
        return new JsError(400, 10148, "consumer already exists");
    }

    /** {@code "<description> (<err_code>)"}, as nats-server's {@code ApiError.Error()}. */
    @Override
    public String toString() {
        return description + " (" + errCode + ")";
    }
}
