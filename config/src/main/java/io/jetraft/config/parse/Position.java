package io.jetraft.config.parse;

import java.nio.file.Path;

/** Where something stands in a config file: file, line and column (both from 1). */
public record Position(Path file, int line, int column) {

    @Override
    public String toString() {
        return (file == null ? "<flags>" : file.getFileName().toString()) + ":" + line + ":" + column;
    }
}
