package io.jetraft.server.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * One protocol control line (without its CRLF), copied out of the input buffer into a reused array and split into
 * arguments there: cheaper than byte-wise buffer access, and nothing is allocated unless a string is asked for.
 */
final class ControlLine {

    /** Sizes above this many digits are refused, as nats-server's parseSize does. */
    private static final int MAX_SIZE_DIGITS = 9;

    private final int[] argStart;
    private final int[] argEnd;
    private byte[] bytes = new byte[512];
    private int length;
    private int count;

    ControlLine(int maxArgs) {
        this.argStart = new int[maxArgs];
        this.argEnd = new int[maxArgs];
    }

    void copyFrom(ByteBuf in, int start, int end) {
        int len = end - start;
        if (bytes.length < len) {
            bytes = new byte[Math.max(len, bytes.length * 2)];
        }
        in.getBytes(start, bytes, 0, len);
        length = len;
    }

    int length() {
        return length;
    }

    byte first() {
        return bytes[0];
    }

    /**
     * When the line starts with {@code op} (any case) followed by a space or tab, returns the index after that
     * separator; -1 otherwise.
     */
    int opWithArgs(String op) {
        int n = op.length();
        if (length <= n || !namePrefix(op)) {
            return -1;
        }
        byte sep = bytes[n];
        return sep == ' ' || sep == '\t' ? n + 1 : -1;
    }

    /** The line is {@code op} alone, or followed by a space or tab and anything (nats-server ignores the rest). */
    boolean opAlone(String op) {
        int n = op.length();
        if (length < n || !namePrefix(op)) {
            return false;
        }
        return length == n || bytes[n] == ' ' || bytes[n] == '\t';
    }

    private boolean namePrefix(String op) {
        for (int i = 0; i < op.length(); i++) {
            int b = bytes[i];
            if (b >= 'a' && b <= 'z') {
                b -= 'a' - 'A';
            }
            if (b != op.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Splits the arguments from {@code from} on spaces and tabs; returns their count (capacity + 1 if more). */
    int split(int from) {
        byte[] l = bytes;
        int n = 0;
        int i = from;
        while (i < length) {
            byte b = l[i];
            if (b == ' ' || b == '\t') {
                i++;
                continue;
            }
            if (n == argStart.length) {
                count = n + 1;
                return count;
            }
            argStart[n] = i;
            while (i < length && l[i] != ' ' && l[i] != '\t') {
                i++;
            }
            argEnd[n++] = i;
        }
        count = n;
        return n;
    }

    int argStart(int i) {
        return argStart[i];
    }

    int argLength(int i) {
        return argEnd[i] - argStart[i];
    }

    String arg(int i) {
        return new String(bytes, argStart[i], argEnd[i] - argStart[i], StandardCharsets.UTF_8);
    }

    /** Whether argument i is exactly the one character c. */
    boolean argIs(int i, char c) {
        return argEnd[i] - argStart[i] == 1 && bytes[argStart[i]] == c;
    }

    /** Argument i as a non-negative decimal size, or -1 when empty, too long or not all digits. */
    int size(int i) {
        int from = argStart[i];
        int to = argEnd[i];
        int len = to - from;
        if (len == 0 || len > MAX_SIZE_DIGITS) {
            return -1;
        }
        int n = 0;
        for (int k = from; k < to; k++) {
            int d = bytes[k] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            n = n * 10 + d;
        }
        return n;
    }

    String rest(int from) {
        return new String(bytes, from, length - from, StandardCharsets.UTF_8);
    }

    String snippet(int from) {
        int len = Math.max(0, Math.min(length - from, 64));
        return new String(bytes, from, len, StandardCharsets.UTF_8);
    }
}
