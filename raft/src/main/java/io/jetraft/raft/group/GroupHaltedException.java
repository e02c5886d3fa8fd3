package io.jetraft.raft.group;

/**
 * Thrown out of {@code applyTransaction} when an entry cannot be decoded or applied. Ratis then closes the division on
 * this node (its StateMachineUpdater enters EXCEPTION and closes the server of that group), which is what we want:
 * the entry is never skipped, and nothing after it is applied.
 */
public final class GroupHaltedException extends RuntimeException {

    public GroupHaltedException(String message, Throwable cause) {
        super(message, cause);
    }
}
