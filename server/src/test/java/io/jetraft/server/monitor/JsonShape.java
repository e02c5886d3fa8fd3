package io.jetraft.server.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The shape of a JSON document: every key by its path ({@code .jetstream.meta.replicas[].lag}) with the JSON types
 * found there. Array elements are merged into one shape ({@code []}), except in arrays whose elements are told
 * apart by their {@code "name"} ({@code .stream_detail[ORDERS].consumer_detail[PUSH]}); the keys of maps that
 * hold data (such as {@code http_req_stats}, keyed by path) are not part of the shape.
 */
final class JsonShape {

    /** Arrays whose elements are compared one by one, found by their "name". */
    private static final Set<String> NAMED_ARRAYS = Set.of("stream_detail", "consumer_detail");
    /** Objects whose keys are data, not field names. */
    private static final Set<String> DATA_MAPS = Set.of("http_req_stats");

    private final Map<String, Set<String>> types = new TreeMap<>();

    private JsonShape() {
    }

    static JsonShape of(JsonNode root) {
        JsonShape s = new JsonShape();
        s.walk("", "", root);
        return s;
    }

    private void walk(String path, String field, JsonNode node) {
        if (!path.isEmpty()) {
            types.computeIfAbsent(path, p -> new TreeSet<>()).add(type(node));
        }
        if (node.isObject() && !DATA_MAPS.contains(field)) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> f = it.next();
                walk(path + "." + f.getKey(), f.getKey(), f.getValue());
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                String key = NAMED_ARRAYS.contains(field) ? element.path("name").asText("?") : "";
                walk(path + "[" + key + "]", field, element);
            }
        }
    }

    private static String type(JsonNode n) {
        if (n.isNumber()) {
            return "number";
        }
        if (n.isTextual()) {
            return "string";
        }
        if (n.isBoolean()) {
            return "bool";
        }
        if (n.isObject()) {
            return "object";
        }
        if (n.isArray()) {
            return "array";
        }
        return "null";
    }

    /**
     * How {@code actual} falls short of this (expected) shape: keys missing from it, or with another type; then
     * keys it has beyond this shape. A rule of {@code mayLack} or {@code mayAdd} is a path or the end of one
     * ({@code .lag}) and covers everything under it.
     */
    List<String> differences(JsonShape actual, Map<String, String> mayLack, Map<String, String> mayAdd) {
        List<String> out = new ArrayList<>();
        types.forEach((path, expected) -> {
            Set<String> got = actual.types.get(path);
            if (got == null) {
                if (!covered(path, mayLack)) {
                    out.add("missing " + path + " (" + String.join("|", expected) + ")");
                }
            } else if (!got.equals(expected)) {
                out.add("type of " + path + ": " + String.join("|", got) + ", nats-server: "
                        + String.join("|", expected));
            }
        });
        actual.types.forEach((path, got) -> {
            if (!types.containsKey(path) && !covered(path, mayAdd)) {
                out.add("extra " + path + " (" + String.join("|", got) + ")");
            }
        });
        return out;
    }

    private static boolean covered(String path, Map<String, String> rules) {
        for (String rule : rules.keySet()) {
            int at = path.indexOf(rule);
            while (at >= 0) {
                int end = at + rule.length();
                boolean startsAtKey = at == 0 || rule.startsWith(".") || rule.startsWith("[");
                boolean endsAtKey = end == path.length() || path.charAt(end) == '.' || path.charAt(end) == '[';
                if (startsAtKey && endsAtKey) {
                    return true;
                }
                at = path.indexOf(rule, at + 1);
            }
        }
        return false;
    }
}
