package io.jetraft.storage;

/**
 * What a mutation did: {@link Done} with its value, {@link Rejected} with the JetStream error the user should see
 * (limits, expectations, sizes; the applied index is still recorded), or {@link Skipped} because its applied index is
 * not newer than the one recorded (a replayed Raft entry: nothing changed).
 */
public sealed interface Outcome<T> {

    record Done<T>(T value) implements Outcome<T> {
    }

    record Rejected<T>(JsError error) implements Outcome<T> {
    }

    record Skipped<T>(AppliedIndex recorded) implements Outcome<T> {
    }

    /** The value of a {@link Done}; fails on anything else (for callers and tests that expect success). */
    default T value() {
        if (this instanceof Done<T> done) {
            return done.value();
        }
        throw new IllegalStateException("not done: " + this);
    }

    default boolean isDone() {
        return this instanceof Done<T>;
    }
}
