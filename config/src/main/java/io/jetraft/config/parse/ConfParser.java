package io.jetraft.config.parse;

import io.jetraft.config.ConfigException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Reads nats-server's configuration format into a tree of {@link ConfValue}s: {@code key: value},
 * {@code key = value} and {@code key value}; blocks {@code {}} and arrays {@code []}; entries ended by newlines,
 * commas or semicolons; {@code #} and {@code //} comments; double-quoted strings with escapes, single-quoted raw
 * strings and unquoted tokens; {@code include file} (relative to the including file); {@code $VAR} variables from
 * keys defined before (in the block or an enclosing one) or else from the environment; each block records which of
 * its keys were referenced so (nats-server does not count those as fields). Errors name file, line, column and what
 * was expected. Positions carry the file's path as given (an include's path is its name resolved against the
 * including file's directory), as nats-server reports them.
 */
public final class ConfParser {

    /** Deeper nesting than this is refused (it would only come from a broken or hostile file). */
    public static final int MAX_DEPTH = 100;

    private final Map<String, String> environment;
    private final Deque<Path> includeStack = new ArrayDeque<>();
    /** Blocks being read, innermost last: variable lookup walks them outwards. */
    private final Deque<Scope> scopes = new ArrayDeque<>();

    public ConfParser(Map<String, String> environment) {
        this.environment = environment;
    }

    /** Parses a whole file into its top-level block. */
    public ConfValue.Block parseFile(Path file) {
        return parseFile(file, null);
    }

    /** Parses text as if read from {@code file} (which may be null for text given on the command line). */
    public ConfValue.Block parseText(String text, Path file) {
        Scope top = new Scope();
        scopes.addLast(top);
        try {
            new Reader(text, file).readBody(top.entries(), false, 0);
        } finally {
            scopes.removeLast();
        }
        return top.toBlock(new Position(file, 1, 1));
    }

    private ConfValue.Block parseFile(Path file, Position includedAt) {
        Path real = file.toAbsolutePath().normalize();
        if (includeStack.contains(real)) {
            throw new ConfigException(includedAt + ": include cycle: " + real + " includes itself (through "
                    + includeStack.peekLast() + ")");
        }
        String text = read(real, includedAt);
        includeStack.addLast(real);
        try {
            return parseText(text, file);
        } finally {
            includeStack.removeLast();
        }
    }

    private static String read(Path file, Position includedAt) {
        String where = includedAt == null ? "" : includedAt + ": ";
        if (Files.isDirectory(file)) {
            throw new ConfigException(where + "config file " + file + " is a directory");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(where + "config file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException(where + "config file " + file + " cannot be read: " + e.getMessage(), e);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException(where + "config file " + file + " is not UTF-8 text");
        }
    }

    /** Reads one file's characters. */
    private final class Reader {
        private final String s;
        private final Path file;
        private int i;
        private int line = 1;
        private int lineStart;

        Reader(String text, Path file) {
            this.s = text;
            this.file = file;
        }

        private Position here() {
            return new Position(file, line, i - lineStart + 1);
        }

        private ConfigException error(Position at, String message) {
            return new ConfigException(at + ": " + message);
        }

        private boolean atEnd() {
            return i >= s.length();
        }

        private char peek() {
            return s.charAt(i);
        }

        private char next() {
            char c = s.charAt(i++);
            if (c == '\n') {
                line++;
                lineStart = i;
            }
            return c;
        }

        private String describeHere() {
            if (atEnd()) {
                return "end of file";
            }
            char c = peek();
            if (c == '\n') {
                return "end of line";
            }
            return "'" + c + "'";
        }

        /** Skips spaces, tabs, carriage returns and comments, but not newlines. */
        private void skipBlank() {
            while (!atEnd()) {
                char c = peek();
                if (c == ' ' || c == '\t' || c == '\r' || c == '\uFEFF') {
                    i++;
                } else if (c == '#' || (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '/')) {
                    while (!atEnd() && peek() != '\n') {
                        i++;
                    }
                } else {
                    return;
                }
            }
        }

        /** Skips blanks, comments, newlines and entry separators. */
        private void skipSeparators() {
            while (true) {
                skipBlank();
                if (!atEnd() && (peek() == '\n' || peek() == ',' || peek() == ';')) {
                    next();
                } else {
                    return;
                }
            }
        }

        /** Reads entries until the end (top level) or a closing brace (block). */
        void readBody(Map<String, ConfValue.Entry> into, boolean inBlock, int depth) {
            Position opened = here();
            while (true) {
                skipSeparators();
                if (atEnd()) {
                    if (inBlock) {
                        throw error(here(), "expected '}' to close the block opened at " + opened.line() + ":"
                                + opened.column() + ", found end of file");
                    }
                    return;
                }
                if (peek() == '}') {
                    if (!inBlock) {
                        throw error(here(), "unexpected '}' with no block open");
                    }
                    next();
                    return;
                }
                // a quoted key's position is its first character inside the quote, as nats-server reports it
                Position keyAt = peek() == '"' || peek() == '\'' ? new Position(file, line, i - lineStart + 2) : here();
                String key = readKey();
                skipBlank();
                if (key.equals("include") && !atEnd() && peek() != ':' && peek() != '=') {
                    include(into, keyAt);
                    continue;
                }
                if (!atEnd() && (peek() == ':' || peek() == '=')) {
                    next();
                    skipBlank();
                }
                if (atEnd() || peek() == '\n' || peek() == '}' || peek() == ',' || peek() == ';') {
                    throw error(here(), "expected a value for key '" + key + "', found " + describeHere());
                }
                ConfValue value = readValue(depth, key);
                into.put(key, new ConfValue.Entry(key, keyAt, value));
                skipBlank();
                if (!atEnd() && peek() != '\n' && peek() != ',' && peek() != ';' && peek() != '}') {
                    throw error(here(), "expected a new line, ',' or ';' after the value of '" + key + "', found "
                            + describeHere());
                }
            }
        }

        private String readKey() {
            Position at = here();
            char c = peek();
            if (c == '"' || c == '\'') {
                return readQuoted().value();
            }
            int start = i;
            while (!atEnd() && isKeyChar(peek())) {
                i++;
            }
            if (i == start) {
                throw error(at, "expected a key, found " + describeHere());
            }
            return s.substring(start, i);
        }

        private boolean isKeyChar(char c) {
            return Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.' || c == '$';
        }

        private void include(Map<String, ConfValue.Entry> into, Position at) {
            ConfValue target = readValue(0, "include");
            String name = target.scalarText();
            if (name == null) {
                throw error(at, "include expects a file name, found " + target.kind());
            }
            Path base = file == null ? Path.of(".") : file.getParent();
            Path path = base == null ? Path.of(name) : base.resolve(name);
            ConfValue.Block included = parseFile(path, at);
            into.putAll(included.entries());
            scopes.peekLast().usedAsVariables().addAll(included.usedAsVariables());
        }

        private ConfValue readValue(int depth, String key) {
            if (depth >= MAX_DEPTH) {
                throw error(here(), "blocks and arrays nested deeper than " + MAX_DEPTH + " levels");
            }
            Position at = here();
            char c = peek();
            switch (c) {
                case '{' -> {
                    next();
                    Scope block = new Scope();
                    scopes.addLast(block);
                    try {
                        readBody(block.entries(), true, depth + 1);
                    } finally {
                        scopes.removeLast();
                    }
                    return block.toBlock(at);
                }
                case '[' -> {
                    next();
                    return readArray(at, depth + 1, key);
                }
                case '"', '\'' -> {
                    return readQuoted();
                }
                case '$' -> {
                    return readVariable(at);
                }
                default -> {
                    int start = i;
                    while (!atEnd() && !endsRaw(peek())) {
                        i++;
                    }
                    if (i == start) {
                        throw error(at, "expected a value for '" + key + "', found " + describeHere());
                    }
                    return new ConfValue.Raw(s.substring(start, i).stripTrailing(), at);
                }
            }
        }

        /** An unquoted value ends at whitespace, an entry or container end, or a comment. */
        private boolean endsRaw(char c) {
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ';' || c == '}' || c == ']'
                    || c == '#') {
                return true;
            }
            return false;
        }

        private ConfValue readArray(Position opened, int depth, String key) {
            List<ConfValue> items = new ArrayList<>();
            while (true) {
                skipSeparators();
                if (atEnd()) {
                    throw error(here(), "expected ']' to close the array opened at " + opened.line() + ":"
                            + opened.column() + ", found end of file");
                }
                if (peek() == ']') {
                    next();
                    return new ConfValue.Array(items, opened);
                }
                if (peek() == '}') {
                    throw error(here(), "expected ']' to close the array opened at " + opened.line() + ":"
                            + opened.column() + ", found '}'");
                }
                items.add(readValue(depth, key));
                skipBlank();
                if (!atEnd() && peek() != '\n' && peek() != ',' && peek() != ']') {
                    throw error(here(), "expected ',', a new line or ']' in the array, found " + describeHere());
                }
            }
        }

        private ConfValue.Text readQuoted() {
            Position at = here();
            char quote = next();
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (atEnd() || peek() == '\n') {
                    throw error(at, "unterminated string: expected a closing " + quote + " before "
                            + (atEnd() ? "end of file" : "end of line"));
                }
                char c = next();
                if (c == quote) {
                    return new ConfValue.Text(sb.toString(), at);
                }
                if (c == '\\' && quote == '"') {
                    sb.append(escape(at));
                } else {
                    sb.append(c);
                }
            }
        }

        private String escape(Position stringAt) {
            if (atEnd()) {
                throw error(stringAt, "unterminated string");
            }
            Position at = here();
            char c = next();
            return switch (c) {
                case 't' -> "\t";
                case 'n' -> "\n";
                case 'r' -> "\r";
                case '"' -> "\"";
                case '\\' -> "\\";
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw error(at, "expected four hex digits after \\u");
                    }
                    String hex = s.substring(i, i + 4);
                    try {
                        i += 4;
                        yield String.valueOf((char) Integer.parseInt(hex, 16));
                    } catch (NumberFormatException e) {
                        throw error(at, "expected four hex digits after \\u, found '" + hex + "'");
                    }
                }
                default -> throw error(at, "invalid escape '\\" + c + "' (allowed: \\t \\n \\r \\\" \\\\ \\uXXXX)");
            };
        }

        private ConfValue readVariable(Position at) {
            next();
            int start = i;
            while (!atEnd() && (Character.isLetterOrDigit(peek()) || peek() == '_')) {
                i++;
            }
            String name = s.substring(start, i);
            if (name.isEmpty()) {
                throw error(at, "expected a variable name after '$'");
            }
            var it = scopes.descendingIterator();
            while (it.hasNext()) {
                Scope scope = it.next();
                ConfValue.Entry e = scope.entries().get(name);
                if (e != null) {
                    scope.usedAsVariables().add(name);
                    return e.value();
                }
            }
            String env = environment.get(name);
            if (env != null) {
                return new ConfValue.Raw(env, at);
            }
            throw error(at, "variable reference for '" + name + "' is not defined in the file nor in the environment");
        }
    }
}
