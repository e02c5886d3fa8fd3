package io.jetraft.server.jetstream;

import io.jetraft.raft.StreamAssignment;
import io.jetraft.server.subject.Subjects;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Which subjects the streams store, as this node has applied the meta log: rebuilt when the stream list changes
 * (the meta group hands out the same list until then), read on a publisher's thread without locks.
 */
final class StreamSubjects {

    private record Built(List<StreamAssignment> source, String[] filters) {
    }

    private final Supplier<List<StreamAssignment>> streams;
    private volatile Built built = new Built(List.of(), new String[0]);

    StreamSubjects(Supplier<List<StreamAssignment>> streams) {
        this.streams = streams;
    }

    /** Whether a published subject is stored by some stream. */
    boolean stored(String subject) {
        List<StreamAssignment> now = streams.get();
        Built b = built;
        if (b.source() != now) {
            List<String> filters = new ArrayList<>();
            for (StreamAssignment a : now) {
                filters.addAll(LedStream.subjects(a));
            }
            b = new Built(now, filters.toArray(String[]::new));
            built = b;
        }
        for (String f : b.filters()) {
            if (Subjects.matches(f, subject)) {
                return true;
            }
        }
        return false;
    }
}
