package io.jetraft.server.jetstream.gojson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.YearMonth;

/**
 * time.Time's UnmarshalJSON (Go 1.20 and later): a JSON string holding an RFC 3339 time, checked as strictly as Go
 * checks it, refused with the text of Go's time.ParseError.
 */
public final class GoTime implements GoUnmarshaler {

    public static final GoType TYPE = new GoType.Custom("time.Time", new GoTime());

    private static final String LAYOUT = "2006-01-02T15:04:05Z07:00";

    private GoTime() {
    }

    @Override
    public JsonNode unmarshal(String raw, JsonNode value) throws GoJsonException {
        if (raw.equals("null")) {
            return null;
        }
        // Go takes the bytes between the quotes as they are (it does not unescape them)
        if (raw.length() < 2 || raw.charAt(0) != '"' || raw.charAt(raw.length() - 1) != '"') {
            throw GoJsonException.of("Time.UnmarshalJSON: input is not a JSON string");
        }
        String s = raw.substring(1, raw.length() - 1);
        if (!fastPath(s)) {
            String error = parse(s);
            throw GoJsonException.of(error != null ? error : strictError(s));
        }
        return TextNode.valueOf(s);
    }

    /** Go's parseRFC3339: exactly what the strict parser accepts. */
    private static boolean fastPath(String s) {
        if (s.length() < "2006-01-02T15:04:05".length()) {
            return false;
        }
        int year = number(s, 0, 4, 0, 9999);
        int month = number(s, 5, 7, 1, 12);
        if (year < 0 || month < 0) {
            return false;
        }
        if (number(s, 8, 10, 1, YearMonth.of(year, month).lengthOfMonth()) < 0 || number(s, 11, 13, 0, 23) < 0
                || number(s, 14, 16, 0, 59) < 0 || number(s, 17, 19, 0, 59) < 0) {
            return false;
        }
        if (s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T' || s.charAt(13) != ':'
                || s.charAt(16) != ':') {
            return false;
        }
        String rest = s.substring(19);
        if (rest.length() >= 2 && rest.charAt(0) == '.' && digit(rest, 1)) {
            int n = 2;
            while (n < rest.length() && digit(rest, n)) {
                n++;
            }
            rest = rest.substring(n);
        }
        if (rest.equals("Z")) {
            return true;
        }
        return rest.length() == 6 && (rest.charAt(0) == '+' || rest.charAt(0) == '-') && rest.charAt(3) == ':'
                && number(rest, 1, 3, 0, 23) >= 0 && number(rest, 4, 6, 0, 59) >= 0;
    }

    /** time.Parse(RFC3339, s): null when it parses, else its error text. */
    private static String parse(String value) {
        String v = value;
        // 2006
        if (v.length() < 4 || !digit(v, 0) || number(v, 0, 4, 0, 9999) < 0) {
            return cannotParse(value, v, "2006");
        }
        int year = Integer.parseInt(v.substring(0, 4));
        v = v.substring(4);
        if (!v.startsWith("-")) {
            return cannotParse(value, v, "-");
        }
        v = v.substring(1);
        if (!digit(v, 0) || !digit(v, 1)) {
            return cannotParse(value, v, "01");
        }
        int month = Integer.parseInt(v.substring(0, 2));
        v = v.substring(2);
        if (month < 1 || month > 12) {
            return outOfRange(value, "month");
        }
        if (!v.startsWith("-")) {
            return cannotParse(value, v, "-");
        }
        v = v.substring(1);
        if (!digit(v, 0) || !digit(v, 1)) {
            return cannotParse(value, v, "02");
        }
        int day = Integer.parseInt(v.substring(0, 2));
        v = v.substring(2);
        if (!v.startsWith("T")) {
            return cannotParse(value, v, "T");
        }
        v = v.substring(1);
        if (!digit(v, 0)) {
            return cannotParse(value, v, "15");
        }
        int hourDigits = digit(v, 1) ? 2 : 1;
        int hour = Integer.parseInt(v.substring(0, hourDigits));
        v = v.substring(hourDigits);
        if (hour >= 24) {
            return outOfRange(value, "hour");
        }
        for (String unit : new String[] {"minute", "second"}) {
            if (!v.startsWith(":")) {
                return cannotParse(value, v, ":");
            }
            v = v.substring(1);
            if (!digit(v, 0) || !digit(v, 1)) {
                return cannotParse(value, v, unit.equals("minute") ? "04" : "05");
            }
            if (Integer.parseInt(v.substring(0, 2)) >= 60) {
                return outOfRange(value, unit);
            }
            v = v.substring(2);
        }
        if (v.length() >= 2 && (v.charAt(0) == '.' || v.charAt(0) == ',') && digit(v, 1)) {
            int n = 2;
            while (n < v.length() && digit(v, n)) {
                n++;
            }
            v = v.substring(n);
        }
        if (v.startsWith("Z")) {
            v = v.substring(1);
        } else {
            if (v.length() < 6 || v.charAt(3) != ':') {
                return cannotParse(value, v, "Z07:00");
            }
            boolean hourOk = digit(v, 1) && digit(v, 2);
            boolean minuteOk = hourOk && digit(v, 4) && digit(v, 5);
            int hr = hourOk ? Integer.parseInt(v.substring(1, 3)) : 0;
            int mm = minuteOk ? Integer.parseInt(v.substring(4, 6)) : 0;
            // Go sets the range error for the hour, then for the minute, and reports it before a format error
            if (mm > 60) {
                return outOfRange(value, "time zone offset minute");
            }
            if (hr > 24) {
                return outOfRange(value, "time zone offset hour");
            }
            if (!minuteOk || (v.charAt(0) != '+' && v.charAt(0) != '-')) {
                return cannotParse(value, v, "Z07:00");
            }
            v = v.substring(6);
        }
        if (!v.isEmpty()) {
            return "parsing time " + GoQuoting.time(value) + ": extra text: " + GoQuoting.time(v);
        }
        if (day < 1 || day > YearMonth.of(year, month).lengthOfMonth()) {
            return outOfRange(value, "day");
        }
        return null;
    }

    /** What parseStrictRFC3339 refuses although time.Parse takes it. */
    private static String strictError(String s) {
        if (s.length() > 12 && s.charAt(12) == ':') {
            return cannotParse(s, s.substring(11, 12), "15");
        }
        if (s.length() > 19 && s.charAt(19) == ',') {
            return cannotParse(s, ",", ".");
        }
        if (!s.endsWith("Z") && s.length() >= 6) {
            String zone = s.substring(s.length() - 6);
            if (Integer.parseInt(zone.substring(1, 3)) >= 24) {
                return "parsing time " + GoQuoting.time(s) + ": timezone hour out of range";
            }
            if (Integer.parseInt(zone.substring(4, 6)) >= 60) {
                return "parsing time " + GoQuoting.time(s) + ": timezone minute out of range";
            }
        }
        return cannotParse(s, s, LAYOUT);
    }

    private static String cannotParse(String value, String elem, String layoutElem) {
        return "parsing time " + GoQuoting.time(value) + " as " + GoQuoting.time(LAYOUT) + ": cannot parse "
                + GoQuoting.time(elem) + " as " + GoQuoting.time(layoutElem);
    }

    private static String outOfRange(String value, String what) {
        return "parsing time " + GoQuoting.time(value) + ": " + what + " out of range";
    }

    /** The decimal number in s[from, to) if every character is a digit and it is in [min, max]; else -1. */
    private static int number(String s, int from, int to, int min, int max) {
        if (to > s.length()) {
            return -1;
        }
        int x = 0;
        for (int i = from; i < to; i++) {
            if (!digit(s, i)) {
                return -1;
            }
            x = x * 10 + s.charAt(i) - '0';
        }
        return x < min || x > max ? -1 : x;
    }

    private static boolean digit(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9';
    }
}
