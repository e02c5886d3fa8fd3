package io.jetraft.storage;

/**
 * A purge as {@code $JS.API.STREAM.PURGE} takes it: an optional subject {@code filter} (null, empty or {@code >} for
 * all), {@code seq} (purge everything below this sequence; 0 for none) and {@code keep} (keep the newest N matching
 * messages; 0 for none). {@code seq} and {@code keep} together are refused, as in nats-server.
 */
public record PurgeRequest(String filter, long seq, long keep) {

    public PurgeRequest {
        if (seq < 0 || keep < 0) {
            throw new IllegalArgumentException("seq and keep cannot be negative");
        }
        filter = filter == null || filter.isEmpty() ? null : filter;
    }

    public static PurgeRequest all() {
        return new PurgeRequest(null, 0, 0);
    }

    public static PurgeRequest subject(String filter) {
        return new PurgeRequest(filter, 0, 0);
    }

    public static PurgeRequest upTo(long seq) {
        return new PurgeRequest(null, seq, 0);
    }

    public static PurgeRequest keep(long keep) {
        return new PurgeRequest(null, 0, keep);
    }
}
