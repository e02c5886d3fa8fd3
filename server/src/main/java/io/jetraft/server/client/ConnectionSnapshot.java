package io.jetraft.server.client;

import java.time.Instant;
import java.util.List;

/** One connection as /connz shows it, open or closed (then {@code stop} and {@code reason} are set). */
public record ConnectionSnapshot(
        long cid,
        String ip,
        int port,
        Instant start,
        Instant lastActivity,
        long pendingBytes,
        long inMsgs,
        long outMsgs,
        long inBytes,
        long outBytes,
        int subscriptionCount,
        List<String> subscriptions,
        String name,
        String lang,
        String version,
        Instant stop,
        String reason) {

    public ConnectionSnapshot {
        subscriptions = List.copyOf(subscriptions);
    }
}
