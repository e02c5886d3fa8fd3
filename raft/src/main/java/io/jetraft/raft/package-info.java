/**
 * The jetraft Raft layer on Apache Ratis 3.2.2 (gRPC): one {@link io.jetraft.raft.RaftNode} per node hosts the meta
 * group over all cluster peers and one group per stream on its replicas; the state machines apply committed entries
 * (protobuf, {@code src/main/proto/jetraft_raft.proto}) to the node's {@code storage}. Nothing here knows the NATS
 * protocol.
 *
 * <h2>API (this package; the subpackages {@code meta}, {@code stream}, {@code group}, {@code codec} are internal)</h2>
 * <ul>
 *   <li>{@link io.jetraft.raft.RaftNode#start(RaftNodeConfig)} from a {@link io.jetraft.raft.RaftNodeConfig} (name =
 *       server_name, Raft {@code host:port}, the caller-owned {@code NodeStore}, Raft directory,
 *       {@link io.jetraft.raft.RaftTiming}, {@link io.jetraft.raft.RaftLogSettings}, clock, random);
 *       {@code bootstrapMeta(List<Peer>)} forms or rejoins the meta group.</li>
 *   <li>Meta proposals: {@code createStream}, {@code updateStream}, {@code deleteStream}, {@code createConsumer},
 *       {@code deleteConsumer}; views {@code streams()}, {@code stream(name)}, {@code currentStreams()}.</li>
 *   <li>Stream proposals: {@code publish} (a batch is one entry), {@code deleteMessage}, {@code purge},
 *       {@code removeExpired}, {@code delivered}, {@code acked}; {@code readCurrent(stream, reader)} reads this
 *       replica after a linearizable barrier.</li>
 *   <li>Leadership: {@code transferLeadership(bound)} ({@link io.jetraft.raft.transfer.TransferReport}, one named
 *       {@link io.jetraft.raft.transfer.TransferOutcome} per group), {@code stepDown(group)},
 *       {@code pauseElections()} / {@code resumeElections()}, {@code addLeaderListener}, {@code isLeader},
 *       {@code leader}.</li>
 *   <li>Health: {@code health()}, {@code health(group)} ({@link io.jetraft.raft.health.GroupHealth}).</li>
 *   <li>{@code close()} / {@code shutdown(watchdog)}: closes Ratis under a watchdog; the store is closed after, by its
 *       owner.</li>
 * </ul>
 *
 * <h2>Contracts and decisions</h2>
 * <ul>
 *   <li><b>Results.</b> A proposal completes once committed and applied: {@link io.jetraft.raft.Result.Ok}, or
 *       {@link io.jetraft.raft.Result.Refused} with the nats-server JetStream error (10059 stream not found, 10058,
 *       10005 no suitable peers, 10052, and every error the store gives). Raft failures complete the future with a
 *       {@link io.jetraft.raft.ProposalFailedException} and a reason ({@code TIMED_OUT}: outcome unknown). Every
 *       attempt of one proposal uses the same Ratis client and call id, so a retry that reaches a new leader after
 *       the entry committed is answered from the retry cache, not applied twice.</li>
 *   <li><b>Determinism.</b> Times and the placement of a new stream's replicas are stamped into the entry by the
 *       leader in {@code startTransaction}; apply never reads a clock. A stream's group id is derived from the term
 *       and index of the meta entry creating it (new for every creation). Limit changes travel in the
 *       stream's own log; a stream's store starts from the limits it was created with.</li>
 *   <li><b>Applied index.</b> Each entry is applied in one store write with its (term, index); the store skips an
 *       entry it has (so a restart replays the log from the latest snapshot and changes nothing already applied).</li>
 *   <li><b>An entry that cannot be decoded or applied</b> (a newer version's entry, a failing store) is logged with
 *       its group and index and {@code applyTransaction} throws: Ratis then closes that group's division on this node
 *       (never skipping the entry; nothing after it is applied). The group reports {@code HALTED} with the index and
 *       reason in its health; other groups go on; a restart retries the same entry. User errors (limits,
 *       expectations) are never exceptions: they are refusals in the reply.</li>
 *   <li><b>Groups follow the applied meta log.</b> Applying a meta entry writes the store and wakes the reconciler;
 *       the reconciler thread adds and removes stream groups (removal deletes the group directory, then the stream's
 *       store data), only removing once the meta group has caught up with its leader.</li>
 *   <li><b>Snapshots</b> are files in each group's {@code sm/} directory: the store's stream snapshot
 *       ({@code NodeStore.exportStream}, restored with {@code restoreStream}) or the meta records; Ratis ships them to
 *       followers behind the purged log. A replica whose directory was lost asks its leader to step down, because a
 *       Ratis leader keeps a follower's old match index and would never send it the snapshot.</li>
 *   <li><b>Durability.</b> {@link io.jetraft.raft.LogSync#FSYNC_BEFORE_ACK} (default): an acknowledged entry is
 *       fsynced in the Raft log of a quorum. {@link io.jetraft.raft.LogSync#UNSAFE_ACK_BEFORE_FSYNC} is faster.</li>
 * </ul>
 */
package io.jetraft.raft;
