package io.jetraft.server.client;

import io.jetraft.server.dispatch.Dispatcher;
import io.jetraft.server.node.LiveConfig;
import io.jetraft.server.node.ServerStats;
import io.jetraft.server.subject.InterestListener;
import io.jetraft.server.subject.SubjectIndex;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What every client connection of a node shares; {@code leaderSubject} tells whether a subject is taken by a stream or
 * consumer leader (a subject a stream this node knows of stores, a consumer ack): a publish to it that reaches no one
 * is held a moment, while that leader moves (see {@link HeldPublishes}); {@code departed} keeps the inboxes of
 * clients that left in lame-duck mode a moment longer.
 */
public record ClientContext(
        LiveConfig config,
        ServerStats stats,
        SubjectIndex index,
        ClientRegistry registry,
        Dispatcher dispatcher,
        InfoFactory info,
        Supplier<InterestListener> interest,
        Predicate<String> leaderSubject,
        DepartedInboxes departed) {

    /** Adds a client subscription to the index and tells the cluster. */
    public boolean subscribe(io.jetraft.server.subject.Subscription subscription) {
        if (!index.insert(subscription)) {
            return false;
        }
        interest.get().added(subscription);
        return true;
    }

    /** Removes a client subscription from the index and tells the cluster. */
    public void unsubscribe(io.jetraft.server.subject.Subscription subscription) {
        if (index.remove(subscription)) {
            interest.get().removed(subscription);
        }
    }
}
