package io.jetraft.server.jetstream;

import io.jetraft.storage.JsError;

/** A JetStream API request refused with nats-server's error (code, err_code, description). */
final class ApiException extends RuntimeException {

    private final transient JsError error;

    ApiException(JsError error) {
        super(error.description(), null, false, false);
        this.error = error;
    }

    ApiException(int code, int errCode, String description) {
        this(new JsError(code, errCode, description));
    }

    JsError error() {
        return error;
    }
}
