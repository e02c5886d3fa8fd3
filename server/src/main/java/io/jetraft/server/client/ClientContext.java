package io.jetraft.server.client;

import io.jetraft.server.dispatch.Dispatcher;
import io.jetraft.server.node.LiveConfig;
import io.jetraft.server.node.ServerStats;
import io.jetraft.server.subject.SubjectIndex;

/** What every client connection of a node shares. */
public record ClientContext(
        LiveConfig config,
        ServerStats stats,
        SubjectIndex index,
        ClientRegistry registry,
        Dispatcher dispatcher,
        InfoFactory info) {
}
