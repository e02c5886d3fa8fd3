package io.jetraft.server.util;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON text as Go's encoding/json writes it, so that monitoring output reads (and greps) as nats-server's does:
 * {@link #indent} is {@code json.MarshalIndent(v, "", "  ")} ({@code "key": value}, two spaces a level, {@code []}
 * and {@code {}} when empty, no final newline), {@link #compact} is {@code json.Marshal}. Strings are escaped as Go
 * escapes them: {@code <}, {@code >}, {@code &}, U+2028, U+2029 and control characters become six-character
 * unicode escapes (so a subject {@code orders.>} reads {@code orders.} backslash {@code u003e}, as in nats-server's
 * output); floating-point numbers are printed as Go prints a float64 ({@code 0}, {@code 12.5}, {@code 1e+21}).
 */
public final class GoJson {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private GoJson() {
    }

    /** {@code json.MarshalIndent(v, "", "  ")}. */
    public static String indent(JsonNode node) {
        StringBuilder out = new StringBuilder(1024);
        write(out, node, 0, true);
        return out.toString();
    }

    /** {@code json.Marshal(v)}. */
    public static String compact(JsonNode node) {
        StringBuilder out = new StringBuilder(256);
        write(out, node, 0, false);
        return out.toString();
    }

    private static void write(StringBuilder out, JsonNode node, int depth, boolean pretty) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            out.append("null");
        } else if (node.isObject()) {
            writeObject(out, node, depth, pretty);
        } else if (node.isArray()) {
            writeArray(out, node, depth, pretty);
        } else if (node.isTextual()) {
            string(out, node.textValue());
        } else if (node.isBoolean()) {
            out.append(node.booleanValue());
        } else if (node.isFloatingPointNumber()) {
            out.append(node.isBigDecimal() ? node.decimalValue().toPlainString() : float64(node.doubleValue()));
        } else if (node.isNumber()) {
            out.append(node.bigIntegerValue());
        } else if (node.isBinary()) {
            string(out, node.asText());
        } else {
            out.append(node.asText());
        }
    }

    private static void writeObject(StringBuilder out, JsonNode node, int depth, boolean pretty) {
        if (node.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append('{');
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        boolean first = true;
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (!first) {
                out.append(',');
            }
            first = false;
            newline(out, depth + 1, pretty);
            string(out, f.getKey());
            out.append(pretty ? ": " : ":");
            write(out, f.getValue(), depth + 1, pretty);
        }
        newline(out, depth, pretty);
        out.append('}');
    }

    private static void writeArray(StringBuilder out, JsonNode node, int depth, boolean pretty) {
        if (node.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        for (int i = 0; i < node.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            newline(out, depth + 1, pretty);
            write(out, node.get(i), depth + 1, pretty);
        }
        newline(out, depth, pretty);
        out.append(']');
    }

    private static void newline(StringBuilder out, int depth, boolean pretty) {
        if (pretty) {
            out.append('\n');
            out.append("  ".repeat(depth));
        }
    }

    /** Go's encodeState.string with HTML escaping on (the default of json.Marshal). */
    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '<', '>', '&', '\u2028', '\u2029' -> unicode(out, c);
                default -> {
                    if (c < 0x20) {
                        unicode(out, c);
                    } else if (Character.isSurrogate(c)) {
                        // a lone surrogate is invalid UTF-8 to Go, which writes the replacement character instead
                        if (Character.isHighSurrogate(c) && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1))) {
                            out.append(c).append(s.charAt(++i));
                        } else {
                            out.append("\\ufffd");
                        }
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void unicode(StringBuilder out, char c) {
        out.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF]).append(HEX[(c >> 4) & 0xF])
                .append(HEX[c & 0xF]);
    }

    /** Go's floatEncoder for float64: plain digits unless tiny or huge, then 1e+21 / 1.5e-7. */
    static String float64(double f) {
        if (Double.isNaN(f) || Double.isInfinite(f)) {
            // Go refuses to marshal these at all; a monitoring field that is not a number reads as 0
            return "0";
        }
        if (f == 0) {
            return "0";
        }
        double abs = Math.abs(f);
        BigDecimal exact = new BigDecimal(Double.toString(f)).stripTrailingZeros();
        if (abs >= 1e-6 && abs < 1e21) {
            return exact.toPlainString();
        }
        String digits = exact.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - exact.scale();
        StringBuilder e = new StringBuilder();
        if (f < 0) {
            e.append('-');
        }
        e.append(digits.charAt(0));
        if (digits.length() > 1) {
            e.append('.').append(digits, 1, digits.length());
        }
        e.append('e').append(exponent < 0 ? '-' : '+').append(Math.abs(exponent));
        return e.toString();
    }
}
