package io.jetraft.server.route;

import java.time.Instant;
import java.util.List;

/** One route as /routez shows it. */
public record RouteSnapshot(
        long rid,
        String remoteId,
        String remoteName,
        boolean didSolicit,
        boolean isConfigured,
        String ip,
        int port,
        Instant start,
        Instant lastActivity,
        long pendingSize,
        long inMsgs,
        long outMsgs,
        long inBytes,
        long outBytes,
        List<String> subscriptions) {

    public RouteSnapshot {
        subscriptions = List.copyOf(subscriptions);
    }
}
