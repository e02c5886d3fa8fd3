package io.jetraft.config;

import java.time.Duration;

/** Go's duration syntax ({@code 300ms}, {@code 1.5h}, {@code 2h45m}) as nats-server reads it, and Go's way of writing one. */
public final class GoDuration {

    private GoDuration() {
    }

    /**
     * Parses a Go duration: a sequence of decimal numbers, each with an optional fraction and a unit
     * (ns, us, µs, ms, s, m, h); "0" alone is zero.
     *
     * @throws IllegalArgumentException when it is not one
     */
    public static Duration parse(String text) {
        String s = text.trim();
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("invalid duration \"\"");
        }
        boolean negative = false;
        int i = 0;
        if (s.charAt(0) == '-' || s.charAt(0) == '+') {
            negative = s.charAt(0) == '-';
            i++;
        }
        if (i == s.length()) {
            throw new IllegalArgumentException("invalid duration \"" + text + "\"");
        }
        double totalNanos = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            if (start == i) {
                throw new IllegalArgumentException("invalid duration \"" + text + "\"");
            }
            double number;
            try {
                number = Double.parseDouble(s.substring(start, i));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid duration \"" + text + "\"");
            }
            int unitStart = i;
            while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
                i++;
            }
            String unit = s.substring(unitStart, i);
            long scale = switch (unit) {
                case "ns" -> 1L;
                case "us", "µs", "μs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                case "" -> throw new IllegalArgumentException("missing unit in duration \"" + text + "\"");
                default -> throw new IllegalArgumentException("unknown unit \"" + unit + "\" in duration \""
                        + text + "\"");
            };
            totalNanos += number * scale;
        }
        if (totalNanos > Long.MAX_VALUE) {
            throw new IllegalArgumentException("invalid duration \"" + text + "\": too large");
        }
        long nanos = Math.round(totalNanos);
        return Duration.ofNanos(negative ? -nanos : nanos);
    }

    /** Writes a duration as Go's time.Duration.String() does: "10s", "2m0s", "1h30m0s", "1.5s", "500ms". */
    public static String format(Duration d) {
        long nanos = d.toNanos();
        if (nanos == 0) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        if (nanos < 0) {
            sb.append('-');
            nanos = -nanos;
        }
        if (nanos < 1_000_000_000L) {
            if (nanos < 1_000L) {
                return sb.append(nanos).append("ns").toString();
            } else if (nanos < 1_000_000L) {
                return sb.append(fraction(nanos, 1_000L)).append("µs").toString();
            }
            return sb.append(fraction(nanos, 1_000_000L)).append("ms").toString();
        }
        long hours = nanos / 3_600_000_000_000L;
        long rest = nanos % 3_600_000_000_000L;
        long minutes = rest / 60_000_000_000L;
        rest %= 60_000_000_000L;
        if (hours > 0) {
            sb.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            sb.append(minutes).append('m');
        }
        return sb.append(fraction(rest, 1_000_000_000L)).append('s').toString();
    }

    private static String fraction(long value, long unit) {
        long whole = value / unit;
        long frac = value % unit;
        if (frac == 0) {
            return Long.toString(whole);
        }
        String digits = Long.toString(unit + frac).substring(1);
        int end = digits.length();
        while (digits.charAt(end - 1) == '0') {
            end--;
        }
        return whole + "." + digits.substring(0, end);
    }
}
