package io.jetraft.storage;

/**
 * A stream's running totals, persisted with every mutation. A published instance is never changed again: a
 * mutation works on a {@link #copy()} and publishes it after the write succeeded.
 */
final class Counters {
    long first = 1;
    long last;
    long msgs;
    long bytes;
    long firstTs;
    long lastTs;
    long numSubjects;

    Counters copy() {
        Counters c = new Counters();
        c.first = first;
        c.last = last;
        c.msgs = msgs;
        c.bytes = bytes;
        c.firstTs = firstTs;
        c.lastTs = lastTs;
        c.numSubjects = numSubjects;
        return c;
    }

    StreamState toState(int consumers) {
        long deleted = 0;
        if (last > first) {
            deleted = Math.max(0, (last - first + 1) - msgs);
        }
        return new StreamState(msgs, bytes, first, msgs == 0 ? 0 : firstTs, last, lastTs, numSubjects, deleted,
                consumers);
    }

    /** nats-server's file store record size: what JetStream reports as a message's bytes. */
    static long messageSize(int subjectLen, int headersLen, int payloadLen) {
        if (headersLen == 0) {
            return 22L + subjectLen + payloadLen + 8;
        }
        return 22L + subjectLen + 4 + headersLen + payloadLen + 8;
    }
}
