package io.jetraft.raft;

/**
 * Where a new consumer starts. Resolved against the stream when its entry applies, so every replica agrees: the first
 * message, after the last one, the last one, or a given sequence.
 */
public record StartPosition(Policy policy, long sequence) {

    public enum Policy { ALL, NEW, LAST, SEQUENCE }

    public StartPosition {
        if (policy == null) {
            policy = Policy.ALL;
        }
        if (policy == Policy.SEQUENCE && sequence < 1) {
            throw new IllegalArgumentException("a start sequence must be at least 1, got " + sequence);
        }
    }

    public static StartPosition all() {
        return new StartPosition(Policy.ALL, 0);
    }

    public static StartPosition newOnly() {
        return new StartPosition(Policy.NEW, 0);
    }

    public static StartPosition last() {
        return new StartPosition(Policy.LAST, 0);
    }

    public static StartPosition sequence(long seq) {
        return new StartPosition(Policy.SEQUENCE, seq);
    }
}
