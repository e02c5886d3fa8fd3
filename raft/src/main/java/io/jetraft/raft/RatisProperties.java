package io.jetraft.raft;

import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Ratis configuration of a node, in one place with the reason for each choice. Everything not set here is the
 * Ratis 3.2.2 default (notably: pre-vote on, a separate gRPC heartbeat channel, log flush before an index counts as
 * written, corrupt-log policy EXCEPTION).
 */
final class RatisProperties {

    private RatisProperties() {
    }

    static RaftProperties server(RaftNodeConfig c) {
        RaftProperties p = new RaftProperties();
        RaftTiming t = c.timing();
        RaftLogSettings log = c.log();

        // gRPC, with jetraft's log appender (a fix for a follower that never catches up: see FollowerHintLogAppender)
        p.set(RaftConfigKeys.Rpc.TYPE_KEY, io.jetraft.raft.grpc.JetraftRpcType.class.getName());
        GrpcConfigKeys.Server.setHost(p, RaftAddress.host(c.raftAddress()));
        // the default (0) is a random port; one port serves the server, admin and client services
        GrpcConfigKeys.Server.setPort(p, RaftAddress.parse(c.raftAddress(), "this node"));
        RaftServerConfigKeys.setStorageDir(p, List.of(c.raftDirectory().toFile()));
        // removed groups are deleted (groupRemove with deleteDirectory); keep any renamed leftovers beside ours
        RaftServerConfigKeys.setRemovedGroupsDir(p, c.raftDirectory().resolve("removed-groups").toFile());

        // elections: 2-core nodes with many groups need slow timeouts; planned moves use leadership transfer
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, ms(t.electionTimeoutMin()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, ms(t.electionTimeoutMax()));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, ms(t.firstElectionTimeout().dividedBy(4)));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, ms(t.firstElectionTimeout()));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, ms(t.requestTimeout()));

        // the log of each group: small segments and buffers (one set per group), entries up to maxEntrySize
        long entry = log.maxEntrySize().bytes();
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(log.segmentSize().bytes()));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(
                Math.min(log.segmentSize().bytes(), 1024 * 1024)));
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(entry));
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(entry + 8));
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);
        RaftServerConfigKeys.Log.setSegmentCacheSizeMax(p, SizeInBytes.valueOf(4 * log.segmentSize().bytes()));
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(entry + 1024 * 1024));
        // durability: by default an index counts as written only after its fsync (commit = quorum of fsyncs)
        RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, log.sync() == LogSync.UNSAFE_ACK_BEFORE_FSYNC);
        RaftServerConfigKeys.Log.setAsyncFlushEnabled(p, false);
        // no commit-index entry after each commit (Ratis writes one by default; Ozone's OM turns it off too): at R3 it
        // was a second log entry, fsync and append round per write on every replica, and the next write queued behind
        // it (sync publish p50 2.9 -> 1.4 ms). A restarted replica learns the commit index from its leader instead.
        RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);

        // snapshots: every snapshotEvery entries; the log is purged behind them (keeping keepBehindSnapshot
        // entries for followers only a little behind), whether or not every follower has caught up: one that
        // has not receives the snapshot
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, log.snapshotEvery());
        RaftServerConfigKeys.Snapshot.setCreationGap(p, Math.min(1024, log.snapshotEvery()));
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        // exporting a stream is not free: not at every stop, never for a group being deleted
        RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, false);
        RaftServerConfigKeys.Snapshot.setTriggerWhenRemoveEnabled(p, false);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgePreservationLogNum(p, log.keepBehindSnapshot());
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, log.snapshotEvery()));
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, true);

        // reads: ReadIndex on leader and followers; the leader answers from its lease when it holds one
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setLeaderLeaseEnabled(p, true);
        RaftServerConfigKeys.Read.setTimeout(p, ms(t.proposalTimeout()));
        return p;
    }

    static RaftProperties client(RaftNodeConfig c) {
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, ms(c.timing().requestTimeout()));
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(c.log().maxEntrySize().bytes() + 1024 * 1024));
        return p;
    }

    static TimeDuration ms(Duration d) {
        return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
    }
}
