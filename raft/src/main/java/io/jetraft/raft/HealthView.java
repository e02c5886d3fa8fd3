package io.jetraft.raft;

import io.jetraft.raft.health.GroupHealth;
import io.jetraft.raft.health.HealthReader;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The health and leadership of the Raft groups this node hosts, read from Ratis's memory (never blocks). */
public final class HealthView {

    private static final Logger LOG = LoggerFactory.getLogger(HealthView.class);

    private final Divisions divisions;
    private final HealthReader reader;

    HealthView(Divisions divisions, HealthReader reader) {
        this.divisions = divisions;
        this.reader = reader;
    }

    /** The health of every group hosted on this node, the meta group first. */
    public List<GroupHealth> all() {
        List<GroupHealth> out = new ArrayList<>();
        for (Map.Entry<GroupName, RaftServer.Division> e : divisions.all().entrySet()) {
            try {
                out.add(reader.read(e.getKey(), e.getValue()));
            } catch (RuntimeException ex) {
                LOG.debug("no health for {}: {}", e.getKey(), ex.toString());
            }
        }
        return out;
    }

    /** The health of one group, if this node hosts it and its division has started (empty while it starts). */
    public Optional<GroupHealth> health(GroupName group) {
        RaftServer.Division d = divisions.get(group);
        if (d == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(reader.read(group, d));
        } catch (IllegalStateException e) {
            // Ratis: "log is uninitialized" while the division is still starting (right after a restart)
            LOG.debug("no health for {} yet: {}", group, e.toString());
            return Optional.empty();
        }
    }

    public boolean isLeader(GroupName group) {
        RaftServer.Division d = divisions.get(group);
        return d != null && d.getInfo().isLeader();
    }

    /** The leader of a group as this node knows it (empty: none known, or this node holds no replica). */
    public Optional<String> leader(GroupName group) {
        RaftServer.Division d = divisions.get(group);
        return d == null ? Optional.empty() : Optional.ofNullable(d.getInfo().getLeaderId()).map(RaftPeerId::toString);
    }

    /** Whether this node hosts a replica of the group (its division exists here). */
    public boolean hosts(GroupName group) {
        return divisions.get(group) != null;
    }

    HealthReader reader() {
        return reader;
    }
}
