package io.jetraft.server.jetstream.gojson;

/**
 * A JSON body that Go's json.Unmarshal would refuse, with the text of Go's error (e.g. {@code json: cannot unmarshal
 * string into Go struct field StreamConfig.subjects of type []string}).
 */
public final class GoJsonException extends Exception {

    private final String value;
    private final String type;

    private GoJsonException(String text, String value, String type) {
        super(text, null, false, false);
        this.value = value;
        this.type = type;
    }

    /** An error in the words of the type that refused the value (an UnmarshalJSON method, a syntax error). */
    public static GoJsonException of(String text) {
        return new GoJsonException(text, null, null);
    }

    /**
     * Go's UnmarshalTypeError outside any struct ({@code value} as Go describes it: "string", "number -1", ...).
     */
    public static GoJsonException typeError(String value, String type) {
        return new GoJsonException("json: cannot unmarshal " + value + " into Go value of type " + type, value, type);
    }

    /** Go's UnmarshalTypeError for a struct field: the innermost struct's name and the JSON path from the root. */
    static GoJsonException typeError(String value, String type, String struct, String fieldPath) {
        return new GoJsonException("json: cannot unmarshal " + value + " into Go struct field " + struct + "."
                + fieldPath + " of type " + type, value, type);
    }

    /** Whether this is an UnmarshalTypeError, which Go completes with the field it was decoding. */
    boolean isTypeError() {
        return type != null;
    }

    String value() {
        return value;
    }

    String type() {
        return type;
    }
}
