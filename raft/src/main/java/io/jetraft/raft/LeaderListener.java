package io.jetraft.raft;

/** Told of leader changes of every group on this node, in order, on the node's event thread (keep it short). */
@FunctionalInterface
public interface LeaderListener {
    void leaderChanged(LeaderChange change);
}
