package io.jetraft.storage;

/**
 * The Raft (term, index) of the last log entry whose effects a stream's data includes, and how far into that entry
 * ({@code sub}: one Raft entry may carry several stream entries, a group commit, applied one after another). Every
 * mutation records one in the same RocksDB write as its data, so after a crash the data is exactly as of the recorded
 * position.
 */
public record AppliedIndex(long term, long index, int sub) {

    /**
     * Nothing applied yet: a new stream. Its index is -1 (Ratis's invalid log index), because Raft logs may start at
     * index 0 and an entry with index 0 must still apply.
     */
    public static final AppliedIndex NONE = new AppliedIndex(0, -1, 0);

    public AppliedIndex {
        if (term < 0 || index < -1 || sub < 0) {
            throw new IllegalArgumentException("term and sub cannot be negative and index not below -1: " + term
                    + ":" + index + "." + sub);
        }
    }

    public AppliedIndex(long term, long index) {
        this(term, index, 0);
    }

    public static AppliedIndex of(long term, long index) {
        return new AppliedIndex(term, index, 0);
    }

    /** The {@code sub}-th stream entry of the same Raft entry. */
    public AppliedIndex at(int position) {
        return new AppliedIndex(term, index, position);
    }

    /** True when this entry was already applied, given what the store recorded. */
    boolean isCoveredBy(AppliedIndex recorded) {
        return index < recorded.index || (index == recorded.index && sub <= recorded.sub);
    }

    @Override
    public String toString() {
        return "(t:" + term + ", i:" + index + (sub == 0 ? "" : "." + sub) + ")";
    }
}
