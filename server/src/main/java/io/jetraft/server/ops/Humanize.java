package io.jetraft.server.ops;

import java.time.Duration;
import java.util.Locale;

/** Sizes and durations written the way natscli writes them in its tables. */
public final class Humanize {

    private Humanize() {
    }

    public static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    public static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.2fs", ms / 1000.0);
        }
        long s = d.getSeconds();
        return (s / 60) + "m" + (s % 60) + "s";
    }
}
