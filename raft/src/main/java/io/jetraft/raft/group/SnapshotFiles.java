package io.jetraft.raft.group;

import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;

/**
 * A group's snapshot files ({@code sm/snapshot.<term>_<index>} with an MD5 file), as Ratis's
 * {@link SimpleStateMachineStorage}, with two fixes: its {@code getLatestSnapshot} can race with a new snapshot and
 * throw a NullPointerException on the leader's log appender thread (which then stops replicating to that follower
 * for good), and without a snapshot it lists the directory on every call (the appender asks on every loop). Here the
 * latest snapshot is kept in one field under one lock, and "none" is remembered until a snapshot is taken or a
 * (re)load is asked for.
 */
final class SnapshotFiles extends SimpleStateMachineStorage {

    private volatile SingleFileSnapshotInfo current;
    private volatile boolean scanned;

    @Override
    public SingleFileSnapshotInfo getLatestSnapshot() {
        SingleFileSnapshotInfo c = current;
        if (c != null || scanned) {
            return c;
        }
        return loadLatestSnapshot();
    }

    @Override
    public synchronized SingleFileSnapshotInfo loadLatestSnapshot() {
        super.loadLatestSnapshot(); // finds the newest file and hands it to updateLatestSnapshot
        scanned = true;
        return current;
    }

    @Override
    public synchronized SingleFileSnapshotInfo updateLatestSnapshot(SingleFileSnapshotInfo info) {
        if (info == null) {
            return current;
        }
        SingleFileSnapshotInfo c = current;
        if (c == null || info.getIndex() > c.getIndex()) {
            current = info;
        }
        super.updateLatestSnapshot(info);
        return current;
    }
}
