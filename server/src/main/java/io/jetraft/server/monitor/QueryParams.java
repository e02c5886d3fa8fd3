package io.jetraft.server.monitor;

import java.util.List;
import java.util.Map;

/** Reads monitoring query parameters the way nats-server does (Go's strconv rules for booleans and integers). */
final class QueryParams {

    private final Map<String, List<String>> query;

    QueryParams(Map<String, List<String>> query) {
        this.query = query;
    }

    String string(String name, String fallback) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? fallback : v.get(0);
    }

    /** Go's strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False. */
    boolean bool(String name, boolean fallback) {
        String v = string(name, null);
        if (v == null || v.isEmpty()) {
            return fallback;
        }
        return switch (v) {
            case "1", "t", "T", "TRUE", "true", "True" -> true;
            case "0", "f", "F", "FALSE", "false", "False" -> false;
            default -> throw new BadQueryException("Error decoding boolean for '" + name
                    + "': strconv.ParseBool: parsing \"" + v + "\": invalid syntax");
        };
    }

    int integer(String name, int fallback) {
        String v = string(name, null);
        if (v == null || v.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new BadQueryException("Error decoding integer for '" + name + "': strconv.Atoi: parsing \""
                    + v + "\": invalid syntax");
        }
    }

    /** A query parameter nats-server would refuse with HTTP 400. */
    static final class BadQueryException extends RuntimeException {
        BadQueryException(String message) {
            super(message);
        }
    }
}
