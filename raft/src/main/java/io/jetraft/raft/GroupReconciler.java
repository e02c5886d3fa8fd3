package io.jetraft.raft;

import io.jetraft.raft.meta.MetaState;
import io.jetraft.raft.meta.MetaView;
import io.jetraft.raft.proto.GroupRecord;
import io.jetraft.raft.stream.DetachedStateMachine;
import io.jetraft.storage.NodeStore;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.util.JavaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Makes this node's stream groups match the applied meta state, on its own thread: adds the stream groups whose
 * replica set includes this node, removes (with their directories and store data) those no longer there, and
 * re-opens groups that were found on disk before the meta state knew them. Level-triggered: each pass compares the whole
 * desired state with what runs, so a missed or repeated signal does no harm; a pass that could not finish is retried.
 * Removals wait until the meta group has caught up with its leader, so a stale meta state never deletes anything.
 */
final class GroupReconciler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupReconciler.class);
    private static final long RETRY_MS = 500;

    private final RaftServer server;
    private final RaftPeerId self;
    private final RaftGroupId metaGroup;
    private final MetaView view;
    private final NodeStore store;
    private final BooleanSupplier metaCaughtUp;
    private final Consumer<RaftGroupId> added;
    private final Consumer<RaftGroupId> removed;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final Thread thread;
    private final Object lock = new Object();
    private boolean requested = true;
    private volatile boolean closed;
    /** Tests only: runs before each pass (e.g. to hold the reconciler and show that applying does not wait). */
    volatile Runnable beforePass = () -> { };

    GroupReconciler(RaftServer server, RaftGroupId metaGroup, MetaView view, NodeStore store,
                    BooleanSupplier metaCaughtUp, Consumer<RaftGroupId> added, Consumer<RaftGroupId> removed) {
        this.server = server;
        this.self = server.getId();
        this.metaGroup = metaGroup;
        this.view = view;
        this.store = store;
        this.metaCaughtUp = metaCaughtUp;
        this.added = added;
        this.removed = removed;
        this.thread = new Thread(this::run, "jetraft-reconcile-" + self);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Asks for a pass (cheap; passes coalesce). */
    void request() {
        synchronized (lock) {
            requested = true;
            lock.notifyAll();
        }
    }

    private void run() {
        while (!closed) {
            synchronized (lock) {
                while (!requested && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                requested = false;
            }
            if (closed) {
                return;
            }
            boolean complete;
            try {
                beforePass.run();
                complete = pass();
            } catch (RuntimeException e) {
                LOG.warn("{}: reconciling the stream groups failed (retrying): {}", self, e.toString(), e);
                complete = false;
            }
            if (!complete && !closed) {
                synchronized (lock) {
                    try {
                        lock.wait(RETRY_MS);
                    } catch (InterruptedException e) {
                        return;
                    }
                    requested = true;
                }
            }
        }
    }

    /** One comparison of desired and running groups; false when something is left for a later pass. */
    private boolean pass() {
        MetaState meta = view.get();
        Map<RaftGroupId, GroupRecord> desired = new HashMap<>();
        for (GroupRecord g : meta.groupsOn(self.toString())) {
            desired.put(StreamLocator.groupId(g), g);
        }
        boolean caughtUp = metaCaughtUp.getAsBoolean();
        boolean complete = true;
        Set<RaftGroupId> running = new HashSet<>();
        for (RaftGroupId gid : server.getGroupIds()) {
            if (gid.equals(metaGroup) || closed) {
                continue;
            }
            running.add(gid);
            StateMachine sm;
            try {
                sm = server.getDivision(gid).getStateMachine();
            } catch (IOException | RuntimeException e) {
                complete = false; // still starting (or failed to): look again later
                continue;
            }
            GroupRecord want = desired.get(gid);
            if (want == null) {
                if (!caughtUp) {
                    complete = false;
                    continue;
                }
                complete &= remove(gid, true);
                running.remove(gid);
            } else if (sm instanceof DetachedStateMachine) {
                LOG.info("{}: re-opening {} now that the meta state knows it", self,
                        GroupName.streams(want.getGroupId()));
                if (remove(gid, false)) {
                    running.remove(gid);
                } else {
                    complete = false;
                }
            }
        }
        for (Map.Entry<RaftGroupId, GroupRecord> e : desired.entrySet()) {
            if (!running.contains(e.getKey()) && !closed) {
                complete &= add(e.getKey(), e.getValue());
            }
        }
        if (caughtUp && !closed) {
            for (String id : store.groupIds()) {
                RaftGroupId gid = RaftGroupId.valueOf(UUID.fromString(id));
                if (!desired.containsKey(gid) && !running.contains(gid)) {
                    LOG.info("{}: deleting store data of stream group {} that this node no longer hosts", self, id);
                    store.deleteGroup(id);
                }
            }
        }
        return complete;
    }

    private boolean add(RaftGroupId gid, GroupRecord r) {
        RaftGroup group = StreamLocator.raftGroup(r);
        GroupName name = GroupName.streams(r.getGroupId());
        long started = System.nanoTime();
        try {
            // RECOVER: opens the directory when there is one (a group that was detached), else formats a new one
            RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(clientId, self,
                    callIds.incrementAndGet(), group, false));
            if (!reply.isSuccess() && !((Throwable) reply.getException() instanceof AlreadyExistsException)) {
                LOG.warn("{}: adding {} failed (retrying): {}", self, name, reply.getException());
                return false;
            }
        } catch (IOException | RuntimeException e) {
            if (JavaUtils.isCausedBy(e, AlreadyExistsException.class)) {
                return true;
            }
            LOG.warn("{}: adding {} failed (retrying): {}", self, name, e.toString());
            return false;
        }
        LOG.info("{}: started {} (slot {}, peers {}, preferred leader {}) in {} ms", self, name, r.getSlot(),
                group.getPeers().stream().map(p -> p.getId().toString()).toList(), r.getPreferredLeader(),
                (System.nanoTime() - started) / 1_000_000);
        added.accept(gid);
        return true;
    }

    private boolean remove(RaftGroupId gid, boolean delete) {
        long started = System.nanoTime();
        try {
            RaftClientReply reply = server.groupManagement(GroupManagementRequest.newRemove(clientId, self,
                    callIds.incrementAndGet(), gid, delete, false));
            if (!reply.isSuccess()) {
                LOG.warn("{}: removing group {} failed (retrying): {}", self, gid, reply.getException());
                return false;
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: removing group {} failed (retrying): {}", self, gid, e.toString());
            return false;
        }
        removed.accept(gid);
        if (delete) {
            String id = gid.getUuid().toString();
            boolean hadData = store.hasGroup(id) && store.deleteGroup(id);
            LOG.info("{}: removed group {} ({}) in {} ms", self, gid, hadData ? "and its data" : "no store data",
                    (System.nanoTime() - started) / 1_000_000);
        }
        return true;
    }

    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("{}: the reconciler is still busy with a group change; going on without it", self);
            thread.interrupt();
        }
    }
}
