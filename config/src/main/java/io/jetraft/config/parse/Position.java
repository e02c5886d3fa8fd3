package io.jetraft.config.parse;

import java.nio.file.Path;

/**
 * Where something stands in a config file: file (the path as given, or as an include named it), line and column
 * (both from 1). Printed {@code path:line:column}, as nats-server prints it.
 */
public record Position(Path file, int line, int column) {

    @Override
    public String toString() {
        return (file == null ? "<flags>" : file.toString()) + ":" + line + ":" + column;
    }
}
