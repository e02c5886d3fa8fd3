package io.jetraft.config;

import java.util.List;

/** A validated configuration and the warnings found while reading it (discouraged values, old forms). */
public record LoadedConfig(ServerConfig config, List<String> warnings) {

    public LoadedConfig {
        warnings = List.copyOf(warnings);
    }
}
