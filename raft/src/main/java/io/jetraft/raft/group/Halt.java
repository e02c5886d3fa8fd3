package io.jetraft.raft.group;

import java.time.Instant;

/**
 * Why a group stopped applying on this node: the log index of the entry that could not be decoded or applied, what
 * went wrong, and when. The entry is never skipped: the group's division is closed on this node, its store stays at
 * the last index applied, and a restart retries the same entry.
 */
public record Halt(long term, long index, String reason, Instant at) {

    @Override
    public String toString() {
        return "stopped applying at index " + index + " (term " + term + "): " + reason;
    }
}
