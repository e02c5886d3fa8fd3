package io.jetraft.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Values given on the command line, keyed by their config-file path ({@code port}, {@code cluster.name},
 * {@code jetstream.store_dir}); they win over the file. Values are strings as typed by the user, or Booleans,
 * and are checked exactly like the same key in a file.
 */
public record ConfigOverrides(Map<String, Object> values) {

    public ConfigOverrides {
        values = Map.copyOf(values);
    }

    public static ConfigOverrides none() {
        return new ConfigOverrides(Map.of());
    }

    /** Builds overrides in the order flags were given. */
    public static final class Builder {
        private final Map<String, Object> values = new LinkedHashMap<>();

        public Builder put(String keyPath, Object value) {
            if (value != null) {
                values.put(keyPath, value);
            }
            return this;
        }

        public ConfigOverrides build() {
            return new ConfigOverrides(values);
        }
    }

    public static Builder builder() {
        return new Builder();
    }
}
