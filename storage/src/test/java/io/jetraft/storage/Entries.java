package io.jetraft.storage;

/** Hands out increasing Raft indexes, as a log would, for tests. */
final class Entries {
    private long term = 1;
    private long index;

    AppliedIndex next() {
        return AppliedIndex.of(term, ++index);
    }

    AppliedIndex current() {
        return AppliedIndex.of(term, index);
    }

    void newTerm() {
        term++;
    }
}
