package io.jetraft.storage;

/** The store directory is locked by another process (RocksDB's LOCK file). */
public final class StoreLockedException extends StoreException {

    public StoreLockedException(String message, Throwable cause) {
        super(message, cause);
    }
}
