package io.jetraft.config;

import io.jetraft.config.parse.ConfValue;
import io.jetraft.config.parse.Position;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Typed reads of one block of a parsed config: each read names the keys it accepts (aliases, first match wins;
 * matched without regard to case, as nats-server does), converts by the key's type and records a wrong type or a
 * value out of range as an error naming the key and where it was written (the read then gives nothing, so the rest
 * of the file is still checked). {@link #refuseUnread} turns every key no read asked for into an error.
 */
final class TypedBlock {

    private final ConfValue.Block block;
    private final String path;
    private final ConfigFindings findings;
    /** The block's entries by lower-case key; of keys that differ only in case the last written counts. */
    private final Map<String, ConfValue.Entry> byKey = new HashMap<>();
    /** Lower-case keys some read asked for. */
    private final Set<String> read = new HashSet<>();

    TypedBlock(ConfValue.Block block, String path, ConfigFindings findings) {
        this.block = block;
        this.path = path;
        this.findings = findings;
        for (ConfValue.Entry e : block.entries().values()) {
            byKey.put(lower(e.key()), e);
        }
    }

    private static String lower(String key) {
        return key.toLowerCase(Locale.ROOT);
    }

    private String name(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    static String where(Position p) {
        return p == null || p.file() == null ? "command line" : p.toString();
    }

    /** Records an error about the value of {@code key}, for checks made after the typed read. */
    void reject(ConfValue.Entry e, String message) {
        findings.error(e.value().position(), where(e.value().position()) + ": " + name(e.key()) + ": " + message);
    }

    /** The first of the keys present, marking all of them as known. */
    Optional<ConfValue.Entry> entry(String... keys) {
        ConfValue.Entry found = null;
        for (String k : keys) {
            read.add(lower(k));
            ConfValue.Entry e = byKey.get(lower(k));
            if (e != null && found == null) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }

    boolean has(String... keys) {
        return entry(keys).isPresent();
    }

    /**
     * Records an error for every key no read asked for, unless it was only a {@code $VARIABLE} definition: a key
     * nats-server knows is "not supported by jetraft", any other is nats-server's {@code unknown field "key"}.
     *
     * @param natsServerKeys the lower-case keys nats-server knows in this block
     */
    void refuseUnread(Set<String> natsServerKeys) {
        for (ConfValue.Entry e : block.entries().values()) {
            String key = lower(e.key());
            if (read.contains(key) || block.usedAsVariables().contains(e.key())) {
                continue;
            }
            String at = where(e.keyPosition());
            if (natsServerKeys.contains(key)) {
                findings.error(e.keyPosition(), at + ": field \"" + name(e.key())
                        + "\" is not supported by jetraft (nats-server knows it; remove it to start jetraft)");
            } else {
                findings.error(e.keyPosition(), at + ": unknown field \"" + e.key() + "\"");
            }
        }
    }

    /** The first present key's value converted; a conversion that fails is recorded and gives nothing. */
    private <T> Optional<T> read(String[] keys, Function<ConfValue.Entry, T> convert) {
        Optional<ConfValue.Entry> e = entry(keys);
        if (e.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(convert.apply(e.get()));
        } catch (IllegalArgumentException ex) {
            reject(e.get(), ex.getMessage());
            return Optional.empty();
        }
    }

    Optional<String> string(String... keys) {
        return read(keys, e -> scalar(e, "a string"));
    }

    /** The kind of a value with its article, for "got ..." in messages: "a string", "an array". */
    private static String aKind(ConfValue value) {
        String kind = value.kind();
        return ("aeiou".indexOf(kind.charAt(0)) >= 0 ? "an " : "a ") + kind;
    }

    private static String scalar(ConfValue.Entry e, String expected) {
        String text = e.value().scalarText();
        if (text == null) {
            throw new IllegalArgumentException("expected " + expected + ", got " + aKind(e.value()));
        }
        return text;
    }

    Optional<Boolean> bool(String... keys) {
        return read(keys, e -> {
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
            throw new IllegalArgumentException("expected a boolean (true, false, yes, no, on, off), got "
                    + aKind(e.value()));
        });
    }

    /** {@code enabled}, {@code disabled} or a boolean word, as nats-server reads {@code jetstream}. */
    Optional<Boolean> enabledWord(String... keys) {
        return read(keys, e -> {
            if (e.value() instanceof ConfValue.Raw r) {
                switch (r.text().toLowerCase(Locale.ROOT)) {
                    case "enabled", "enable", "true", "yes", "on" -> {
                        return true;
                    }
                    case "disabled", "disable", "false", "no", "off" -> {
                        return false;
                    }
                    default -> {
                    }
                }
            }
            throw new IllegalArgumentException("expected enabled, disabled, true or false, got " + aKind(e.value()));
        });
    }

    Optional<Long> integer(long min, long max, String... keys) {
        return read(keys, e -> {
            if (!(e.value() instanceof ConfValue.Raw r)) {
                throw new IllegalArgumentException("expected an integer, got " + aKind(e.value()));
            }
            long v;
            try {
                v = Long.parseLong(r.text());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("expected an integer, got '" + r.text() + "'");
            }
            if (v < min || v > max) {
                throw new IllegalArgumentException("value " + v + " is out of range " + min + ".." + max);
            }
            return v;
        });
    }

    Optional<ByteSize> size(String... keys) {
        return read(keys, e -> {
            String text = scalar(e, "a size such as 1MB");
            long v = parseSize(text);
            if (v < 0) {
                throw new IllegalArgumentException("a size cannot be negative: " + text);
            }
            return ByteSize.ofBytes(v);
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
        return read(keys, this::toDuration);
    }

    /** A duration that must be above zero. */
    Optional<Duration> positiveDuration(String... keys) {
        return read(keys, e -> {
            Duration d = toDuration(e);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("must be a positive duration, got " + GoDuration.format(d));
            }
            return d;
        });
    }

    private Duration toDuration(ConfValue.Entry e) {
        String text = scalar(e, "a duration such as 10s");
        if (text.matches("-?\\d+")) {
            // nats-server's older form: a plain number of seconds
            findings.warn(where(e.value().position()) + ": " + name(e.key())
                    + " should be written as a duration (e.g. \"" + text + "s\"); read as " + text + " seconds");
            return Duration.ofSeconds(Long.parseLong(text));
        }
        return GoDuration.parse(text);
    }

    Optional<Path> path(String... keys) {
        return string(keys).map(Path::of);
    }

    /** A listen address: "host:port", ":port" or "port" (host then falls back to {@code defaultHost}). */
    Optional<HostPort> hostPort(String defaultHost, String... keys) {
        return read(keys, e -> parseHostPort(scalar(e, "host:port"), defaultHost));
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
        return read(keys, e -> {
            List<String> texts = new ArrayList<>();
            if (e.value() instanceof ConfValue.Array a) {
                for (ConfValue item : a.items()) {
                    String t = item.scalarText();
                    if (t == null) {
                        throw new IllegalArgumentException("expected URLs, got " + aKind(item) + " at "
                                + where(item.position()));
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
                URI u;
                try {
                    u = new URI(t.contains("://") ? t : "nats-route://" + t);
                } catch (URISyntaxException ex) {
                    throw new IllegalArgumentException("'" + t + "' is not a valid URL");
                }
                if (u.getHost() == null || u.getPort() < 0) {
                    throw new IllegalArgumentException("route URL '" + t + "' needs a host and a port");
                }
                out.add(u);
            }
            return out;
        });
    }

    /** A nested block, or empty; a value of another kind is an error. */
    Optional<TypedBlock> block(String key) {
        return read(new String[] {key}, e -> {
            if (!(e.value() instanceof ConfValue.Block b)) {
                throw new IllegalArgumentException("expected a block { ... }, got " + aKind(e.value()));
            }
            return new TypedBlock(b, name(key), findings);
        });
    }
}
