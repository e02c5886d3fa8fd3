package io.jetraft.raft;

import io.jetraft.storage.NodeStore;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Random;

/**
 * How to start a {@link RaftNode}: this node's name ({@code server_name}, its Raft peer id), the {@code host:port} its
 * Raft (gRPC) listener binds and advertises, the node's store (owned by the caller, closed after the node), the
 * directory holding every group's Raft log, timing, log settings, and the clock and random source the leaders stamp
 * into entries (times, placements), and how many stream groups a new replica set gets when this node leads the meta
 * group ({@code groupsPerReplicaSet}; 0: one per member of the set).
 */
public record RaftNodeConfig(String name, String raftAddress, NodeStore store, Path raftDirectory, RaftTiming timing,
                             RaftLogSettings log, Clock clock, Random random, int groupsPerReplicaSet) {

    /** The most stream groups one replica set may have. */
    public static final int MAX_GROUPS_PER_REPLICA_SET = 64;

    public RaftNodeConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(raftAddress, "raftAddress");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(raftDirectory, "raftDirectory");
        Objects.requireNonNull(timing, "timing");
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a Raft node needs a name (server_name)");
        }
        RaftAddress.parse(raftAddress, "this node (" + name + ")");
        if (groupsPerReplicaSet < 0 || groupsPerReplicaSet > MAX_GROUPS_PER_REPLICA_SET) {
            throw new IllegalArgumentException("groups per replica set must be between 1 and "
                    + MAX_GROUPS_PER_REPLICA_SET + " (or 0 for one per member), got " + groupsPerReplicaSet);
        }
    }

    public static RaftNodeConfig of(String name, String raftAddress, NodeStore store, Path raftDirectory) {
        return new RaftNodeConfig(name, raftAddress, store, raftDirectory, RaftTiming.defaults(),
                RaftLogSettings.defaults(), Clock.systemUTC(), new Random(), 0);
    }

    public RaftNodeConfig withTiming(RaftTiming t) {
        return new RaftNodeConfig(name, raftAddress, store, raftDirectory, t, log, clock, random, groupsPerReplicaSet);
    }

    public RaftNodeConfig withLog(RaftLogSettings l) {
        return new RaftNodeConfig(name, raftAddress, store, raftDirectory, timing, l, clock, random, groupsPerReplicaSet);
    }

    public RaftNodeConfig withClock(Clock c) {
        return new RaftNodeConfig(name, raftAddress, store, raftDirectory, timing, log, c, random, groupsPerReplicaSet);
    }

    public RaftNodeConfig withRandom(Random r) {
        return new RaftNodeConfig(name, raftAddress, store, raftDirectory, timing, log, clock, r, groupsPerReplicaSet);
    }

    public RaftNodeConfig withGroupsPerReplicaSet(int n) {
        return new RaftNodeConfig(name, raftAddress, store, raftDirectory, timing, log, clock, random, n);
    }

    public Peer self() {
        return new Peer(name, raftAddress);
    }
}
