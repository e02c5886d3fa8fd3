package io.jetraft.config;

import java.nio.file.Path;
import java.util.Optional;

/** Reads a nats-server style config file, applies command-line overrides and validates the result. */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /**
     * @param file the config file, if any ({@code -c})
     * @param overrides command-line values, applied over the file
     * @throws ConfigException for a syntax error, a wrong type, an out-of-range value or contradicting settings
     */
    public static LoadedConfig load(Optional<Path> file, ConfigOverrides overrides) {
        throw new UnsupportedOperationException("not implemented yet: the config helper writes this");
    }
}
