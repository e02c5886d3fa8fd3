package io.jetraft.raft.grpc;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.rpc.SupportedRpcType;

/**
 * Ratis's gRPC transport with {@link FollowerHintLogAppender} as the log appender. Ratis finds it by class name
 * ({@code raft.rpc.type}), so it needs a public no-argument constructor; it calls itself "GRPC" like the stock type.
 */
public final class JetraftRpcType implements RpcType {

    public JetraftRpcType() {
    }

    @Override
    public String name() {
        return SupportedRpcType.GRPC.name();
    }

    @Override
    public RpcFactory newFactory(Parameters parameters) {
        return new JetraftGrpcFactory(parameters);
    }
}
