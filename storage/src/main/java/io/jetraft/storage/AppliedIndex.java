package io.jetraft.storage;

/**
 * The Raft (term, index) of the last log entry whose effects a stream's data includes. Every mutation records one in
 * the same RocksDB write as its data, so after a crash the data is exactly as of the recorded index.
 */
public record AppliedIndex(long term, long index) {

    /**
     * Nothing applied yet: a new stream. Its index is -1 (Ratis's invalid log index), because Raft logs may start at
     * index 0 and an entry with index 0 must still apply.
     */
    public static final AppliedIndex NONE = new AppliedIndex(0, -1);

    public AppliedIndex {
        if (term < 0 || index < -1) {
            throw new IllegalArgumentException("term cannot be negative and index not below -1: " + term + ":"
                    + index);
        }
    }

    public static AppliedIndex of(long term, long index) {
        return new AppliedIndex(term, index);
    }

    /** True when this entry was already applied, given what the store recorded. */
    boolean isCoveredBy(AppliedIndex recorded) {
        return index <= recorded.index;
    }

    @Override
    public String toString() {
        return "(t:" + term + ", i:" + index + ")";
    }
}
