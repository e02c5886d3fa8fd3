package io.jetraft.raft.transfer;

import io.jetraft.raft.GroupName;

import java.time.Duration;
import java.util.Optional;

/**
 * The transfer of one group: its outcome, the follower chosen, who leads afterwards (if known), how long it took from
 * the start of the whole transfer, and a detail for the log.
 */
public record GroupTransfer(GroupName group, TransferOutcome outcome, Optional<String> target,
                            Optional<String> newLeader, Duration took, String detail) {

    public boolean moved() {
        return outcome == TransferOutcome.MOVED;
    }
}
