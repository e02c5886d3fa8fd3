package io.jetraft.raft;

import java.time.Duration;
import java.util.Objects;

/**
 * Raft timing. Election timeouts are high for a small (2-core) node hosting many groups: planned leader moves use
 * leadership transfer, so they only slow failover after a crash.
 *
 * @param electionTimeoutMin   a follower that hears nothing from its leader this long (randomised up to max) starts
 *                             an election; heartbeats go out every min/2 ({@code raft.server.rpc.timeout.min/max})
 * @param electionTimeoutMax   see min
 * @param firstElectionTimeout the first election of a new or restarted group waits between a quarter of this and
 *                             this (so new streams get a leader quickly, whatever the election timeout)
 * @param requestTimeout       one Raft RPC and one client attempt ({@code raft.server.rpc.request.timeout})
 * @param proposalTimeout      how long a proposal or read may take in all (retries included) before it fails
 * @param transferBound        the default bound on {@code transferLeadership} for all groups together
 * @param closeTimeout         the watchdog on closing the Raft server
 * @param currentWithin        a replica is current only if heard from within this (nats: 2 heartbeats, 2 s)
 * @param maxCurrentLag        and if it is at most this many entries behind the leader's commit (nats: 0)
 * @param balanceAfter         a stream group's leadership goes back to its preferred peer once that peer has been
 *                             current (and not leaving) this long
 */
public record RaftTiming(
        Duration electionTimeoutMin,
        Duration electionTimeoutMax,
        Duration firstElectionTimeout,
        Duration requestTimeout,
        Duration proposalTimeout,
        Duration transferBound,
        Duration closeTimeout,
        Duration currentWithin,
        long maxCurrentLag,
        Duration balanceAfter) {

    public RaftTiming {
        Objects.requireNonNull(electionTimeoutMin, "electionTimeoutMin");
        Objects.requireNonNull(electionTimeoutMax, "electionTimeoutMax");
        Objects.requireNonNull(firstElectionTimeout, "firstElectionTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(proposalTimeout, "proposalTimeout");
        Objects.requireNonNull(transferBound, "transferBound");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        Objects.requireNonNull(currentWithin, "currentWithin");
        Objects.requireNonNull(balanceAfter, "balanceAfter");
        if (electionTimeoutMin.toMillis() < 50 || electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
            throw new IllegalArgumentException("election timeouts need 50 ms <= min < max, got " + electionTimeoutMin
                    + " and " + electionTimeoutMax);
        }
        if (firstElectionTimeout.toMillis() < 100 || firstElectionTimeout.compareTo(electionTimeoutMax) > 0) {
            throw new IllegalArgumentException("the first election timeout needs 100 ms <= it <= the maximum "
                    + "election timeout, got " + firstElectionTimeout);
        }
        if (maxCurrentLag < 0) {
            throw new IllegalArgumentException("maxCurrentLag cannot be negative");
        }
    }

    /**
     * 1–2 s elections, first elections of a new group within 0.15–0.6 s, 3 s RPCs, 10 s proposals, 1 s transfer,
     * 10 s close, current = heard within 2 s, lag 0, leadership back to the preferred peer after 5 s current.
     */
    public static RaftTiming defaults() {
        return new RaftTiming(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMillis(600),
                Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(10),
                Duration.ofSeconds(2), 0, Duration.ofSeconds(5));
    }

    public RaftTiming withElectionTimeout(Duration min, Duration max) {
        return new RaftTiming(min, max, firstElectionTimeout, requestTimeout, proposalTimeout, transferBound,
                closeTimeout, currentWithin, maxCurrentLag, balanceAfter);
    }

    public RaftTiming withFirstElectionTimeout(Duration d) {
        return new RaftTiming(electionTimeoutMin, electionTimeoutMax, d, requestTimeout, proposalTimeout,
                transferBound, closeTimeout, currentWithin, maxCurrentLag, balanceAfter);
    }

    public RaftTiming withRequestTimeout(Duration d) {
        return new RaftTiming(electionTimeoutMin, electionTimeoutMax, firstElectionTimeout, d, proposalTimeout,
                transferBound, closeTimeout, currentWithin, maxCurrentLag, balanceAfter);
    }

    public RaftTiming withProposalTimeout(Duration d) {
        return new RaftTiming(electionTimeoutMin, electionTimeoutMax, firstElectionTimeout, requestTimeout, d,
                transferBound, closeTimeout, currentWithin, maxCurrentLag, balanceAfter);
    }

    public RaftTiming withTransferBound(Duration d) {
        return new RaftTiming(electionTimeoutMin, electionTimeoutMax, firstElectionTimeout, requestTimeout,
                proposalTimeout, d, closeTimeout, currentWithin, maxCurrentLag, balanceAfter);
    }

    public RaftTiming withCloseTimeout(Duration d) {
        return new RaftTiming(electionTimeoutMin, electionTimeoutMax, firstElectionTimeout, requestTimeout,
                proposalTimeout, transferBound, d, currentWithin, maxCurrentLag, balanceAfter);
    }

    public RaftTiming withCurrent(Duration within, long maxLag) {
        return new RaftTiming(electionTimeoutMin, electionTimeoutMax, firstElectionTimeout, requestTimeout,
                proposalTimeout, transferBound, closeTimeout, within, maxLag, balanceAfter);
    }

    public RaftTiming withBalanceAfter(Duration d) {
        return new RaftTiming(electionTimeoutMin, electionTimeoutMax, firstElectionTimeout, requestTimeout,
                proposalTimeout, transferBound, closeTimeout, currentWithin, maxCurrentLag, d);
    }
}
