package io.jetraft.raft;

import io.jetraft.raft.group.GroupStateMachine;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The divisions (one per hosted Raft group) of this node's Ratis server, looked up by group id through a cache:
 * a proposal or read finds its division with one map lookup instead of asking Ratis (which scans and throws for a
 * group it does not host). A cached division that closed (removed, or halted) is looked up again.
 */
final class Divisions {

    private final RaftServer server;
    private final RaftGroupId metaGroup;
    private final Map<RaftGroupId, RaftServer.Division> cache = new ConcurrentHashMap<>();

    Divisions(RaftServer server, RaftGroupId metaGroup) {
        this.server = server;
        this.metaGroup = metaGroup;
    }

    RaftServer server() {
        return server;
    }

    /** This node's division of the group, or null when it hosts none (or it has not started yet). */
    RaftServer.Division get(RaftGroupId gid) {
        RaftServer.Division d = cache.get(gid);
        if (d != null && d.getInfo().isAlive()) {
            return d;
        }
        d = lookUp(gid);
        if (d == null) {
            cache.remove(gid);
        } else {
            cache.put(gid, d);
        }
        return d;
    }

    RaftServer.Division get(GroupName group) {
        return get(id(group));
    }

    RaftServer.Division meta() {
        return get(metaGroup);
    }

    RaftGroupId id(GroupName group) {
        return group.isMeta() ? metaGroup : RaftGroupId.valueOf(java.util.UUID.fromString(group.id()));
    }

    /** Every hosted group with a jetraft state machine, the meta group first (detached groups are left out). */
    Map<GroupName, RaftServer.Division> all() {
        Map<GroupName, RaftServer.Division> out = new LinkedHashMap<>();
        RaftServer.Division meta = meta();
        if (meta != null) {
            out.put(GroupName.META, meta);
        }
        for (RaftGroupId gid : server.getGroupIds()) {
            if (gid.equals(metaGroup)) {
                continue;
            }
            RaftServer.Division d = get(gid);
            if (d != null && d.getStateMachine() instanceof GroupStateMachine g) {
                out.put(g.groupName(), d);
            }
        }
        return out;
    }

    /** Drops a group from the cache (it was removed). */
    void forget(RaftGroupId gid) {
        cache.remove(gid);
    }

    private RaftServer.Division lookUp(RaftGroupId gid) {
        for (RaftGroupId id : server.getGroupIds()) {
            if (id.equals(gid)) {
                try {
                    return server.getDivision(gid);
                } catch (IOException | RuntimeException e) {
                    return null;
                }
            }
        }
        return null;
    }
}
