package io.jetraft.raft;

import io.jetraft.raft.group.GroupEvents;
import io.jetraft.raft.group.Halt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * Takes the state machines' events off the Ratis threads: leader changes go to the listeners on the node's event
 * thread, in order; meta changes wake the reconciler.
 */
final class NodeEvents implements GroupEvents {

    private static final Logger LOG = LoggerFactory.getLogger(NodeEvents.class);

    private final String node;
    private final ExecutorService thread;
    private final List<LeaderListener> listeners = new CopyOnWriteArrayList<>();
    private volatile Runnable onMetaChanged = () -> { };
    private volatile java.util.function.Consumer<GroupName> onLeaderReady = g -> { };

    NodeEvents(String node, ExecutorService thread) {
        this.node = node;
        this.thread = thread;
    }

    void onMetaChanged(Runnable r) {
        this.onMetaChanged = r;
    }

    void onLeaderReady(java.util.function.Consumer<GroupName> r) {
        this.onLeaderReady = r;
    }

    void add(LeaderListener l) {
        listeners.add(l);
    }

    void remove(LeaderListener l) {
        listeners.remove(l);
    }

    @Override
    public void leaderChanged(GroupName group, String leader, long term) {
        if (node.equals(leader)) {
            return; // told when ready
        }
        dispatch(new LeaderChange(group, Optional.ofNullable(leader), false, term));
    }

    @Override
    public void leaderReady(GroupName group, long term) {
        dispatch(new LeaderChange(group, Optional.of(node), true, term));
        run(() -> onLeaderReady.accept(group));
    }

    @Override
    public void streamsChanged(GroupName group) {
        run(() -> {
            for (LeaderListener l : listeners) {
                try {
                    l.streamsChanged(group);
                } catch (RuntimeException e) {
                    LOG.warn("{}: a leader listener failed on {}: {}", node, group, e.toString(), e);
                }
            }
        });
    }

    @Override
    public void halted(GroupName group, Halt halt) {
        dispatch(new LeaderChange(group, Optional.empty(), false, halt.term()));
    }

    @Override
    public void metaChanged() {
        onMetaChanged.run();
    }

    private void dispatch(LeaderChange change) {
        run(() -> {
            for (LeaderListener l : listeners) {
                try {
                    l.leaderChanged(change);
                } catch (RuntimeException e) {
                    LOG.warn("{}: a leader listener failed on {}: {}", node, change, e.toString(), e);
                }
            }
        });
    }

    private void run(Runnable r) {
        try {
            thread.execute(r);
        } catch (RejectedExecutionException e) {
            LOG.debug("{}: event dropped while closing", node);
        }
    }
}
