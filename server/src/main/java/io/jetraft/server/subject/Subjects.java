package io.jetraft.server.subject;

/** NATS subject rules: tokens separated by '.', '*' matches one token, '>' matches the rest. */
public final class Subjects {

    private Subjects() {
    }

    /** A subject a client may subscribe to: non-empty tokens, no whitespace, '>' only as the last token. */
    public static boolean isValidSubscriptionSubject(CharSequence subject) {
        int len = subject.length();
        if (len == 0) {
            return false;
        }
        int tokenStart = 0;
        boolean sawFullWildcard = false;
        for (int i = 0; i <= len; i++) {
            if (i == len || subject.charAt(i) == '.') {
                int tokenLen = i - tokenStart;
                if (tokenLen == 0 || sawFullWildcard) {
                    return false;
                }
                if (tokenLen == 1 && subject.charAt(tokenStart) == '>') {
                    sawFullWildcard = true;
                }
                tokenStart = i + 1;
            } else if (isWhitespace(subject.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** A subject a message may be published to: valid and without wildcard tokens. */
    public static boolean isValidLiteralSubject(CharSequence subject) {
        if (!isValidSubscriptionSubject(subject)) {
            return false;
        }
        return !hasWildcard(subject);
    }

    /** True when one token of the subject is exactly '*' or '>'. */
    public static boolean hasWildcard(CharSequence subject) {
        int len = subject.length();
        for (int i = 0; i < len; i++) {
            char c = subject.charAt(i);
            if ((c == '*' || c == '>')
                    && (i == 0 || subject.charAt(i - 1) == '.')
                    && (i == len - 1 || subject.charAt(i + 1) == '.')) {
                return true;
            }
        }
        return false;
    }

    /** Whether a literal subject is matched by a subscription subject that may hold wildcards. */
    public static boolean matches(String filter, String literal) {
        int fi = 0;
        int li = 0;
        int flen = filter.length();
        int llen = literal.length();
        while (fi < flen && li < llen) {
            int fEnd = filter.indexOf('.', fi);
            if (fEnd < 0) {
                fEnd = flen;
            }
            int lEnd = literal.indexOf('.', li);
            if (lEnd < 0) {
                lEnd = llen;
            }
            int fTokenLen = fEnd - fi;
            if (fTokenLen == 1 && filter.charAt(fi) == '>') {
                return true;
            }
            boolean single = fTokenLen == 1 && filter.charAt(fi) == '*';
            if (!single && (fTokenLen != lEnd - li || !filter.regionMatches(fi, literal, li, fTokenLen))) {
                return false;
            }
            fi = fEnd + 1;
            li = lEnd + 1;
        }
        return fi >= flen && li >= llen;
    }

    static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
    }
}
