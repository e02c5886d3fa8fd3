package io.jetraft.raft;

import io.jetraft.storage.JsError;

/**
 * The result of a committed and applied proposal: {@link Ok} with its value, or {@link Refused} with the JetStream
 * error nats-server gives for it (a user error is a value, never an exception). Failures of the Raft layer itself
 * (no leader, timeout, closed) complete the future exceptionally with a {@link ProposalFailedException}.
 */
public sealed interface Result<T> {

    record Ok<T>(T value) implements Result<T> {
    }

    record Refused<T>(JsError error) implements Result<T> {
    }

    static <T> Result<T> ok(T value) {
        return new Ok<>(value);
    }

    static <T> Result<T> refused(JsError error) {
        return new Refused<>(error);
    }

    default boolean isOk() {
        return this instanceof Ok<T>;
    }

    /** The value of an {@link Ok}; fails on a refusal (for callers and tests that expect success). */
    default T value() {
        if (this instanceof Ok<T> ok) {
            return ok.value();
        }
        throw new IllegalStateException("refused: " + ((Refused<T>) this).error());
    }

    /** The error of a {@link Refused}; fails on success. */
    default JsError error() {
        if (this instanceof Refused<T> refused) {
            return refused.error();
        }
        throw new IllegalStateException("not refused: " + this);
    }
}
