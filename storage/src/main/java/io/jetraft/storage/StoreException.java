package io.jetraft.storage;

/**
 * The store itself failed (disk, RocksDB, a damaged or foreign store directory): not a user error. The message says
 * what, where, and what to do. A Raft state machine should treat it as fatal for the node.
 */
public class StoreException extends RuntimeException {

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
