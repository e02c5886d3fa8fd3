package io.jetraft.raft.health;

import io.jetraft.raft.GroupName;
import io.jetraft.raft.group.Halt;

import java.util.List;
import java.util.Optional;

/**
 * The health of one Raft group as this node sees it: its role, the leader it knows and the term, the commit index
 * (on a follower: the leader's commit as last heard) and what this node has applied, each replica's row, and the
 * halt, if the group stopped applying here.
 */
public record GroupHealth(GroupName group, String groupId, String node, Role role, Optional<String> leader,
                          long term, long commitIndex, long appliedIndex, List<ReplicaHealth> replicas,
                          Optional<Halt> halt) {

    /** This node's part in the group. */
    public enum Role { LEADER, FOLLOWER, CANDIDATE, LISTENER, HALTED, CLOSED }

    public GroupHealth {
        replicas = List.copyOf(replicas);
    }

    /** Whether this node's own replica is current (a leader always is; a halted replica never). */
    public boolean current() {
        return replicas.stream().filter(ReplicaHealth::self).findFirst().map(ReplicaHealth::current).orElse(false);
    }

    public Optional<ReplicaHealth> replica(String peer) {
        return replicas.stream().filter(r -> r.peer().equals(peer)).findFirst();
    }
}
