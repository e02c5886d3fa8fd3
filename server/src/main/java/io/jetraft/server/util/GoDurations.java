package io.jetraft.server.util;

import java.time.Duration;

/** Durations written the way nats-server writes them in JSON and logs (Go's time.Duration and myUptime). */
public final class GoDurations {

    private GoDurations() {
    }

    /** Go's {@code time.Duration.String()}: "0s", "1.5ms", "250µs", "1h2m3.5s". */
    public static String format(Duration d) {
        long nanos = d.toNanos();
        if (nanos == 0) {
            return "0s";
        }
        boolean negative = nanos < 0;
        long u = Math.abs(nanos);
        StringBuilder sb = new StringBuilder();
        if (u < 1_000_000_000L) {
            if (u < 1_000L) {
                sb.append(u).append("ns");
            } else if (u < 1_000_000L) {
                sb.append(fraction(u, 1_000L)).append("µs");
            } else {
                sb.append(fraction(u, 1_000_000L)).append("ms");
            }
        } else {
            long hours = u / 3_600_000_000_000L;
            long rem = u % 3_600_000_000_000L;
            long minutes = rem / 60_000_000_000L;
            rem = rem % 60_000_000_000L;
            if (hours > 0) {
                sb.append(hours).append('h');
            }
            if (hours > 0 || minutes > 0) {
                sb.append(minutes).append('m');
            }
            sb.append(fraction(rem, 1_000_000_000L)).append('s');
        }
        return negative ? "-" + sb : sb.toString();
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

    private static String fraction(long value, long unit) {
        long whole = value / unit;
        long frac = value % unit;
        if (frac == 0) {
            return Long.toString(whole);
        }
        int digits = Long.toString(unit).length() - 1;
        StringBuilder f = new StringBuilder(Long.toString(frac));
        while (f.length() < digits) {
            f.insert(0, '0');
        }
        int end = f.length();
        while (end > 0 && f.charAt(end - 1) == '0') {
            end--;
        }
        return whole + "." + f.substring(0, end);
    }
}
