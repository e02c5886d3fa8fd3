package io.jetraft.storage;

/** The store directory was written in a format this build cannot read (e.g. by a newer jetraft). */
public final class StoreFormatException extends StoreException {

    public StoreFormatException(String message) {
        super(message);
    }
}
