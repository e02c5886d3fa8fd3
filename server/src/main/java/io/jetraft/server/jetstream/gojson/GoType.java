package io.jetraft.server.jetstream.gojson;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Go type that a JSON body is decoded into, described as far as Go's encoding/json needs it: its kind, and the name
 * Go prints in an error ({@code reflect.Type.String()}: {@code int64}, {@code []string}, {@code server.Placement}).
 */
public sealed interface GoType {

    GoType STRING = new Scalar("string", Scalar.Kind.STRING, 0);
    GoType BOOL = new Scalar("bool", Scalar.Kind.BOOL, 0);
    /** Go's int on a 64-bit server. */
    GoType INT = new Scalar("int", Scalar.Kind.INT, 64);
    GoType INT32 = new Scalar("int32", Scalar.Kind.INT, 32);
    GoType INT64 = new Scalar("int64", Scalar.Kind.INT, 64);
    GoType UINT64 = new Scalar("uint64", Scalar.Kind.UINT, 64);
    /** time.Duration: an int64 of nanoseconds in JSON. */
    GoType DURATION = new Scalar("time.Duration", Scalar.Kind.INT, 64);

    /** The name Go's errors print for this type. */
    String name();

    static GoType sliceOf(GoType elem) {
        return new Slice(elem);
    }

    static GoType mapOf(GoType elem) {
        return new StringMap(elem);
    }

    static GoType pointerTo(GoType elem) {
        return new Pointer(elem);
    }

    static Struct struct(String name, Field... fields) {
        return Struct.of(name, List.of(fields));
    }

    /** A struct that embeds another: the embedded one's fields (see {@link #embedded}) come first. */
    static Struct struct(String name, List<Field> promoted, Field... fields) {
        java.util.ArrayList<Field> all = new java.util.ArrayList<>(promoted);
        all.addAll(List.of(fields));
        return Struct.of(name, all);
    }

    static Field field(String json, GoType type) {
        return new Field(json, type, List.of());
    }

    /** The fields of an embedded struct, promoted into the one that embeds it (Go's anonymous fields). */
    static List<Field> embedded(String goFieldName, Field... fields) {
        return java.util.Arrays.stream(fields)
                .map(f -> new Field(f.json(), f.type(), prepend(goFieldName, f.embeddedIn())))
                .toList();
    }

    private static List<String> prepend(String head, List<String> tail) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>(tail.size() + 1);
        out.add(head);
        out.addAll(tail);
        return List.copyOf(out);
    }

    /** string, bool, a signed or unsigned integer of some width. */
    record Scalar(String name, Kind kind, int bits) implements GoType {
        public enum Kind { STRING, BOOL, INT, UINT }
    }

    record Slice(GoType elem) implements GoType {
        @Override
        public String name() {
            return "[]" + elem.name();
        }
    }

    /** map[string]T. */
    record StringMap(GoType elem) implements GoType {
        @Override
        public String name() {
            return "map[string]" + elem.name();
        }
    }

    /** *T: null sets it to nil; anything else decodes into T (and an error names T, as Go's does). */
    record Pointer(GoType elem) implements GoType {
        @Override
        public String name() {
            return "*" + elem.name();
        }
    }

    /**
     * A struct field: its JSON name, its type, and the Go names of the embedded structs it is promoted from (Go 1.24
     * and later print them in an error's field path).
     */
    record Field(String json, GoType type, List<String> embeddedIn) {
    }

    /**
     * A struct. Keys match a field's JSON name exactly or, failing that, case-insensitively (as Go matches them);
     * keys that match no field are kept as they are (Go ignores them).
     */
    record Struct(String name, Map<String, Field> byName, Map<String, Field> byFoldedName) implements GoType {

        public static Struct of(String name, List<Field> fields) {
            Map<String, Field> exact = new LinkedHashMap<>();
            Map<String, Field> folded = new HashMap<>();
            for (Field f : fields) {
                if (exact.put(f.json(), f) != null) {
                    throw new IllegalArgumentException(name + " declares field " + f.json() + " twice");
                }
                folded.putIfAbsent(f.json().toLowerCase(Locale.ROOT), f);
            }
            return new Struct(name, Map.copyOf(exact), Map.copyOf(folded));
        }

        /** The name without its package, as Go prints it before a field path ({@code StreamConfig}). */
        public String simpleName() {
            return name.substring(name.lastIndexOf('.') + 1);
        }

        Field field(String key) {
            Field f = byName.get(key);
            return f != null ? f : byFoldedName.get(key.toLowerCase(Locale.ROOT));
        }
    }

    /** A type with its own UnmarshalJSON (nats-server's policy enums, time.Time). */
    record Custom(String name, GoUnmarshaler unmarshaler) implements GoType {
    }
}
