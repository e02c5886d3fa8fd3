package io.jetraft.config;

import io.jetraft.config.parse.ConfValue;
import io.jetraft.config.parse.Position;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Typed reads of one block of a parsed config: each read names the keys it accepts (aliases first match wins),
 * converts by the key's type and reports a wrong type or a value out of range as an error naming the key and where
 * it was written. Keys never read are reported by {@link #unknownKeys} for the warning.
 */
final class TypedBlock {

    private final ConfValue.Block block;
    private final String path;
    private final List<String> warnings;
    private final Set<String> used = new HashSet<>();

    TypedBlock(ConfValue.Block block, String path, List<String> warnings) {
        this.block = block;
        this.path = path;
        this.warnings = warnings;
    }

    private String name(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    static String where(Position p) {
        return p == null || p.file() == null ? "command line" : p.toString();
    }

    ConfigException error(String key, ConfValue value, String message) {
        return new ConfigException(where(value.position()) + ": " + name(key) + ": " + message);
    }

    /** The first of the keys present, marking all of them as known. */
    Optional<ConfValue.Entry> entry(String... keys) {
        ConfValue.Entry found = null;
        for (String k : keys) {
            used.add(k);
            ConfValue.Entry e = block.entries().get(k);
            if (e != null && found == null) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }

    boolean has(String... keys) {
        return entry(keys).isPresent();
    }

    /** Marks keys nats-server knows but jetraft does not act on: a warning instead of "unknown". */
    void ignoredNatsKeys(String... keys) {
        for (String k : keys) {
            ConfValue.Entry e = block.entries().get(k);
            used.add(k);
            if (e != null) {
                warnings.add(where(e.keyPosition()) + ": " + name(k) + " is not supported by jetraft and is ignored");
            }
        }
    }

    /** Adds the unknown keys of a nested block to this block's warnings. */
    void warningsFrom(TypedBlock inner) {
        warnings.addAll(inner.unknownKeys());
    }

    List<String> unknownKeys() {
        List<String> out = new ArrayList<>();
        for (ConfValue.Entry e : block.entries().values()) {
            if (!used.contains(e.key())) {
                out.add(where(e.keyPosition()) + ": unknown field \"" + name(e.key()) + "\" (ignored)");
            }
        }
        return out;
    }

    Optional<String> string(String... keys) {
        return entry(keys).map(e -> scalar(e, "a string"));
    }

    private String scalar(ConfValue.Entry e, String expected) {
        String text = e.value().scalarText();
        if (text == null) {
            throw error(e.key(), e.value(), "expected " + expected + ", got a " + e.value().kind());
        }
        return text;
    }

    Optional<Boolean> bool(String... keys) {
        return entry(keys).map(e -> {
            String text = e.value() instanceof ConfValue.Raw r ? r.text().toLowerCase(Locale.ROOT) : null;
            if (text != null) {
                switch (text) {
                    case "true", "yes", "on" -> {
                        return true;
                    }
                    case "false", "no", "off" -> {
                        return false;
                    }
                    default -> {
                    }
                }
            }
            throw error(e.key(), e.value(), "expected a boolean (true, false, yes, no, on, off), got "
                    + e.value().kind());
        });
    }

    Optional<Long> integer(long min, long max, String... keys) {
        return entry(keys).map(e -> {
            if (!(e.value() instanceof ConfValue.Raw r)) {
                throw error(e.key(), e.value(), "expected an integer, got a " + e.value().kind());
            }
            long v;
            try {
                v = Long.parseLong(r.text());
            } catch (NumberFormatException ex) {
                throw error(e.key(), e.value(), "expected an integer, got '" + r.text() + "'");
            }
            if (v < min || v > max) {
                throw error(e.key(), e.value(), "value " + v + " is out of range " + min + ".." + max);
            }
            return v;
        });
    }

    Optional<ByteSize> size(String... keys) {
        return entry(keys).map(e -> {
            String text = scalar(e, "a size such as 1MB");
            try {
                long v = parseSize(text);
                if (v < 0) {
                    throw error(e.key(), e.value(), "a size cannot be negative: " + text);
                }
                return ByteSize.ofBytes(v);
            } catch (IllegalArgumentException ex) {
                throw error(e.key(), e.value(), ex.getMessage());
            }
        });
    }

    /**
     * A size as nats-server reads it: an integer with an optional, case-insensitive suffix; k, m, g, t are powers of
     * 1000, kb/ki/kib, mb/mi/mib, gb/gi/gib, tb/ti/tib powers of 1024.
     */
    static long parseSize(String text) {
        String s = text.trim();
        int end = 0;
        if (end < s.length() && s.charAt(end) == '-') {
            end++;
        }
        while (end < s.length() && Character.isDigit(s.charAt(end))) {
            end++;
        }
        if (end == 0 || (end == 1 && s.charAt(0) == '-')) {
            throw new IllegalArgumentException("expected a size such as 64MB, got '" + text + "'");
        }
        long number;
        try {
            number = Long.parseLong(s.substring(0, end));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        String suffix = s.substring(end).trim().toLowerCase(Locale.ROOT);
        long scale = switch (suffix) {
            case "", "b" -> 1L;
            case "k" -> 1000L;
            case "kb", "ki", "kib" -> 1024L;
            case "m" -> 1000L * 1000;
            case "mb", "mi", "mib" -> 1024L * 1024;
            case "g" -> 1000L * 1000 * 1000;
            case "gb", "gi", "gib" -> 1024L * 1024 * 1024;
            case "t" -> 1000L * 1000 * 1000 * 1000;
            case "tb", "ti", "tib" -> 1024L * 1024 * 1024 * 1024;
            default -> throw new IllegalArgumentException("unknown size suffix '" + s.substring(end).trim()
                    + "' in '" + text + "' (use k, kb, m, mb, g, gb, t, tb)");
        };
        try {
            return Math.multiplyExact(number, scale);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
    }

    Optional<Duration> duration(String... keys) {
        return entry(keys).map(e -> {
            String text = scalar(e, "a duration such as 10s");
            if (text.matches("-?\\d+")) {
                // nats-server's older form: a plain number of seconds
                warnings.add(where(e.value().position()) + ": " + name(e.key())
                        + " should be written as a duration (e.g. \"" + text + "s\"); read as " + text + " seconds");
                return Duration.ofSeconds(Long.parseLong(text));
            }
            try {
                return GoDuration.parse(text);
            } catch (IllegalArgumentException ex) {
                throw error(e.key(), e.value(), ex.getMessage());
            }
        });
    }

    Optional<Path> path(String... keys) {
        return string(keys).map(Path::of);
    }

    Optional<ConfValue.Entry> blockEntry(String key) {
        return entry(key);
    }

    /** A listen address: "host:port", ":port" or "port" (host then falls back to {@code defaultHost}). */
    Optional<HostPort> hostPort(String defaultHost, String... keys) {
        return entry(keys).map(e -> {
            String text = scalar(e, "host:port");
            try {
                return parseHostPort(text, defaultHost);
            } catch (IllegalArgumentException ex) {
                throw error(e.key(), e.value(), ex.getMessage());
            }
        });
    }

    static HostPort parseHostPort(String text, String defaultHost) {
        String t = text.trim();
        if (t.contains("://")) {
            try {
                URI u = new URI(t);
                if (u.getPort() < 0) {
                    throw new IllegalArgumentException("expected a port in '" + text + "'");
                }
                return new HostPort(u.getHost() == null ? defaultHost : u.getHost(), u.getPort());
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("'" + text + "' is not a valid URL");
            }
        }
        int colon = t.lastIndexOf(':');
        String host = colon < 0 ? defaultHost : t.substring(0, colon);
        String port = colon < 0 ? t : t.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            host = defaultHost;
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected host:port or a port number, got '" + text + "'");
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " is out of range 0..65535");
        }
        return new HostPort(host, p);
    }

    /** A list of URLs: an array, or one string of comma-separated URLs. */
    Optional<List<URI>> urls(String... keys) {
        return entry(keys).map(e -> {
            List<String> texts = new ArrayList<>();
            if (e.value() instanceof ConfValue.Array a) {
                for (ConfValue item : a.items()) {
                    String t = item.scalarText();
                    if (t == null) {
                        throw error(e.key(), item, "expected URLs, got a " + item.kind());
                    }
                    texts.add(t);
                }
            } else {
                texts.addAll(List.of(scalar(e, "a list of URLs").split(",")));
            }
            List<URI> out = new ArrayList<>();
            for (String text : texts) {
                String t = text.trim();
                if (t.isEmpty()) {
                    continue;
                }
                try {
                    URI u = new URI(t.contains("://") ? t : "nats-route://" + t);
                    if (u.getHost() == null || u.getPort() < 0) {
                        throw error(e.key(), e.value(), "route URL '" + t + "' needs a host and a port");
                    }
                    out.add(u);
                } catch (URISyntaxException ex) {
                    throw error(e.key(), e.value(), "'" + t + "' is not a valid URL");
                }
            }
            return out;
        });
    }

    /** A nested block, or empty; a value of another kind is an error. */
    Optional<TypedBlock> block(String key) {
        return entry(key).map(e -> {
            if (!(e.value() instanceof ConfValue.Block b)) {
                throw error(key, e.value(), "expected a block { ... }, got " + e.value().kind());
            }
            return new TypedBlock(b, name(key), warnings);
        });
    }
}
