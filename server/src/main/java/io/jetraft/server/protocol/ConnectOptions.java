package io.jetraft.server.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What a client said in CONNECT. Absent fields keep nats-server's defaults (verbose, pedantic and echo are on until
 * a client turns them off), so {@link #DEFAULTS} also governs a client that never sends CONNECT.
 */
public record ConnectOptions(
        boolean verbose,
        boolean pedantic,
        boolean echo,
        boolean headers,
        boolean noResponders,
        int protocol,
        String name,
        String lang,
        String version) {

    public static final ConnectOptions DEFAULTS =
            new ConnectOptions(true, true, true, false, false, 0, "", "", "");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Reads a CONNECT body over the defaults.
     *
     * @throws IllegalArgumentException when the body is not a JSON object or a field has the wrong type (the
     *         connection is then closed, as nats-server closes it)
     */
    public static ConnectOptions parse(String json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("CONNECT expects a JSON object, got: " + abbreviate(json));
        }
        return new ConnectOptions(
                bool(node, "verbose", DEFAULTS.verbose),
                bool(node, "pedantic", DEFAULTS.pedantic),
                bool(node, "echo", DEFAULTS.echo),
                bool(node, "headers", DEFAULTS.headers),
                bool(node, "no_responders", DEFAULTS.noResponders),
                integer(node, "protocol", DEFAULTS.protocol),
                text(node, "name"),
                text(node, "lang"),
                text(node, "version"));
    }

    private static boolean bool(JsonNode node, String field, boolean fallback) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException("cannot unmarshal " + v.getNodeType().name().toLowerCase()
                    + " into field " + field + " of type bool");
        }
        return v.booleanValue();
    }

    private static int integer(JsonNode node, String field, int fallback) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException("cannot unmarshal " + v.getNodeType().name().toLowerCase()
                    + " into field " + field + " of type int");
        }
        return v.intValue();
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("cannot unmarshal " + v.getNodeType().name().toLowerCase()
                    + " into field " + field + " of type string");
        }
        return v.textValue();
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
