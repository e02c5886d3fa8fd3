package io.jetraft.server.jetstream.gojson;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a JSON body into a {@link GoType} as Go's json.Unmarshal does, so that jetraft refuses what nats-server
 * refuses, in Go's words: the syntax is checked first; a value of the wrong type is skipped and the first such error is
 * reported at the end (a type's own UnmarshalJSON error stops at once); null leaves a scalar alone and sets a pointer,
 * slice or map to nil; keys match fields exactly or case-insensitively; unknown keys are kept as they are.
 *
 * <p>The result is the body as a JSON tree with every known field under its JSON name, enum values in their canonical
 * spelling and nil values removed, so that code reading it may trust each field's type.
 */
public final class GoJsonDecoder {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String text;
    private final JsonParser parser;
    private GoJsonException firstTypeError;

    private GoJsonDecoder(String text, JsonParser parser) {
        this.text = text;
        this.parser = parser;
    }

    /**
     * @param body the request body (null or empty is Go's "unexpected end of JSON input")
     * @return the decoded value; for a struct an object (a JSON null decodes to an empty one, as in Go)
     */
    public static JsonNode decode(byte[] body, GoType type) throws GoJsonException {
        String text = body == null ? "" : new String(body, StandardCharsets.UTF_8);
        checkSyntax(text);
        try (JsonParser p = JSON.createParser(text)) {
            p.nextToken();
            GoJsonDecoder d = new GoJsonDecoder(text, p);
            JsonNode out = d.value(type, Context.ROOT);
            if (d.firstTypeError != null) {
                throw d.firstTypeError;
            }
            if (out == null || out.isNull()) {
                return type instanceof GoType.Struct ? JSON.createObjectNode() : NullNode.getInstance();
            }
            return out;
        } catch (IOException e) {
            throw GoJsonException.of(e.getMessage()); // the text was read once already: not expected
        }
    }

    /** Go's checkValid: one JSON value and nothing after it but white space. */
    private static void checkSyntax(String text) throws GoJsonException {
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() == null) {
                throw GoJsonException.of("unexpected end of JSON input");
            }
            p.skipChildren();
            p.finishToken();
            for (int i = (int) p.currentLocation().getCharOffset(); i < text.length(); i++) {
                char c = text.charAt(i);
                if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                    throw GoJsonException.of("invalid character " + GoQuoting.character(c)
                            + " after top-level value");
                }
            }
        } catch (JsonProcessingException e) {
            // other syntax errors keep Jackson's words: Go's scanner phrases them differently
            boolean truncated = e instanceof JsonEOFException || e.getOriginalMessage().contains("end-of-input");
            throw GoJsonException.of(truncated ? "unexpected end of JSON input" : e.getOriginalMessage());
        } catch (IOException e) {
            throw GoJsonException.of(e.getMessage());
        }
    }

    /** The value at the current token; null when it has no effect (Go leaves the target as it was). */
    private JsonNode value(GoType type, Context ctx) throws IOException, GoJsonException {
        JsonToken t = parser.currentToken();
        if (type instanceof GoType.Pointer ptr) {
            return t == JsonToken.VALUE_NULL ? NullNode.getInstance() : value(ptr.elem(), ctx);
        }
        if (type instanceof GoType.Custom custom) {
            return custom(custom, ctx);
        }
        if (t == JsonToken.VALUE_NULL) {
            return type instanceof GoType.Slice || type instanceof GoType.StringMap ? NullNode.getInstance() : null;
        }
        if (type instanceof GoType.Struct s && t == JsonToken.START_OBJECT) {
            return struct(s, ctx);
        }
        if (type instanceof GoType.StringMap m && t == JsonToken.START_OBJECT) {
            return map(m, ctx);
        }
        if (type instanceof GoType.Slice s && t == JsonToken.START_ARRAY) {
            return slice(s, ctx);
        }
        if (type instanceof GoType.Scalar s) {
            JsonNode v = scalar(s, t);
            if (v != null) {
                return v;
            }
        }
        mismatch(describe(type, t), type, ctx);
        parser.skipChildren();
        return null;
    }

    private JsonNode scalar(GoType.Scalar s, JsonToken t) throws IOException {
        return switch (s.kind()) {
            case STRING -> t == JsonToken.VALUE_STRING ? TextNode.valueOf(parser.getText()) : null;
            case BOOL -> t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE
                    ? BooleanNode.valueOf(t == JsonToken.VALUE_TRUE) : null;
            case INT, UINT -> t == JsonToken.VALUE_NUMBER_INT ? integer(s, parser.getText()) : null;
        };
    }

    /** strconv.ParseInt / ParseUint and the width check; null when Go refuses the number ("number 1.5"). */
    private static JsonNode integer(GoType.Scalar s, String digits) {
        BigInteger v = new BigInteger(digits);
        BigInteger min;
        BigInteger max;
        if (s.kind() == GoType.Scalar.Kind.UINT) {
            if (digits.startsWith("-")) {
                return null; // ParseUint takes no sign, not even "-0"
            }
            min = BigInteger.ZERO;
            max = BigInteger.ONE.shiftLeft(s.bits()).subtract(BigInteger.ONE);
        } else {
            min = BigInteger.ONE.shiftLeft(s.bits() - 1).negate();
            max = BigInteger.ONE.shiftLeft(s.bits() - 1).subtract(BigInteger.ONE);
        }
        if (v.compareTo(min) < 0 || v.compareTo(max) > 0) {
            return null;
        }
        return v.bitLength() < 64 ? LongNode.valueOf(v.longValue()) : BigIntegerNode.valueOf(v);
    }

    private JsonNode struct(GoType.Struct s, Context ctx) throws IOException, GoJsonException {
        ObjectNode out = JSON.createObjectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            parser.nextToken();
            GoType.Field f = s.field(key);
            if (f == null) {
                out.set(key, tree());
                continue;
            }
            JsonNode v = value(f.type(), ctx.field(s, f));
            if (v == null) {
                continue;
            }
            if (v.isNull()) {
                out.remove(f.json());
            } else {
                out.set(f.json(), v);
            }
        }
        return out;
    }

    /** Map entries and slice elements do not add to the error's field path (Go's neither). */
    private JsonNode map(GoType.StringMap m, Context ctx) throws IOException, GoJsonException {
        ObjectNode out = JSON.createObjectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            parser.nextToken();
            JsonNode v = value(m.elem(), ctx);
            out.set(key, v == null ? zero(m.elem()) : v);
        }
        return out;
    }

    private JsonNode slice(GoType.Slice s, Context ctx) throws IOException, GoJsonException {
        ArrayNode out = JSON.createArrayNode();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            JsonNode v = value(s.elem(), ctx);
            out.add(v == null ? zero(s.elem()) : v);
        }
        return out;
    }

    /** A type's own UnmarshalJSON gets the raw text; its UnmarshalTypeError is completed with the field (as Go's). */
    private JsonNode custom(GoType.Custom custom, Context ctx) throws IOException, GoJsonException {
        int start = (int) parser.currentTokenLocation().getCharOffset();
        JsonNode v = tree();
        String raw = text.substring(start, (int) parser.currentLocation().getCharOffset());
        try {
            return custom.unmarshaler().unmarshal(raw, v);
        } catch (GoJsonException e) {
            throw e.isTypeError() ? ctx.typeError(e.value(), e.type()) : e;
        }
    }

    private JsonNode tree() throws IOException {
        JsonNode v = parser.readValueAsTree();
        return v == null ? NullNode.getInstance() : v;
    }

    private void mismatch(String value, GoType type, Context ctx) {
        if (firstTypeError == null) {
            firstTypeError = ctx.typeError(value, type.name());
        }
    }

    /** How Go's UnmarshalTypeError describes a JSON value: a number it cannot parse or fit shows its text. */
    private String describe(GoType type, JsonToken t) throws IOException {
        if (t.isNumeric() && type instanceof GoType.Scalar s
                && (s.kind() == GoType.Scalar.Kind.INT || s.kind() == GoType.Scalar.Kind.UINT)) {
            return "number " + parser.getText();
        }
        return switch (t) {
            case START_OBJECT -> "object";
            case START_ARRAY -> "array";
            case VALUE_STRING -> "string";
            case VALUE_TRUE, VALUE_FALSE -> "bool";
            default -> "number";
        };
    }

    /** The Go zero value a null or refused element leaves in a slice or map. */
    private static JsonNode zero(GoType type) {
        if (type instanceof GoType.Scalar s) {
            return switch (s.kind()) {
                case STRING -> TextNode.valueOf("");
                case BOOL -> BooleanNode.FALSE;
                case INT, UINT -> LongNode.valueOf(0);
            };
        }
        return type instanceof GoType.Struct ? JSON.createObjectNode() : NullNode.getInstance();
    }

    /** Go's error context: the innermost struct being decoded and the field path from the root. */
    private record Context(String struct, List<String> path) {

        static final Context ROOT = new Context(null, List.of());

        Context field(GoType.Struct s, GoType.Field f) {
            List<String> p = new ArrayList<>(path);
            p.addAll(f.embeddedIn());
            p.add(f.json());
            return new Context(s.simpleName(), List.copyOf(p));
        }

        GoJsonException typeError(String value, String type) {
            return struct == null ? GoJsonException.typeError(value, type)
                    : GoJsonException.typeError(value, type, struct, String.join(".", path));
        }
    }
}
