package io.jetraft.raft.transfer;

/** What a leadership transfer of one group came to. */
public enum TransferOutcome {
    /** Another peer leads the group now. */
    MOVED,
    /** No follower was current (none heard from recently): nothing was tried, nothing waited for. */
    NO_CURRENT_FOLLOWER,
    /** The target did not take over within the bound; this node may still lead the group. */
    TIMED_OUT,
    /** Ratis refused the transfer (e.g. a configuration change in flight); the detail says why. */
    FAILED
}
