package io.jetraft.server.util;

import java.time.Duration;

/** Durations written the way nats-server writes them in JSON and logs (Go's time.Duration and myUptime). */
public final class GoDurations {

    private GoDurations() {
    }

    /** Go's {@code time.Duration.String()}: "0s", "1.5ms", "1h2m3.5s". */
    public static String format(Duration d) {
        return io.jetraft.config.GoDuration.format(d);
    }

    /** nats-server's uptime form: whole seconds with days and years, "3d4h5m6s". */
    public static String uptime(Duration d) {
        long secs = Math.max(0, d.getSeconds());
        long mins = secs / 60;
        long hrs = mins / 60;
        long days = hrs / 24;
        long years = days / 365;
        if (years > 0) {
            return years + "y" + (days % 365) + "d" + (hrs % 24) + "h" + (mins % 60) + "m" + (secs % 60) + "s";
        }
        if (days > 0) {
            return days + "d" + (hrs % 24) + "h" + (mins % 60) + "m" + (secs % 60) + "s";
        }
        if (hrs > 0) {
            return hrs + "h" + (mins % 60) + "m" + (secs % 60) + "s";
        }
        if (mins > 0) {
            return mins + "m" + (secs % 60) + "s";
        }
        return secs + "s";
    }
}
