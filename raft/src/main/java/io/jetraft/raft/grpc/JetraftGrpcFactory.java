package io.jetraft.raft.grpc;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;

/** The stock gRPC factory, but each leader's appenders are {@link FollowerHintLogAppender}s. */
final class JetraftGrpcFactory extends GrpcFactory {

    JetraftGrpcFactory(Parameters parameters) {
        super(parameters);
    }

    @Override
    public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
        return new FollowerHintLogAppender(server, state, follower);
    }
}
