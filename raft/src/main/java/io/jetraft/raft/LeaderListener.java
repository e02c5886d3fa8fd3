package io.jetraft.raft;

/** Told of leader changes of every group on this node, in order, on the node's event thread (keep it short). */
@FunctionalInterface
public interface LeaderListener {

    void leaderChanged(LeaderChange change);

    /** The streams a stream group carries on this node changed (a stream joined or left it, a snapshot came in). */
    default void streamsChanged(GroupName group) {
    }
}
