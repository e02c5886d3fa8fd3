package io.jetraft.server.client;

import io.jetraft.server.dispatch.Dispatcher;
import io.jetraft.server.node.LiveConfig;
import io.jetraft.server.node.ServerStats;
import io.jetraft.server.subject.InterestListener;
import io.jetraft.server.subject.SubjectIndex;
import java.util.function.Supplier;

/** What every client connection of a node shares. */
public record ClientContext(
        LiveConfig config,
        ServerStats stats,
        SubjectIndex index,
        ClientRegistry registry,
        Dispatcher dispatcher,
        InfoFactory info,
        Supplier<InterestListener> interest) {

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
