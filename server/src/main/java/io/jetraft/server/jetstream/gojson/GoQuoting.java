package io.jetraft.server.jetstream.gojson;

import java.nio.charset.StandardCharsets;

/** How Go quotes text in the errors jetraft reproduces: fmt's %q (strconv.Quote), the time package, the scanner. */
final class GoQuoting {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private GoQuoting() {
    }

    /** strconv.Quote, as {@code fmt.Errorf("%q", data)} prints: printable runes as they are, the rest escaped. */
    static String strconv(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '"', '\\' -> b.append('\\').appendCodePoint(cp);
                case 0x07 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case 0x0b -> b.append("\\v");
                default -> {
                    if (isPrint(cp)) {
                        b.appendCodePoint(cp);
                    } else if (cp < 0x80) {
                        b.append("\\x").append(HEX[cp >> 4]).append(HEX[cp & 0xf]);
                    } else if (cp < 0x10000) {
                        b.append(String.format("\\u%04x", cp));
                    } else {
                        b.append(String.format("\\U%08x", cp));
                    }
                }
            }
        });
        return b.append('"').toString();
    }

    /** The time package's quote: ASCII as it is (with " and \ escaped), every other byte as \xNN. */
    static String time(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || c < ' ') {
                String one = Character.isSurrogate(c) && i + 1 < s.length() ? s.substring(i, ++i + 1)
                        : String.valueOf(c);
                for (byte x : one.getBytes(StandardCharsets.UTF_8)) {
                    b.append("\\x").append(HEX[(x >> 4) & 0xf]).append(HEX[x & 0xf]);
                }
            } else {
                if (c == '"' || c == '\\') {
                    b.append('\\');
                }
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** The JSON scanner's quoteChar: a character in single quotes. */
    static String character(char c) {
        if (c == '\'') {
            return "'\\''";
        }
        if (c == '"') {
            return "'\"'";
        }
        String q = strconv(String.valueOf(c));
        return "'" + q.substring(1, q.length() - 1) + "'";
    }

    /** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
    private static boolean isPrint(int cp) {
        if (cp == ' ') {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.NON_SPACING_MARK,
                    Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK, Character.DECIMAL_DIGIT_NUMBER,
                    Character.LETTER_NUMBER, Character.OTHER_NUMBER, Character.CONNECTOR_PUNCTUATION,
                    Character.DASH_PUNCTUATION, Character.START_PUNCTUATION, Character.END_PUNCTUATION,
                    Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                    Character.OTHER_PUNCTUATION, Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL,
                    Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
            default -> false;
        };
    }
}
