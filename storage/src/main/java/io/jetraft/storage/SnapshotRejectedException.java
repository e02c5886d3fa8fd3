package io.jetraft.storage;

/** A stream snapshot was refused (corrupt, truncated, of another stream or format): nothing was changed. */
public final class SnapshotRejectedException extends StoreException {

    public SnapshotRejectedException(String message) {
        super(message);
    }

    public SnapshotRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
