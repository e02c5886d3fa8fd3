package io.jetraft.raft.health;

import io.jetraft.raft.GroupName;
import io.jetraft.raft.group.GroupStateMachine;
import io.jetraft.raft.group.Halt;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Reads a {@link GroupHealth} from a Ratis division (never blocks: Ratis keeps all of it in memory). */
public final class HealthReader {

    private final Duration currentWithin;
    private final long maxCurrentLag;

    public HealthReader(Duration currentWithin, long maxCurrentLag) {
        this.currentWithin = currentWithin;
        this.maxCurrentLag = maxCurrentLag;
    }

    public GroupHealth read(GroupName name, RaftServer.Division d) {
        String self = d.getId().toString();
        String groupId = d.getGroup().getGroupId().getUuid().toString();
        Halt halt = haltOf(d);
        DivisionInfo info = d.getInfo();
        List<RaftPeer> peers = new ArrayList<>(d.getGroup().getPeers());
        if (halt != null || !info.isAlive()) {
            return stopped(name, groupId, self, peers, info, halt);
        }
        try {
            return running(name, groupId, self, peers, d, info);
        } catch (IllegalStateException closing) {
            // the division closed while it was being read (its log says "expected to be opened but it is CLOSED"):
            // it is reported as what it now is, never as an error to whoever asked
            return stopped(name, groupId, self, peers, info, haltOf(d));
        }
    }

    private static Halt haltOf(RaftServer.Division d) {
        return d.getStateMachine() instanceof GroupStateMachine g ? g.halt() : null;
    }

    private static GroupHealth stopped(GroupName name, String groupId, String self, List<RaftPeer> peers,
            DivisionInfo info, Halt halt) {
        List<ReplicaHealth> rows = new ArrayList<>();
        for (RaftPeer p : peers) {
            rows.add(unknown(p.getId().toString(), false, p.getId().toString().equals(self)));
        }
        return new GroupHealth(name, groupId, self, halt != null ? GroupHealth.Role.HALTED
                : GroupHealth.Role.CLOSED, Optional.empty(), info.getCurrentTerm(), -1,
                info.getLastAppliedIndex(), rows, Optional.ofNullable(halt));
    }

    private GroupHealth running(GroupName name, String groupId, String self, List<RaftPeer> peers,
            RaftServer.Division d, DivisionInfo info) {
        long commit = d.getRaftLog().getLastCommittedIndex();
        long applied = info.getLastAppliedIndex();
        long term = info.getCurrentTerm();
        RaftPeerId leaderId = info.getLeaderId();
        RoleInfoProto role = info.getRoleInfoProto();
        List<ReplicaHealth> rows = new ArrayList<>();
        GroupHealth.Role r;
        if (info.isLeader()) {
            r = GroupHealth.Role.LEADER;
            Map<String, Long> elapsed = new HashMap<>();
            Map<String, Long> match = new HashMap<>();
            List<ServerRpcProto> followers = role.getLeaderInfo().getFollowerInfoList();
            long[] matches = info.getFollowerMatchIndices();
            for (int i = 0; i < followers.size(); i++) {
                String id = followers.get(i).getId().getId().toStringUtf8();
                elapsed.put(id, followers.get(i).getLastRpcElapsedTimeMs());
                if (matches != null && matches.length == followers.size()) {
                    match.put(id, matches[i]);
                }
            }
            for (RaftPeer p : peers) {
                String id = p.getId().toString();
                if (id.equals(self)) {
                    rows.add(new ReplicaHealth(id, true, true, true, OptionalLong.of(d.getRaftLog().getFlushIndex()),
                            0, Optional.of(Duration.ZERO), true));
                } else if (match.containsKey(id)) {
                    long m = match.get(id);
                    long lag = Math.max(0, commit - m);
                    Duration seen = Duration.ofMillis(elapsed.get(id));
                    rows.add(new ReplicaHealth(id, false, false, true, OptionalLong.of(m), lag, Optional.of(seen),
                            lag <= maxCurrentLag && seen.compareTo(currentWithin) <= 0));
                } else {
                    rows.add(unknown(id, false, false));
                }
            }
        } else {
            r = info.isFollower() ? GroupHealth.Role.FOLLOWER
                    : info.isCandidate() ? GroupHealth.Role.CANDIDATE : GroupHealth.Role.LISTENER;
            Duration sinceLeader = role.hasFollowerInfo()
                    ? Duration.ofMillis(role.getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs()) : null;
            boolean heard = leaderId != null && sinceLeader != null && sinceLeader.compareTo(currentWithin) <= 0;
            for (RaftPeer p : peers) {
                String id = p.getId().toString();
                if (id.equals(self)) {
                    long lag = Math.max(0, commit - applied);
                    rows.add(new ReplicaHealth(id, false, true, true, OptionalLong.empty(), lag,
                            Optional.ofNullable(sinceLeader), heard && lag <= maxCurrentLag && commit >= 0));
                } else if (leaderId != null && id.equals(leaderId.toString())) {
                    rows.add(new ReplicaHealth(id, true, false, true, OptionalLong.empty(), 0,
                            Optional.ofNullable(sinceLeader), heard));
                } else {
                    rows.add(unknown(id, false, false));
                }
            }
        }
        return new GroupHealth(name, groupId, self, r, Optional.ofNullable(leaderId).map(RaftPeerId::toString), term,
                commit, applied, rows, Optional.empty());
    }

    private static ReplicaHealth unknown(String id, boolean leader, boolean self) {
        return new ReplicaHealth(id, leader, self, false, OptionalLong.empty(), 0, Optional.empty(), false);
    }
}
