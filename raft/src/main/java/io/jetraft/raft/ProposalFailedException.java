package io.jetraft.raft;

/**
 * The Raft layer could not get a proposal or a read through: the entry may or may not have been applied when the
 * reason is {@link Reason#TIMED_OUT}; for every other reason it was not. Carries the group it concerned.
 */
public final class ProposalFailedException extends RuntimeException {

    /** Why a proposal or read failed. */
    public enum Reason {
        /** No leader answered in time (no quorum, elections in progress); the outcome is unknown. */
        TIMED_OUT,
        /** This node cannot serve it: it holds no replica of the group (reads) or has not joined the meta group. */
        NOT_A_MEMBER,
        /** The group stopped applying on this node after an entry failed (see its health). */
        GROUP_HALTED,
        /** The leader refused the request before logging it (a malformed request). */
        INVALID_REQUEST,
        /** This node is closing or closed. */
        CLOSED,
        /** Anything else Ratis reported; the message says what. */
        RAFT_ERROR
    }

    private final transient GroupName group;
    private final Reason reason;

    public ProposalFailedException(GroupName group, Reason reason, String message, Throwable cause) {
        super(group + ": " + message, cause);
        this.group = group;
        this.reason = reason;
    }

    public ProposalFailedException(GroupName group, Reason reason, String message) {
        this(group, reason, message, null);
    }

    public GroupName group() {
        return group;
    }

    public Reason reason() {
        return reason;
    }
}
