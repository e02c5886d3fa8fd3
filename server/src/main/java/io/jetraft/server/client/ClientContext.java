package io.jetraft.server.client;

import io.jetraft.server.dispatch.Dispatcher;
import io.jetraft.server.node.LiveConfig;
import io.jetraft.server.node.ServerStats;
import io.jetraft.server.subject.InterestListener;
import io.jetraft.server.subject.SubjectIndex;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What every client connection of a node shares; {@code streamSubject} tells whether a subject is stored by a stream
 * this node knows of (a publish to it that reaches no one is held a moment: see {@link HeldPublishes}).
 */
public record ClientContext(
        LiveConfig config,
        ServerStats stats,
        SubjectIndex index,
        ClientRegistry registry,
        Dispatcher dispatcher,
        InfoFactory info,
        Supplier<InterestListener> interest,
        Predicate<String> streamSubject) {

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
