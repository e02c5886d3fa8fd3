package io.jetraft.raft.meta;

import io.jetraft.raft.proto.PeerAddress;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Chooses the peers of a new stream on the meta leader (the choice is stamped into the entry, so replicas never
 * choose): the requested peer (placement.preferred) first, then peers the leader has heard from recently, then those
 * holding the fewest replicas, ties broken at random.
 */
final class Placement {

    record Candidate(PeerAddress peer, boolean reachable) {
    }

    private Placement() {
    }

    static List<PeerAddress> choose(int replicas, List<Candidate> candidates, Map<String, Integer> replicasPerPeer,
                                    Random random, String preferred) {
        if (replicas > candidates.size()) {
            return List.of();
        }
        List<Candidate> shuffled = new ArrayList<>(candidates);
        Collections.shuffle(shuffled, random);
        shuffled.sort(Comparator.comparing((Candidate c) -> !c.peer().getName().equals(preferred))
                .thenComparing(c -> !c.reachable())
                .thenComparing(c -> replicasPerPeer.getOrDefault(c.peer().getName(), 0)));
        return shuffled.subList(0, replicas).stream().map(Candidate::peer).toList();
    }
}
