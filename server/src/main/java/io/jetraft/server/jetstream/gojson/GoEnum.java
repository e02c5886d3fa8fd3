package io.jetraft.server.jetstream.gojson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The UnmarshalJSON of a nats-server enum (RetentionPolicy, AckPolicy, ...): the value must be one of its spellings,
 * else the method's own error. Each is one of two kinds, as nats-server writes them: one compares the raw JSON text
 * (so {@code "limits"} with its quotes, and a number or an object is refused by the same error), the other first
 * decodes a Go string (so a number is Go's type error for a string).
 */
public final class GoEnum implements GoUnmarshaler {

    private final boolean raw;
    private final boolean lowerCase;
    private final Map<String, String> canonical;
    private final UnaryOperator<String> refusal;

    private GoEnum(boolean raw, boolean lowerCase, Map<String, String> canonical, UnaryOperator<String> refusal) {
        this.raw = raw;
        this.lowerCase = lowerCase;
        this.canonical = Map.copyOf(canonical);
        this.refusal = refusal;
    }

    /**
     * Compares the raw JSON text with {@code switch string(data)}.
     *
     * @param canonical each accepted spelling (without quotes) and the one jetraft keeps for it
     * @param refusal the error text for a refused raw value
     */
    public static GoType raw(String goName, Map<String, String> canonical, UnaryOperator<String> refusal) {
        return new GoType.Custom(goName, new GoEnum(true, false, canonical, refusal));
    }

    /** As {@link #raw}, on {@code strings.ToLower(string(data))}. */
    public static GoType rawIgnoringCase(String goName, Map<String, String> canonical,
                                         UnaryOperator<String> refusal) {
        return new GoType.Custom(goName, new GoEnum(true, true, canonical, refusal));
    }

    /** json.Unmarshal into a string first (null is the empty string), then compares it. */
    public static GoType string(String goName, Map<String, String> canonical, UnaryOperator<String> refusal) {
        return new GoType.Custom(goName, new GoEnum(false, false, canonical, refusal));
    }

    /** nats-server's usual refusal: {@code fmt.Errorf("can not unmarshal %q", data)}. */
    public static String cannotUnmarshal(String raw) {
        return "can not unmarshal " + GoQuoting.strconv(raw);
    }

    @Override
    public JsonNode unmarshal(String rawText, JsonNode value) throws GoJsonException {
        String key;
        if (raw) {
            String text = lowerCase ? rawText.toLowerCase(Locale.ROOT) : rawText;
            key = text.length() >= 2 && text.startsWith("\"") && text.endsWith("\"")
                    ? text.substring(1, text.length() - 1) : null;
            // a spelling is matched on the raw text: an escaped one ("limit\u0073") is not the same
            if (key != null && key.contains("\\")) {
                key = null;
            }
        } else if (value.isTextual() || value.isNull()) {
            key = value.isNull() ? "" : value.asText();
        } else {
            throw GoJsonException.typeError(value.isObject() ? "object" : value.isArray() ? "array"
                    : value.isBoolean() ? "bool" : "number", "string");
        }
        String kept = key == null ? null : canonical.get(key);
        if (kept == null) {
            throw GoJsonException.of(refusal.apply(rawText));
        }
        return TextNode.valueOf(kept);
    }
}
