package io.jetraft.raft;

import io.jetraft.raft.health.GroupHealth;
import io.jetraft.raft.health.ReplicaHealth;
import io.jetraft.raft.proto.GroupRecord;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Keeps each stream group led by its preferred peer, so the leaderships of a replica set's groups stay spread over
 * its members (and come back to a node after it restarted). Runs on the group's leader: once the preferred peer has
 * been current, and not leaving, for {@link RaftTiming#balanceAfter}, the leader hands the group to it. Never on a
 * node whose elections are paused (it is leaving), never to a peer the server layer calls unavailable.
 */
final class GroupBalancer {

    private static final Logger LOG = LoggerFactory.getLogger(GroupBalancer.class);
    /**
     * How far behind the preferred peer may be (in entries) and still be handed its group. A restarted peer 450
     * entries behind (1,000 were allowed) took 0.8 s to take over and 1 s more to apply its backlog before it served:
     * the longest publish pauses of the rolling drill. Under steady writes a current follower is a few entries behind.
     */
    private static final long MAX_LAG = 64;

    private final RaftNodeConfig config;
    private final Divisions divisions;
    private final StreamLocator locator;
    private final HealthView health;
    private final LeadershipHandOff handOff;
    private final LongSupplier nanoTime;
    /** Since when the preferred peer of each group led here has been ready to take it. */
    private final Map<GroupName, Long> readySince = new ConcurrentHashMap<>();
    private final Set<GroupName> moving = ConcurrentHashMap.newKeySet();
    private volatile Predicate<String> unavailable = peer -> false;

    GroupBalancer(RaftNodeConfig config, Divisions divisions, StreamLocator locator, HealthView health,
                  LeadershipHandOff handOff, LongSupplier nanoTime) {
        this.config = config;
        this.divisions = divisions;
        this.locator = locator;
        this.health = health;
        this.handOff = handOff;
        this.nanoTime = nanoTime;
    }

    /** Peers the balancer must not hand groups to (the server layer knows who is offline or in lame-duck mode). */
    void avoid(Predicate<String> unavailablePeers) {
        this.unavailable = unavailablePeers;
    }

    /** One look at every stream group this node leads (cheap: in-memory state). */
    void check() {
        if (handOff.electionsPaused()) {
            readySince.clear();
            return;
        }
        long now = nanoTime.getAsLong();
        for (Map.Entry<GroupName, RaftServer.Division> e : divisions.all().entrySet()) {
            GroupName g = e.getKey();
            if (g.isMeta() || !e.getValue().getInfo().isLeaderReady()) {
                readySince.remove(g);
                continue;
            }
            Optional<String> preferred = locator.group(g).map(GroupRecord::getPreferredLeader)
                    .filter(p -> !p.isEmpty() && !p.equals(config.name()));
            if (preferred.isEmpty() || !ready(g, preferred.get())) {
                readySince.remove(g);
                continue;
            }
            long since = readySince.computeIfAbsent(g, k -> now);
            if (now - since >= config.timing().balanceAfter().toNanos() && moving.add(g)) {
                readySince.remove(g);
                String to = preferred.get();
                LOG.info("{}: handing {} back to its preferred leader {}", config.name(), g, to);
                // the hand-off logs its outcome; one that did not move is tried again once the peer is ready again
                handOff.handBack(g, to, () -> unavailable.test(to)).whenComplete((moved, err) -> moving.remove(g));
            }
        }
    }

    /**
     * The peer is a follower of the group heard from recently, not far behind, and not leaving. Not "current" in the
     * strict sense (no lag at all): under steady writes a follower is an entry or two behind at any instant; the
     * transfer itself lets it catch up first.
     */
    private boolean ready(GroupName g, String peer) {
        if (unavailable.test(peer)) {
            return false;
        }
        Optional<GroupHealth> h = health.health(g);
        if (h.isEmpty()) {
            return false;
        }
        Optional<ReplicaHealth> r = h.get().replica(peer);
        return r.isPresent() && r.get().known() && r.get().lag() <= MAX_LAG && r.get().lastContact()
                .map(c -> c.compareTo(config.timing().currentWithin()) <= 0).orElse(false);
    }
}
