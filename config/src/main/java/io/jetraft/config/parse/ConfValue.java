package io.jetraft.config.parse;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A value read from a config file, with where it was written. Typed meaning is given later, by the key it is for. */
public sealed interface ConfValue {

    Position position();

    /** A short name of the kind of value, for error messages. */
    String kind();

    /** The text of a quoted or unquoted scalar; null for blocks and arrays. */
    default String scalarText() {
        if (this instanceof Text t) {
            return t.value();
        }
        if (this instanceof Raw r) {
            return r.text();
        }
        return null;
    }

    /** A quoted string: always text. */
    record Text(String value, Position position) implements ConfValue {
        @Override
        public String kind() {
            return "string";
        }
    }

    /**
     * An unquoted token (a number, size, duration, boolean word, host:port, URL or plain word): its meaning depends
     * on the key, so {@code 2m} is two minutes for a duration and two million for a size, as nats-server reads it.
     */
    record Raw(String text, Position position) implements ConfValue {
        @Override
        public String kind() {
            return "unquoted value '" + text + "'";
        }
    }

    /**
     * A block {@code { key: value ... }}, keys in the order written (a repeated key keeps its last value), and which
     * of its keys were referenced as {@code $VARIABLE}s: nats-server treats those as variables, not as fields.
     */
    record Block(Map<String, Entry> entries, Position position, Set<String> usedAsVariables) implements ConfValue {
        public Block {
            entries = new LinkedHashMap<>(entries);
            usedAsVariables = Set.copyOf(usedAsVariables);
        }

        public Block(Map<String, Entry> entries, Position position) {
            this(entries, position, Set.of());
        }

        @Override
        public String kind() {
            return "block";
        }
    }

    /** An array {@code [a, b, c]}. */
    record Array(List<ConfValue> items, Position position) implements ConfValue {
        public Array {
            items = List.copyOf(items);
        }

        @Override
        public String kind() {
            return "array";
        }
    }

    /** One key of a block, where the key was written, and its value. */
    record Entry(String key, Position keyPosition, ConfValue value) {
    }
}
