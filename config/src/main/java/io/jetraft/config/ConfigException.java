package io.jetraft.config;

/**
 * A config that cannot be used: a syntax error (naming file, line, column and what was expected), a value of the
 * wrong type or out of range (naming the key), or settings that contradict each other.
 */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
