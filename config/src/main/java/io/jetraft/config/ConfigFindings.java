package io.jetraft.config;

import io.jetraft.config.parse.Position;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What reading one config found wrong: errors (the config cannot be used) and warnings. Errors are collected, not
 * thrown one by one, so that a user sees every problem of the file at once, as nats-server reports them.
 */
final class ConfigFindings {

    /** One error and where it was written (null: no place, e.g. a setting that contradicts another). */
    private record Problem(Position at, String text) {
    }

    private static final Comparator<Problem> IN_FILE_ORDER = Comparator
            .comparing((Problem p) -> p.at() == null || p.at().file() == null ? "" : p.at().file().toString())
            .thenComparingInt(p -> p.at() == null ? 0 : p.at().line())
            .thenComparingInt(p -> p.at() == null ? 0 : p.at().column());

    private final List<Problem> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    /** An error; {@code text} already says where (see {@link TypedBlock#where}), {@code at} orders the report. */
    void error(Position at, String text) {
        errors.add(new Problem(at, text));
    }

    void warn(String text) {
        warnings.add(text);
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** Throws every error found so far, in the order they stand in the file(s), one per line. */
    void throwIfErrors() {
        if (errors.isEmpty()) {
            return;
        }
        List<String> lines = errors.stream().sorted(IN_FILE_ORDER).map(Problem::text).toList();
        throw new ConfigException(String.join("\n", lines));
    }
}
