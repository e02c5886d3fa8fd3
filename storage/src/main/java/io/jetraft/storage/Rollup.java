package io.jetraft.storage;

import java.nio.charset.StandardCharsets;

/**
 * A {@code Nats-Rollup} header on an appended message: {@code sub} removes every earlier message of its subject,
 * {@code all} every earlier message of the stream, in the same write as the append (how key/value purges work).
 */
public enum Rollup {
    NONE,
    SUBJECT,
    ALL;

    private static final String HEADER = "Nats-Rollup:";

    /** The rollup a header block asks for (NONE when it asks for none, or for an unknown kind). */
    public static Rollup of(byte[] headers) {
        if (headers == null || headers.length < HEADER.length()) {
            return NONE;
        }
        String text = new String(headers, StandardCharsets.UTF_8);
        int at = text.indexOf("\r\n" + HEADER);
        if (at < 0) {
            return NONE;
        }
        int start = at + 2 + HEADER.length();
        int end = text.indexOf("\r\n", start);
        String value = (end < 0 ? text.substring(start) : text.substring(start, end)).trim();
        return switch (value) {
            case "sub" -> SUBJECT;
            case "all" -> ALL;
            default -> NONE;
        };
    }
}
