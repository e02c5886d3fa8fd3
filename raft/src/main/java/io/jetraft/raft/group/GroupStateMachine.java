package io.jetraft.raft.group;

import io.jetraft.raft.GroupName;
import io.jetraft.storage.AppliedIndex;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.apache.ratis.io.MD5Hash;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * What the meta and stream state machines share: the snapshot files (one file {@code snapshot.<term>_<index>} with
 * its MD5 in the group's {@code sm/} directory, shipped by Ratis to followers that are too far behind), the pause /
 * reinitialize lifecycle around a snapshot install, a monotonic applied index, leader-side stamping of requests,
 * leader events, and the halt on an entry that cannot be decoded or applied.
 *
 * <p>The store records each group's applied index with its data, and a replayed entry changes nothing there, so
 * after a restart Ratis replays the log from the latest snapshot and the store skips what it already has.
 */
public abstract class GroupStateMachine extends BaseStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(GroupStateMachine.class);
    private static final String WRITING = "snapshot-in-progress.tmp";

    protected final GroupName name;
    protected final GroupEvents events;
    protected final Clock clock;
    private final SnapshotFiles storage = new SnapshotFiles();
    private volatile Halt halt;
    private volatile boolean closed;

    /**
     * Tests only: rewrites the log data this node stamps as leader, to put an entry into the log that no replica can
     * decode (as a newer jetraft's entry would be to an older one).
     */
    public volatile UnaryOperator<ByteString> logDataFault = UnaryOperator.identity();

    /** Tests only: runs on the apply thread before each entry (e.g. to hold it and show that close is bounded). */
    public volatile Runnable beforeApply = () -> { };

    protected GroupStateMachine(GroupName name, GroupEvents events, Clock clock) {
        this.name = name;
        this.events = events;
        this.clock = clock;
    }

    public GroupName groupName() {
        return name;
    }

    /** Why this group stopped applying on this node, or null while it applies. */
    public Halt halt() {
        return halt;
    }

    // ------------------------------------------------------------------ what the subclasses provide

    /** Brings the store up to at least {@code latest} (a restore when the store is behind it); null: no snapshot. */
    protected abstract void recover(SingleFileSnapshotInfo latest) throws IOException;

    /** Replaces the group's data in the store with the installed snapshot. */
    protected abstract void install(SingleFileSnapshotInfo snapshot) throws IOException;

    /** The applied index the store holds for this group. */
    protected abstract AppliedIndex storedAppliedIndex();

    /** Writes the group's data as of its stored applied index to {@code file}; returns that index. */
    protected abstract AppliedIndex writeSnapshot(Path file) throws IOException;

    /** Decodes a client request and stamps what only the leader may decide (time, placement) into the log data. */
    protected abstract ByteString stamp(ByteString request) throws InvalidRequestException;

    /** Decodes and applies one committed entry; throws (after {@link #halt}) when it cannot. */
    protected abstract ByteString apply(LogEntryProto entry, AppliedIndex at);

    // ------------------------------------------------------------------ lifecycle

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        SingleFileSnapshotInfo latest = storage.getLatestSnapshot();
        recover(latest);
        // Ratis replays from the snapshot on; the store skips what it has (its applied index may be further)
        setLastAppliedTermIndex(latest == null ? TermIndex.INITIAL_VALUE : latest.getTermIndex());
        getLifeCycle().startAndTransition(() -> { });
    }

    @Override
    public void pause() {
        if (getLifeCycle().getCurrentState() == LifeCycle.State.RUNNING) {
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    @Override
    public void reinitialize() throws IOException {
        getLifeCycle().transition(LifeCycle.State.STARTING);
        SingleFileSnapshotInfo installed = storage.loadLatestSnapshot();
        if (installed == null) {
            throw new IOException(name + ": no snapshot to load in " + storage.getSnapshotDir());
        }
        long started = System.nanoTime();
        install(installed);
        setLastAppliedTermIndex(installed.getTermIndex());
        getLifeCycle().transition(LifeCycle.State.RUNNING);
        LOG.info("{}: installed the leader's snapshot at {} in {} ms", name, installed.getTermIndex(),
                (System.nanoTime() - started) / 1_000_000);
    }

    /** Ratis calls this once the group has stopped applying on this node (it is closing). */
    @Override
    public void close() throws IOException {
        closed = true;
        super.close();
    }

    /** Whether this group stopped applying here for good (its division closed). */
    public boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------------ transactions

    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        TransactionContext.Builder b = TransactionContext.newBuilder().setStateMachine(this).setClientRequest(request);
        try {
            ByteString stamped = stamp(request.getMessage().getContent());
            return b.setLogData(logDataFault.apply(stamped)).build();
        } catch (InvalidRequestException e) {
            return b.build().setException(e);
        }
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        AppliedIndex at = AppliedIndex.of(entry.getTerm(), entry.getIndex());
        beforeApply.run();
        ByteString reply = apply(entry, at);
        advance(entry.getTerm(), entry.getIndex());
        return CompletableFuture.completedFuture(Message.valueOf(reply));
    }

    /** Configuration and leader no-op entries: not stored, but Ratis counts them as applied. */
    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        advance(term, index);
    }

    private void advance(long term, long index) {
        if (index > getLastAppliedTermIndex().getIndex()) {
            updateLastAppliedTermIndex(term, index);
        }
    }

    /**
     * Logs and records that the entry at {@code at} could not be decoded or applied, and returns the exception to
     * throw out of applyTransaction (Ratis then closes this group's division on this node).
     */
    protected GroupHaltedException halt(AppliedIndex at, String what, Throwable cause) {
        Halt h = new Halt(at.term(), at.index(), what + (cause == null ? "" : ": " + cause), clock.instant());
        halt = h;
        LOG.error("{} (group {}) on {} stopped applying at log index {} (term {}): {}. The entry is not skipped: "
                        + "this replica applies nothing more until it is restarted (it will retry this entry); the "
                        + "others go on if they can", name, getGroupId(), getId(), at.index(), at.term(), h.reason(),
                cause);
        events.halted(name, h);
        if (leading()) {
            keepOpenForCommitHints();
        }
        return new GroupHaltedException(name + " stopped applying at index " + at.index() + ": " + h.reason(),
                cause);
    }

    /**
     * How long a leader that halts keeps its division open, so that its followers hear that the entry is committed:
     * Ratis closes the division as soon as the apply fails, and a stream group's commit hint waits up to 10 ms for a
     * write to carry it. Without this the followers never learned of the commit, never reached the entry and never
     * halted at it (FaultsTest in the clean-clone CI of a39d57e: a restarted replica that elected a new leader, which
     * then halted alone, waited for good).
     */
    private static final long HALT_HINT_GRACE_MILLIS = 50;

    private boolean leading() {
        try {
            return division().getInfo().isLeader();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private RaftServer.Division division() throws IOException {
        return getServer().join().getDivision(getGroupId());
    }

    private static void keepOpenForCommitHints() {
        try {
            Thread.sleep(HALT_HINT_GRACE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ reads

    /** A read barrier: Ratis calls it once this replica has applied up to the read index; returns the applied index. */
    @Override
    public CompletableFuture<Message> query(Message request) {
        long applied = getLastAppliedTermIndex().getIndex();
        return CompletableFuture.completedFuture(
                Message.valueOf(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(applied).flip())));
    }

    // ------------------------------------------------------------------ snapshots

    @Override
    public long takeSnapshot() throws IOException {
        if (halt != null) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        AppliedIndex stored;
        try {
            stored = storedAppliedIndex();
        } catch (RuntimeException e) {
            throw new IOException(name + ": cannot read the applied index for a snapshot: " + e.getMessage(), e);
        }
        long lastApplied = getLastAppliedTermIndex().getIndex();
        if (stored.index() < 0 || stored.index() > lastApplied) {
            // nothing stored yet, or replaying entries the store already has: no snapshot until it has caught up
            return RaftLog.INVALID_LOG_INDEX;
        }
        SingleFileSnapshotInfo latest = storage.getLatestSnapshot();
        if (latest != null && latest.getIndex() >= stored.index()) {
            return latest.getIndex();
        }
        long started = System.nanoTime();
        File dir = storage.getSnapshotFile(0, 0).getParentFile();
        Files.createDirectories(dir.toPath());
        Path writing = dir.toPath().resolve(WRITING);
        AppliedIndex captured;
        try {
            captured = writeSnapshot(writing);
        } catch (RuntimeException e) {
            Files.deleteIfExists(writing);
            throw new IOException(name + ": writing a snapshot failed: " + e.getMessage(), e);
        }
        File target = storage.getSnapshotFile(captured.term(), captured.index());
        MD5Hash md5 = MD5FileUtil.computeMd5ForFile(writing.toFile());
        // the digest first: a snapshot file without one would not be found again
        MD5FileUtil.saveMD5File(target, md5);
        Files.move(writing, target.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target.toPath(), md5),
                captured.term(), captured.index()));
        LOG.info("{}: snapshot at index {} ({} bytes) in {} ms", name, captured.index(), Files.size(target.toPath()),
                (System.nanoTime() - started) / 1_000_000);
        return captured.index();
    }

    // ------------------------------------------------------------------ events

    /** When this replica was elected (System.nanoTime), for the log line of its readiness; 0 when not leading. */
    private volatile long electedAt;

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        electedAt = newLeaderId != null && newLeaderId.equals(groupMemberId.getPeerId()) ? System.nanoTime() : 0;
        events.leaderChanged(name, newLeaderId == null ? null : newLeaderId.toString(), currentTerm());
    }

    @Override
    public void notifyLeaderReady() {
        long term = currentTerm();
        long elected = electedAt;
        // its first entry of the term is applied: the time from the election is what a hand-over costs the group
        LOG.info("{}: led by this node from term {}, ready {} ms after its election", name, term,
                elected == 0 ? "?" : String.valueOf((System.nanoTime() - elected) / 1_000_000));
        events.leaderReady(name, term);
    }

    private long currentTerm() {
        try {
            return division().getInfo().getCurrentTerm();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public String toString() {
        return name + "@" + getId();
    }
}
