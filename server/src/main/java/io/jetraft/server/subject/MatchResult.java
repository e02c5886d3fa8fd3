package io.jetraft.server.subject;

import java.util.List;

/**
 * The subscriptions one literal subject reaches: every plain subscription, and per queue group the members of which
 * exactly one gets each message. Immutable; shared through the match cache.
 */
public final class MatchResult {

    static final MatchResult EMPTY = new MatchResult(new Subscription[0], new Subscription[0][]);

    private final Subscription[] plain;
    private final Subscription[][] queueGroups;

    MatchResult(Subscription[] plain, Subscription[][] queueGroups) {
        this.plain = plain;
        this.queueGroups = queueGroups;
    }

    public Subscription[] plain() {
        return plain;
    }

    /** One array per queue group name, each holding that group's members. */
    public Subscription[][] queueGroups() {
        return queueGroups;
    }

    public boolean isEmpty() {
        return plain.length == 0 && queueGroups.length == 0;
    }

    public List<Subscription> plainList() {
        return List.of(plain);
    }
}
