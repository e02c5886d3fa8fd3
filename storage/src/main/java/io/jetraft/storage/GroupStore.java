package io.jetraft.storage;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One stream group's part of the {@link NodeStore}: the streams one Raft group carries and the group's applied index.
 * Every change to a stream of the group (through its {@link StreamStore}) and every change here records the group's
 * applied index in the same RocksDB write as the data, and an entry whose index is not newer than the group's is
 * skipped (a replay changes nothing). Streams join the group with {@link #attach} and leave it, with every key they
 * had, with {@link #detach}. A snapshot ({@link #export} / {@link #restore}) holds every stream of the group at one
 * applied index.
 *
 * <p>Thread-safety: one writer (the group's Raft apply thread); reads from any thread.
 */
public final class GroupStore {

    private final NodeStore node;
    private final String id;
    private final byte[] appliedKey;
    private volatile AppliedIndex applied;
    /** The write shared by the mutations of the Raft entry being applied, and the thread applying it; or null. */
    private GroupWrite open;
    private volatile Thread writer;

    GroupStore(NodeStore node, String id, AppliedIndex applied) {
        this.node = node;
        this.id = id;
        this.appliedKey = Keys.groupApplied(id);
        this.applied = applied;
    }

    public String id() {
        return id;
    }

    /** The Raft index whose effects the group's data includes ({@link AppliedIndex#NONE} for a new group). */
    public AppliedIndex appliedIndex() {
        node.ensureOpen();
        return applied;
    }

    /** The names of the streams in this group, sorted. */
    public List<String> streamNames() {
        return node.streamsOf(this);
    }

    /** A stream of this group. */
    public Optional<StreamStore> stream(String name) {
        return node.streamIn(this, name);
    }

    /**
     * Adds a new, empty stream to the group, or returns the one it already has by that name (a replayed or repeated
     * attach). Refused (as a result) when the name or limits are invalid, or another group holds a stream of that
     * name.
     */
    public Outcome<StreamStore> attach(AppliedIndex at, String name, StreamLimits limits) {
        Objects.requireNonNull(at, "at");
        flushOpenWrite();
        return node.attach(this, at, name, limits);
    }

    /** Removes a stream of this group with all its keys; false (still recorded) when the group has no such stream. */
    public Outcome<Boolean> detach(AppliedIndex at, String name) {
        Objects.requireNonNull(at, "at");
        flushOpenWrite();
        return node.detach(this, at, name);
    }

    /** Records an applied index that changes no data (a Raft no-op, or an entry for a stream the group lacks). */
    public Outcome<Void> recordApplied(AppliedIndex at) {
        Objects.requireNonNull(at, "at");
        flushOpenWrite();
        return node.recordGroupApplied(this, at);
    }

    /**
     * Writes every stream of the group and the group's applied index, as of one consistent view of the store, to
     * {@code file} (with a SHA-256 over its content).
     */
    public GroupSnapshotInfo export(Path file) {
        return node.exportGroup(this, file);
    }

    /**
     * Replaces the whole group (its streams and applied index) with a snapshot's content. The file is verified in full
     * before anything changes, and the switch is one atomic write.
     *
     * @throws SnapshotRejectedException when the file is corrupt, truncated or of another group (nothing changed)
     */
    public GroupSnapshotInfo restore(Path file) {
        return node.restoreGroup(this, file);
    }

    /**
     * Runs {@code body} (the apply of one Raft entry, on the group's one writer thread) so that the mutations it
     * makes to this group's streams from this thread share one RocksDB write, committed when it returns: a Raft entry
     * carrying many streams' publishes, deliveries and acks costs one write with one applied index instead of one
     * each. Readers on other threads see a stream's new state only after that write. A mutation that cannot share a
     * batch (a range delete, attach, detach) first commits what is pending and is then written alone. If {@code body}
     * or the write fails, nothing pending is published (the touched streams re-read their state) and it throws.
     */
    public <T> T inOneWrite(Supplier<T> body) {
        if (open != null && writer == Thread.currentThread()) {
            return body.get();
        }
        node.ensureOpen();
        try (GroupWrite w = new GroupWrite(node, this)) {
            open = w;
            writer = Thread.currentThread();
            T result;
            try {
                result = body.get();
                w.commit();
            } catch (RuntimeException | Error e) {
                w.abandon();
                throw e;
            } finally {
                writer = null;
                open = null;
            }
            return result;
        }
    }

    // ------------------------------------------------------------------ for the store

    /** The write the calling thread's mutations of this group's streams join, or null. */
    GroupWrite openWrite() {
        return writer == Thread.currentThread() ? open : null;
    }

    /** Commits what the open write of the calling thread holds (before a mutation that must be written alone). */
    void flushOpenWrite() {
        GroupWrite w = openWrite();
        if (w != null) {
            w.commit();
        }
    }

    byte[] appliedKey() {
        return appliedKey;
    }

    /** Skipped: the entry at {@code at} is covered by what the group applied. */
    boolean covers(AppliedIndex at) {
        GroupWrite w = openWrite();
        if (w != null && w.last() != null && at.isCoveredBy(w.last())) {
            return true;
        }
        return at.isCoveredBy(applied);
    }

    /** After a write that recorded {@code at} as this group's applied index. */
    void applied(AppliedIndex at) {
        applied = at;
    }

    @Override
    public String toString() {
        return "GroupStore[" + id + ", applied " + applied + "]";
    }
}
