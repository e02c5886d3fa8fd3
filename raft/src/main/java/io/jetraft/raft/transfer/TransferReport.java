package io.jetraft.raft.transfer;

import java.time.Duration;
import java.util.List;

/** A leadership transfer of every group this node led: one row per group, and how long the whole took. */
public record TransferReport(List<GroupTransfer> groups, Duration took) {

    public TransferReport {
        groups = List.copyOf(groups);
    }

    public long count(TransferOutcome outcome) {
        return groups.stream().filter(g -> g.outcome() == outcome).count();
    }

    public List<GroupTransfer> notMoved() {
        return groups.stream().filter(g -> !g.moved()).toList();
    }

    public boolean allMoved() {
        return groups.stream().allMatch(GroupTransfer::moved);
    }

    @Override
    public String toString() {
        return groups.size() + " groups in " + took.toMillis() + " ms: " + count(TransferOutcome.MOVED) + " moved, "
                + count(TransferOutcome.NO_CURRENT_FOLLOWER) + " without a current follower, "
                + count(TransferOutcome.TIMED_OUT) + " timed out, " + count(TransferOutcome.FAILED) + " failed";
    }
}
