/**
 * The jetraft Raft layer on Apache Ratis 3.2.2 (gRPC): one {@link io.jetraft.raft.RaftNode} per node owns one Ratis
 * server hosting the meta group over all cluster peers and a few <b>stream groups</b> per replica set, each carrying
 * many streams; the state machines apply committed entries (protobuf, {@code src/main/proto/jetraft_raft.proto}) to the
 * node's {@code storage}. Nothing here knows the NATS protocol.
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li>{@link io.jetraft.raft.RaftNode}: the owner of the Ratis server, its threads and its named parts;
 *       {@code start(RaftNodeConfig)}, {@code close()} / {@code shutdown(watchdog)}.</li>
 *   <li>{@link io.jetraft.raft.MetaGroup} ({@code meta()}): forming the meta group ({@code bootstrap}), streams and
 *       consumers ({@code createStream}, {@code updateStream}, {@code deleteStream}, {@code createConsumer},
 *       {@code deleteConsumer}), the applied meta state ({@code streams()}, {@code stream(name)},
 *       {@code currentStreams()}).</li>
 *   <li>{@link io.jetraft.raft.StreamGroups} ({@code streams()}): a stream's proposals through its group
 *       ({@code publish}, {@code deleteMessage}, {@code purge}, {@code removeExpired}, {@code delivered},
 *       {@code acked}), reads ({@code readCurrent}, {@code localStore}), and where streams are ({@code groupOf},
 *       {@code streamsOf}, {@code isLeader}, {@code leader}, {@code health}, {@code ledHere}).</li>
 *   <li>{@link io.jetraft.raft.LeadershipHandOff} ({@code leadership()}): {@code transferAll(bound)} (lame-duck mode:
 *       a {@link io.jetraft.raft.transfer.TransferReport} with one named
 *       {@link io.jetraft.raft.transfer.TransferOutcome} per group), {@code stepDown}, {@code handBack} (the balancer),
 *       {@code pauseElections} / {@code resumeElections}.</li>
 *   <li>{@link io.jetraft.raft.HealthView} ({@code health()}): each group's {@link io.jetraft.raft.health.GroupHealth}
 *       (role, leader, term, commit, applied, replicas, halt).</li>
 *   <li>Inside: {@code StreamLocator}, the one place that maps a stream to its group; {@code Divisions}, the cached
 *       group id to division map; {@code Proposer}; {@code GroupReconciler} (adds and removes this node's stream
 *       groups as the meta state says); {@code LeaderDuties} (a group's leader brings the group in line with the meta
 *       state and expires messages); {@code GroupBalancer} (a group goes back to its preferred leader);
 *       {@code RaftServerCloser}; {@code GroupCommit} (a group's entries proposed while its previous ones are in
       flight go together as one Raft entry, whatever stream they are for); the state machines in {@code meta},
       {@code stream} and {@code group}.</li>
 * </ul>
 *
 * <h2>Contracts and decisions</h2>
 * <ul>
 *   <li><b>Stream groups.</b> A replica set gets {@code groupsPerReplicaSet} groups (0: one per member), each
 *       preferring another member as its leader, made when the set's first stream is created. A new stream goes on
 *       the group its {@code preferredLeader} prefers, else on the one carrying the fewest streams, decided when its
 *       meta entry applies (every node decides the same) and kept for its life. It then joins its group with an
 *       attach entry and leaves it with a detach entry (which deletes every key it had); every stream entry names
 *       its stream by its store name ({@code <name>#<12 hex>}, new for every creation). A stream's leader is its
 *       group's leader: a step-down moves the group, and makes the new leader the group's preferred one.</li>
 *   <li><b>Results.</b> A proposal completes once committed and applied: {@link io.jetraft.raft.Result.Ok}, or
 *       {@link io.jetraft.raft.Result.Refused} with the nats-server JetStream error (10059 stream not found, 10058,
 *       10005 no suitable peers, 10052, and every error the store gives). Raft failures complete the future with a
 *       {@link io.jetraft.raft.ProposalFailedException} and a reason ({@code TIMED_OUT}: outcome unknown). Every
 *       attempt of one proposal uses the same Ratis client and call id, so a retry that reaches a new leader after
 *       the entry committed is answered from the retry cache, not applied twice.</li>
 *   <li><b>Determinism.</b> Times and the peers of a new stream are stamped into the entry by the leader in
 *       {@code startTransaction}; apply never reads a clock. Group ids come from the replica set, slot and creating
 *       meta entry.</li>
 *   <li><b>Applied index.</b> Each stream entry is applied in one store write with its group's (term, index and
 *       position within a batched Raft entry); the store skips an entry its group has (so a restart replays the log from the latest snapshot and changes nothing
 *       already applied).</li>
 *   <li><b>An entry that cannot be decoded or applied</b> (a newer version's entry, a failing store) is logged with
 *       its group, stream and index and {@code applyTransaction} throws: Ratis then closes that group's division on
 *       this node (never skipping the entry; nothing after it is applied). The group reports {@code HALTED} with the
 *       index and reason in its health; other groups go on; a restart retries the same entry once a leader of the
 *       group says it is committed (no log metadata entry records the commit index: it cost every write a second
 *       log entry and fsync on every replica). User errors (limits,
 *       expectations) are never exceptions: they are refusals in the reply.</li>
 *   <li><b>Snapshots</b> are files in each group's {@code sm/} directory: the store's group snapshot (every stream of
 *       the group at one applied index, verified in full before a restore changes anything) or the meta records;
 *       Ratis ships them to followers behind the purged log. A replica whose directory was lost asks its leader to
 *       step down, because a Ratis leader keeps a follower's old match index and would never send it the
 *       snapshot.</li>
 *   <li><b>Leaving.</b> {@code transferAll} stops admitting new entries into this node's log of each group it hands
 *       off (the target catches up on what is there), spreads the targets over the other nodes, and also moves a
 *       group it comes to lead meanwhile. {@code shutdown} returns once the Raft port refuses connections and every
 *       group stopped applying; the rest (log files) is awaited by {@code close()}.</li>
 *   <li><b>Durability.</b> {@link io.jetraft.raft.LogSync#FSYNC_BEFORE_ACK} (default): an acknowledged entry is
 *       fsynced in the Raft log of a quorum. {@link io.jetraft.raft.LogSync#UNSAFE_ACK_BEFORE_FSYNC} is faster.</li>
 * </ul>
 */
package io.jetraft.raft;
