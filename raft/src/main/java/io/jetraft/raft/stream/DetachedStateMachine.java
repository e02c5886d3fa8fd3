package io.jetraft.raft.stream;

import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * The state machine of a group directory found on disk at start whose group this node's meta state does not know
 * (yet): it applies nothing, stores nothing and takes no snapshot, so the log stays whole. Once the meta group has
 * caught up, the reconciler either removes the group (it was deleted) or re-opens it with its real state machine,
 * which replays the log into the store.
 */
public final class DetachedStateMachine extends BaseStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(DetachedStateMachine.class);

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
        super.initialize(server, groupId, storage);
        LOG.info("Group {} on {} is not in this node's meta state (yet): it stays detached until the meta group has "
                + "caught up", groupId, server.getId());
        getLifeCycle().startAndTransition(() -> { });
    }

    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        return TransactionContext.newBuilder().setStateMachine(this).setClientRequest(request).build()
                .setException(new StateMachineException("group " + getGroupId() + " is detached on " + getId()
                        + " until its meta state catches up"));
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        return CompletableFuture.completedFuture(Message.EMPTY);
    }

    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        // nothing is applied here; the real state machine replays the log when the group is re-opened
    }

    @Override
    public long takeSnapshot() {
        return RaftLog.INVALID_LOG_INDEX;
    }
}
