package io.jetraft.server.util;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Times written as Go's time.Time marshals to JSON in UTC (RFC 3339 with nanoseconds, trailing zeros of the fraction
 * dropped: {@code 2024-05-01T10:00:00.1234Z}), which is how nats-server prints every time in its monitoring JSON.
 */
public final class GoTimes {

    /** Go's zero time.Time, which nats-server prints for a time it does not have (an empty stream's first_ts). */
    public static final String ZERO = "0001-01-01T00:00:00Z";

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private GoTimes() {
    }

    /** RFC 3339 with the fraction Go's RFC3339Nano layout gives: up to nine digits, no trailing zeros. */
    public static String rfc3339Nano(Instant t) {
        StringBuilder out = new StringBuilder(30).append(SECONDS.format(t));
        int nanos = t.getNano();
        if (nanos != 0) {
            String fraction = String.format("%09d", nanos);
            int end = fraction.length();
            while (fraction.charAt(end - 1) == '0') {
                end--;
            }
            out.append('.').append(fraction, 0, end);
        }
        return out.append('Z').toString();
    }

    /** A time in nanoseconds since the epoch; 0 or less is Go's zero time, as nats-server prints it. */
    public static String rfc3339Nano(long epochNanos) {
        if (epochNanos <= 0) {
            return ZERO;
        }
        return rfc3339Nano(Instant.ofEpochSecond(epochNanos / 1_000_000_000L, epochNanos % 1_000_000_000L));
    }
}
