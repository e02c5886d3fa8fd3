package io.jetraft.storage;

import java.util.List;

/**
 * The part of a consumer's configuration the store needs: how acknowledgements work, how often a message may be
 * delivered (-1 or 0: no limit), and which subjects it wants (empty: all); the filters decide which consumers keep a
 * message of an interest-retention stream.
 */
public record ConsumerConfig(AckPolicy ackPolicy, int maxDeliver, List<String> filterSubjects) {

    public enum AckPolicy { NONE, ALL, EXPLICIT }

    public ConsumerConfig {
        ackPolicy = ackPolicy == null ? AckPolicy.EXPLICIT : ackPolicy;
        filterSubjects = filterSubjects == null ? List.of() : List.copyOf(filterSubjects);
    }

    public static ConsumerConfig explicitAck() {
        return new ConsumerConfig(AckPolicy.EXPLICIT, -1, List.of());
    }

    boolean wants(String subject) {
        if (filterSubjects.isEmpty()) {
            return true;
        }
        for (String f : filterSubjects) {
            if (SubjectFilter.of(f).matches(subject)) {
                return true;
            }
        }
        return false;
    }
}
