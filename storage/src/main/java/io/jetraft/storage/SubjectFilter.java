package io.jetraft.storage;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A NATS subject filter: tokens separated by '.', where {@code *} matches exactly one token and a final {@code >}
 * matches one or more remaining tokens. A filter without wildcards matches only itself; null, empty and {@code >}
 * match everything.
 */
public final class SubjectFilter {

    private static final SubjectFilter ALL = new SubjectFilter(">", new String[] {">"}, true);
    private static final ConcurrentHashMap<String, SubjectFilter> CACHE = new ConcurrentHashMap<>();

    private final String text;
    private final String[] tokens;
    private final boolean wildcard;

    private SubjectFilter(String text, String[] tokens, boolean wildcard) {
        this.text = text;
        this.tokens = tokens;
        this.wildcard = wildcard;
    }

    public static SubjectFilter of(String filter) {
        if (filter == null || filter.isEmpty() || filter.equals(">")) {
            return ALL;
        }
        SubjectFilter cached = CACHE.get(filter);
        if (cached != null) {
            return cached;
        }
        String[] tokens = filter.split("\\.", -1);
        boolean wc = false;
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            if (t.isEmpty()) {
                throw new IllegalArgumentException("invalid subject filter '" + filter + "': empty token");
            }
            if (t.equals("*")) {
                wc = true;
            } else if (t.equals(">")) {
                if (i != tokens.length - 1) {
                    throw new IllegalArgumentException("invalid subject filter '" + filter + "': '>' must be last");
                }
                wc = true;
            }
        }
        SubjectFilter f = new SubjectFilter(filter, tokens, wc);
        if (CACHE.size() < 10_000) {
            CACHE.put(filter, f);
        }
        return f;
    }

    public boolean matchesAll() {
        return this == ALL;
    }

    public boolean isLiteral() {
        return !wildcard;
    }

    public String text() {
        return text;
    }

    /**
     * The subject prefix every match starts with (the tokens before the first wildcard, with their trailing '.'),
     * or the whole filter when it is literal. Used to bound index scans.
     */
    public String literalPrefix() {
        if (!wildcard) {
            return text;
        }
        StringBuilder sb = new StringBuilder();
        for (String t : tokens) {
            if (t.equals("*") || t.equals(">")) {
                break;
            }
            sb.append(t).append('.');
        }
        return sb.toString();
    }

    public boolean matches(String subject) {
        if (this == ALL) {
            return true;
        }
        if (!wildcard) {
            return text.equals(subject);
        }
        int pos = 0;
        int len = subject.length();
        for (int i = 0; i < tokens.length; i++) {
            if (pos > len) {
                return false;
            }
            int end = subject.indexOf('.', pos);
            if (end < 0) {
                end = len;
            }
            String t = tokens[i];
            if (t.equals(">")) {
                return end > pos;
            }
            if (end == pos) {
                return false;
            }
            if (!t.equals("*") && !subject.regionMatches(pos, t, 0, t.length())) {
                return false;
            }
            if (!t.equals("*") && t.length() != end - pos) {
                return false;
            }
            pos = end + 1;
        }
        return pos == len + 1;
    }

    @Override
    public String toString() {
        return text;
    }
}
