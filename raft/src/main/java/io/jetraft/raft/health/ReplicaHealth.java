package io.jetraft.raft.health;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One replica of a group as the reading node sees it (nats semantics). On the leader every row is known: {@code lag}
 * = leader commit − the replica's match index (the last index it has written), {@code current} = lag within the
 * allowed lag and heard from recently. On a follower only its own row and the leader's are known; the other rows
 * say {@code known=false, current=false, lag=0}, as nats-server shows them.
 *
 * @param lastContact how long ago the reading node last heard from (or, for itself, was heard by) this replica
 */
public record ReplicaHealth(String peer, boolean leader, boolean self, boolean known, OptionalLong matchIndex,
                            long lag, Optional<Duration> lastContact, boolean current) {
}
