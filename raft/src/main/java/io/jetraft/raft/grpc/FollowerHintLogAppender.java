package io.jetraft.raft.grpc;

import io.jetraft.raft.stream.StreamGroupStateMachine;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.raftlog.RaftLogIOException;
import org.apache.ratis.server.raftlog.RaftLogIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.reflect.Field;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ratis 3.2.2's gRPC log appender with three fixes, each seen stalling a follower in the rolling-restart soak.
 *
 * <p>First (RATIS-2523, open upstream): when a follower answers INCONSISTENCY
 * with a next index at or below the match index the leader holds for it, Ratis resends from that stale
 * {@code matchIndex + 1} instead, the follower answers INCONSISTENCY again, and the follower never catches up (seen
 * here: a node that restarted during a rolling upgrade, its streams "not current" forever, thousands of INCONSISTENCY
 * replies a minute). This appender believes the follower: it resends from the follower's next index and lowers the
 * follower's match index to match, so that the next success moves it forward again. Lowering one follower's match
 * index cannot lower the commit index, which Ratis only ever raises.
 *
 * <p>Second (open upstream): a success reply raises the follower's next index without the appender's lock, so a
 * request built meanwhile can read one next index for its previous entry and another for its first entry; Ratis's
 * own check then throws ("Previous = (t:4, i:5085) but firstIndex = 5095") and the appender's thread ends. Such a
 * request is built again here from the next index as it is now.
 *
 * <p>Third (RATIS-2499, fixed after 3.2.2): when an appender's thread ends on an exception, Ratis 3.2.2 means to
 * start a new appender for the follower but skips it (it asks the ended thread whether it is still running), and the
 * follower gets nothing more in that group while this node leads it: a restarted node "catching up" for 90 s. Here the
 * appender asks its leader state for a new one itself.
 *
 * <p>Fourth: a follower hears of a new commit index at once. Ratis's appender loop means to send one when the
 * follower's commit index lags the leader's, but with no new entry to send it builds no request, and the follower
 * waits for the next heartbeat (up to half the election timeout). Ratis's log metadata entries hid this (each commit
 * was followed by an entry); without them followers applied writes up to a heartbeat late. Here such a loop sends
 * a heartbeat instead, once per commit index, when no data request is in flight (one in flight is answered, and
 * the loop looks again) and, in a stream group, no write has carried the commit index within
 * {@link #HINT_DELAY_NANOS}.
 */
final class FollowerHintLogAppender extends GrpcLogAppender {

    private static final Logger LOG = LoggerFactory.getLogger(FollowerHintLogAppender.class);
    private static final int MAX_BUILD_ATTEMPTS = 3;
    private static final long RESTART_DELAY_MILLIS = 100;
    /** Ratis keeps the match index in a private field of its FollowerInfo implementation; resolved once. */
    private static volatile Field matchIndexField;
    /**
     * How long a new commit index of a stream group waits for a write to carry it before a hint goes alone. Sent at
     * once after every commit, the hints doubled the latency of one-at-a-time R3 publishes (jetraft bench js, sync,
     * warm: p50 1.33-1.47 ms without them, 2.6-2.8 ms with), while under steady writes the next append carries the
     * commit index anyway.
     */
    private static final long HINT_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final ScheduledExecutorService HINTS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jetraft-raft-commit-hints");
        t.setDaemon(true);
        return t;
    });

    FollowerHintLogAppender(RaftServer.Division server, LeaderState leaderState, FollowerInfo follower) {
        super(server, leaderState, follower);
        matchIndexField(follower.getClass());
        // the meta group's hints go at once: a node that proposed a change through its follower replica reads its
        // own meta state right after (a stream created, then its consumer), and meta writes are few
        this.hintDelayNanos = server.getStateMachine() instanceof StreamGroupStateMachine ? HINT_DELAY_NANOS : 0;
    }

    /** {@link #HINT_DELAY_NANOS} for a stream group, 0 for the meta group. */
    private final long hintDelayNanos;

    /** The highest commit index a request to this follower carried; guarded by the appender's lock. */
    private long commitSent = -1;
    /** The commit index a hint waits to carry, and since when (System.nanoTime); guarded by the appender's lock. */
    private long hintFor = -1;
    private long hintSince;
    private final AtomicBoolean hintScheduled = new AtomicBoolean();

    @Override
    public AppendEntriesRequestProto newAppendEntriesRequest(long callId, boolean heartbeat) throws RaftLogIOException {
        AppendEntriesRequestProto r = newRequest(callId, heartbeat);
        if (r == null && !heartbeat) {
            long commit = getRaftLog().getLastCommittedIndex();
            if (commit > commitSent && commit > getFollower().getCommitIndex() && !hasPendingDataRequests()) {
                long now = System.nanoTime();
                if (hintFor != commit) {
                    hintFor = commit;
                    hintSince = now;
                }
                long wait = hintDelayNanos - (now - hintSince);
                if (wait <= 0) {
                    r = newRequest(callId, true);
                } else {
                    scheduleHint(wait);
                }
            }
        }
        if (r != null && r.hasPreviousLog()) {
            commitSent = Math.max(commitSent, r.getLeaderCommit());
        }
        return r;
    }

    /** Wakes this appender's loop once the hint is due (the loop otherwise sleeps until the next heartbeat). */
    private void scheduleHint(long inNanos) {
        if (hintScheduled.compareAndSet(false, true)) {
            HINTS.schedule(() -> {
                hintScheduled.set(false);
                notifyLogAppender();
            }, inNanos, TimeUnit.NANOSECONDS);
        }
    }

    private AppendEntriesRequestProto newRequest(long callId, boolean heartbeat) throws RaftLogIOException {
        for (int attempt = 1; ; attempt++) {
            long next = getFollower().getNextIndex();
            try {
                return super.newAppendEntriesRequest(callId, heartbeat);
            } catch (IllegalStateException e) {
                if (attempt >= MAX_BUILD_ATTEMPTS || getFollower().getNextIndex() == next) {
                    throw e;
                }
                LOG.debug("{}: the next index moved from {} to {} while a request was built; building it again",
                        getFollower().getName(), next, getFollower().getNextIndex());
            }
        }
    }

    @Override
    public void run() throws IOException {
        try {
            super.run();
        } catch (RuntimeException e) {
            // Ratis logs the failure as the thread ends; the new appender starts shortly after, on the common pool
            CompletableFuture.runAsync(this::replaceSelf, CompletableFuture.delayedExecutor(RESTART_DELAY_MILLIS,
                    TimeUnit.MILLISECONDS));
            throw e;
        }
    }

    private void replaceSelf() {
        if (!getServer().getInfo().isAlive() || !getServer().getInfo().isLeader()) {
            return;
        }
        LOG.info("{}: the appender ended on an error; starting a new one", getFollower().getName());
        try {
            getLeaderState().restart(this);
        } catch (RuntimeException e) {
            LOG.warn("{}: could not start a new appender: {}", getFollower().getName(), e.toString());
        }
    }

    @Override
    protected long getNextIndexForInconsistency(long requestFirstIndex, long replyNextIndex) {
        FollowerInfo f = getFollower();
        long match = f.getMatchIndex();
        if (replyNextIndex >= 0 && replyNextIndex <= match) {
            if (lowerMatchIndex(f, match, replyNextIndex - 1)) {
                LOG.info("{}: the follower has only up to {} (this leader had it at {}): resending from {}",
                        f.getName(), replyNextIndex - 1, match, replyNextIndex);
            }
            return replyNextIndex;
        }
        return super.getNextIndexForInconsistency(requestFirstIndex, replyNextIndex);
    }

    /** Sets the match index to {@code to} if it is still {@code expected} (a concurrent success wins). */
    private static boolean lowerMatchIndex(FollowerInfo f, long expected, long to) {
        try {
            RaftLogIndex index = (RaftLogIndex) matchIndexField(f.getClass()).get(f);
            return index.updateUnconditionally(old -> old == expected ? to : old, s -> { }) ;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("{}: could not lower the match index to {}: {}", f.getName(), to, e.toString());
            return false;
        }
    }

    private static Field matchIndexField(Class<?> followerInfoClass) {
        Field f = matchIndexField;
        if (f == null) {
            try {
                f = followerInfoClass.getDeclaredField("matchIndex");
            } catch (NoSuchFieldException e) {
                // fail at the start, not silently later: this Ratis is not the one this fix was written for
                throw new IllegalStateException("Ratis's FollowerInfo has no matchIndex field: the RATIS-2523 fix "
                        + "in " + FollowerHintLogAppender.class.getName() + " needs a look", e);
            }
            if (f.getType() != RaftLogIndex.class) {
                throw new IllegalStateException("Ratis's FollowerInfo.matchIndex is a " + f.getType()
                        + ", not a RaftLogIndex: the RATIS-2523 fix needs a look");
            }
            f.setAccessible(true);
            matchIndexField = f;
        }
        return f;
    }
}
