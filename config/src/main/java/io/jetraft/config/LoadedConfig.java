package io.jetraft.config;

import java.util.List;

/** A validated configuration and the warnings found while reading it (unknown keys, discouraged values). */
public record LoadedConfig(ServerConfig config, List<String> warnings) {

    public LoadedConfig {
        warnings = List.copyOf(warnings);
    }
}
