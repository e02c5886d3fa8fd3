package io.jetraft.raft.grpc;

import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.raftlog.RaftLogIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;

/**
 * Ratis 3.2.2's gRPC log appender with one fix (RATIS-2523, open upstream): when a follower answers INCONSISTENCY
 * with a next index at or below the match index the leader holds for it, Ratis resends from that stale
 * {@code matchIndex + 1} instead, the follower answers INCONSISTENCY again, and the follower never catches up (seen
 * here: a node that restarted during a rolling upgrade, its streams "not current" forever, thousands of INCONSISTENCY
 * replies a minute). This appender believes the follower: it resends from the follower's next index and lowers the
 * follower's match index to match, so that the next success moves it forward again. Lowering one follower's match
 * index cannot lower the commit index, which Ratis only ever raises.
 */
final class FollowerHintLogAppender extends GrpcLogAppender {

    private static final Logger LOG = LoggerFactory.getLogger(FollowerHintLogAppender.class);
    /** Ratis keeps the match index in a private field of its FollowerInfo implementation; resolved once. */
    private static volatile Field matchIndexField;

    FollowerHintLogAppender(RaftServer.Division server, LeaderState leaderState, FollowerInfo follower) {
        super(server, leaderState, follower);
        matchIndexField(follower.getClass());
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
