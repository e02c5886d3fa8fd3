package io.jetraft.raft;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

/**
 * Gets a replica that lost its Raft directory (a wiped disk, the same node name) going again. It rejoins with an
 * empty log, but its leader remembers how far it had replicated to it (Ratis keeps a follower's match index for the
 * whole term and never moves the next index below it), so the leader keeps sending entries the replica cannot take
 * and never sends the snapshot. When a replica has heard from a leader for a while and still has nothing at all (no
 * entry, no snapshot), it asks that leader to step down: the next leader starts with no memory of the lost log and
 * sends the snapshot (or the whole log).
 */
final class LostLogRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(LostLogRecovery.class);

    private final RaftServer server;
    private final RaftProperties clientProperties;
    private final Duration patience;
    private final Duration heardWithin;
    private final ExecutorService io;
    private final LongSupplier nanoTime;
    private final Map<RaftGroupId, Long> emptySince = new ConcurrentHashMap<>();

    LostLogRecovery(RaftServer server, RaftProperties clientProperties, Duration patience, Duration heardWithin,
                    ExecutorService io, LongSupplier nanoTime) {
        this.server = server;
        this.clientProperties = clientProperties;
        this.patience = patience;
        this.heardWithin = heardWithin;
        this.io = io;
        this.nanoTime = nanoTime;
    }

    /** One look at every hosted group (cheap: in-memory state only). */
    void check() {
        long now = nanoTime.getAsLong();
        Set<RaftGroupId> seen = new HashSet<>();
        for (RaftGroupId gid : server.getGroupIds()) {
            seen.add(gid);
            RaftServer.Division d;
            boolean empty;
            try {
                d = server.getDivision(gid);
                // a division that closes meanwhile throws from its log: it is skipped, the others still looked at
                empty = emptyWithALeader(d);
            } catch (IOException | RuntimeException e) {
                continue;
            }
            if (!empty) {
                emptySince.remove(gid);
                continue;
            }
            long since = emptySince.computeIfAbsent(gid, k -> now);
            if (now - since >= patience.toNanos()) {
                emptySince.put(gid, now); // ask again only after another full wait
                RaftPeerId leader = d.getInfo().getLeaderId();
                try {
                    io.execute(() -> askToStepDown(d, leader));
                } catch (RejectedExecutionException e) {
                    return;
                }
            }
        }
        emptySince.keySet().retainAll(seen);
    }

    private boolean emptyWithALeader(RaftServer.Division d) {
        DivisionInfo info = d.getInfo();
        if (!info.isAlive() || !info.isFollower() || info.getLeaderId() == null) {
            return false;
        }
        RoleInfoProto role = info.getRoleInfoProto();
        boolean heard = role.hasFollowerInfo()
                && role.getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs() <= heardWithin.toMillis();
        return heard && d.getRaftLog().getLastEntryTermIndex() == null
                && d.getStateMachine().getLatestSnapshot() == null;
    }

    private void askToStepDown(RaftServer.Division d, RaftPeerId leader) {
        LOG.info("{}: {} has had leader {} for {} ms but its log is still empty (its directory was lost?): the "
                        + "leader still counts the entries this replica had; asking it to step down so the next leader "
                        + "catches this replica up from nothing", server.getId(), d.getGroup().getGroupId(), leader,
                patience.toMillis());
        try (RaftClient c = RaftClient.newBuilder()
                .setRaftGroup(d.getGroup())
                .setProperties(clientProperties)
                .setRetryPolicy(RetryPolicies.noRetry())
                .build()) {
            RaftClientReply reply = c.admin().transferLeadership(null, leader, patience.toMillis());
            if (!reply.isSuccess()) {
                LOG.info("{}: {}'s leader did not step down: {}", server.getId(), d.getGroup().getGroupId(),
                        reply.getException());
            }
        } catch (IOException | RuntimeException e) {
            LOG.info("{}: asking the leader of {} to step down failed (retrying later): {}", server.getId(),
                    d.getGroup().getGroupId(), e.toString());
        }
    }
}
