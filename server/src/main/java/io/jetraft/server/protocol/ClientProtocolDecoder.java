package io.jetraft.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads the NATS client protocol (CONNECT, PUB, HPUB, SUB, UNSUB, PING, PONG; operation names in any case) from a
 * connection's bytes and calls its {@link ClientProtocolHandler} for each operation, in order. Partial input waits
 * for more bytes; a control line or payload over its limit, an unknown operation or malformed arguments end the
 * connection exactly as nats-server ends it. Runs on the connection's event loop and never blocks.
 */
public final class ClientProtocolDecoder extends ByteToMessageDecoder {

    private static final int MAX_ARGS = 8;
    /** Sizes above this many digits are refused, as nats-server's parseSize does. */
    private static final int MAX_SIZE_DIGITS = 9;

    private final ClientProtocolHandler handler;
    private final InboundMessage message = new InboundMessage();
    private final int[] argStart = new int[MAX_ARGS];
    private final int[] argEnd = new int[MAX_ARGS];
    private byte[] scratch = new byte[256];

    private boolean failed;

    public ClientProtocolDecoder(ClientProtocolHandler handler) {
        this.handler = handler;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        handler.onInputActivity();
        super.channelRead(ctx, msg);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable() && !failed) {
            int start = in.readerIndex();
            int end = in.writerIndex();
            int lf = in.indexOf(start, end, (byte) '\n');
            if (lf < 0) {
                if (end - start > lineLimit(in, start, end)) {
                    fail(ProtocolErrors.MAX_CONTROL_LINE, "maximum control line exceeded: max_control_line "
                            + handler.maxControlLine() + ", received " + (end - start) + " bytes without a line end");
                }
                return;
            }
            int lineEnd = lf;
            if (lineEnd > start && in.getByte(lineEnd - 1) == '\r') {
                lineEnd--;
            }
            in.readerIndex(lf + 1);
            if (!processLine(in, start, lineEnd)) {
                // a message whose payload has not fully arrived: its control line is read again with more bytes,
                // because between reads the decoder may compact or grow the buffer and move what it pointed at
                in.readerIndex(start);
                return;
            }
        }
        if (failed) {
            in.skipBytes(in.readableBytes());
        }
    }

    /** CONNECT lines may carry long JSON (tokens, JWTs): they may be as long as a payload. */
    private int lineLimit(ByteBuf in, int start, int end) {
        int limit = handler.maxControlLine();
        if (end - start >= 7 && opIs(in, start, end, "CONNECT") >= 0) {
            return Math.max(limit, handler.maxPayload());
        }
        return limit;
    }

    /** Handles one control line; false when it starts a message whose payload is not complete yet. */
    private boolean processLine(ByteBuf in, int start, int end) {
        if (start == end) {
            fail(ProtocolErrors.UNKNOWN_OPERATION, "empty protocol line");
            return true;
        }
        int argsFrom;
        switch (in.getByte(start) | 0x20) {
            case 'p' -> {
                if ((argsFrom = opIs(in, start, end, "PUB")) >= 0) {
                    checkLineLength(start, end);
                    if (!failed) {
                        return parsePub(in, argsFrom, end);
                    }
                } else if (opIsExactly(in, start, end, "PING")) {
                    handler.onPing();
                } else if (opIsExactly(in, start, end, "PONG")) {
                    handler.onPong();
                } else {
                    unknownOperation(in, start, end);
                }
            }
            case 'h' -> {
                if ((argsFrom = opIs(in, start, end, "HPUB")) >= 0) {
                    checkLineLength(start, end);
                    if (!failed) {
                        return parseHpub(in, argsFrom, end);
                    }
                } else {
                    unknownOperation(in, start, end);
                }
            }
            case 's' -> {
                if ((argsFrom = opIs(in, start, end, "SUB")) >= 0) {
                    checkLineLength(start, end);
                    if (!failed) {
                        parseSub(in, argsFrom, end);
                    }
                } else {
                    unknownOperation(in, start, end);
                }
            }
            case 'u' -> {
                if ((argsFrom = opIs(in, start, end, "UNSUB")) >= 0) {
                    checkLineLength(start, end);
                    if (!failed) {
                        parseUnsub(in, argsFrom, end);
                    }
                } else {
                    unknownOperation(in, start, end);
                }
            }
            case 'c' -> {
                if ((argsFrom = opIs(in, start, end, "CONNECT")) >= 0) {
                    handler.onConnect(in.toString(argsFrom, end - argsFrom, StandardCharsets.UTF_8).trim());
                } else if (end - start == 7 && opIsExactly(in, start, end, "CONNECT")) {
                    handler.onConnect("");
                } else {
                    unknownOperation(in, start, end);
                }
            }
            case 'i' -> {
                // clients may echo INFO; nats-server accepts and ignores it
                if (opIs(in, start, end, "INFO") < 0) {
                    unknownOperation(in, start, end);
                }
            }
            default -> unknownOperation(in, start, end);
        }
        return true;
    }

    private void checkLineLength(int start, int end) {
        if (end - start > handler.maxControlLine()) {
            fail(ProtocolErrors.MAX_CONTROL_LINE, "maximum control line exceeded: max_control_line "
                    + handler.maxControlLine() + ", line of " + (end - start) + " bytes");
        }
    }

    private boolean parsePub(ByteBuf in, int from, int to) {
        int n = splitArgs(in, from, to);
        if (n != 2 && n != 3) {
            parseError("processPub Parse Error", in, from, to);
            return true;
        }
        int size = parseSize(in, argStart[n - 1], argEnd[n - 1]);
        if (size < 0) {
            parseError("processPub Bad or Missing Size", in, from, to);
            return true;
        }
        if (size > handler.maxPayload()) {
            fail(ProtocolErrors.MAX_PAYLOAD, "maximum payload exceeded: " + size + " vs " + handler.maxPayload());
            return true;
        }
        return readMessage(in, n == 3, 0, size);
    }

    private boolean parseHpub(ByteBuf in, int from, int to) {
        if (!handler.headersEnabled()) {
            parseError("message headers not supported", in, from, to);
            return true;
        }
        int n = splitArgs(in, from, to);
        if (n != 3 && n != 4) {
            parseError("processHeaderPub Parse Error", in, from, to);
            return true;
        }
        int headerSize = parseSize(in, argStart[n - 2], argEnd[n - 2]);
        int totalSize = parseSize(in, argStart[n - 1], argEnd[n - 1]);
        if (headerSize < 0 || totalSize < 0) {
            parseError("processHeaderPub Bad or Missing Size", in, from, to);
            return true;
        }
        if (headerSize > totalSize) {
            parseError("processHeaderPub Header Size larger then TotalSize", in, from, to);
            return true;
        }
        if (totalSize > handler.maxPayload()) {
            fail(ProtocolErrors.MAX_PAYLOAD, "maximum payload exceeded: " + totalSize + " vs "
                    + handler.maxPayload());
            return true;
        }
        return readMessage(in, n == 4, headerSize, totalSize);
    }

    /**
     * Hands a message to the handler when its payload and closing CRLF are in (the reader index stands right after
     * the control line); false while bytes are missing.
     */
    private boolean readMessage(ByteBuf in, boolean withReply, int headerSize, int totalSize) {
        int dataIndex = in.readerIndex();
        if (in.writerIndex() - dataIndex < totalSize + 2) {
            return false;
        }
        if (in.getByte(dataIndex + totalSize) != '\r' || in.getByte(dataIndex + totalSize + 1) != '\n') {
            fail(ProtocolErrors.UNKNOWN_OPERATION, "payload of " + totalSize + " bytes not followed by CRLF");
            return true;
        }
        String subject = string(in, argStart[0], argEnd[0]);
        int replyIndex = withReply ? argStart[1] : -1;
        int replyLength = withReply ? argEnd[1] - argStart[1] : 0;
        message.setControl(in, argStart[0], argEnd[0] - argStart[0], subject, replyIndex, replyLength,
                headerSize, totalSize);
        message.setData(in, dataIndex);
        handler.onPublish(message);
        in.readerIndex(dataIndex + totalSize + 2);
        return true;
    }

    private void parseSub(ByteBuf in, int from, int to) {
        int n = splitArgs(in, from, to);
        if (n != 2 && n != 3) {
            parseError("processSub Parse Error", in, from, to);
            return;
        }
        String subject = string(in, argStart[0], argEnd[0]);
        String queue = n == 3 ? string(in, argStart[1], argEnd[1]) : null;
        String sid = string(in, argStart[n - 1], argEnd[n - 1]);
        handler.onSubscribe(subject, queue, sid);
    }

    private void parseUnsub(ByteBuf in, int from, int to) {
        int n = splitArgs(in, from, to);
        if (n != 1 && n != 2) {
            parseError("processUnsub Parse Error", in, from, to);
            return;
        }
        long max = n == 2 ? parseSize(in, argStart[1], argEnd[1]) : -1;
        handler.onUnsubscribe(string(in, argStart[0], argEnd[0]), max);
    }

    /** Splits arguments on spaces and tabs into argStart/argEnd; returns their count (MAX_ARGS + 1 if more). */
    private int splitArgs(ByteBuf in, int from, int to) {
        int n = 0;
        int i = from;
        while (i < to) {
            byte b = in.getByte(i);
            if (b == ' ' || b == '\t') {
                i++;
                continue;
            }
            if (n == MAX_ARGS) {
                return MAX_ARGS + 1;
            }
            argStart[n] = i;
            while (i < to) {
                b = in.getByte(i);
                if (b == ' ' || b == '\t') {
                    break;
                }
                i++;
            }
            argEnd[n++] = i;
        }
        return n;
    }

    /** A non-negative decimal size, or -1 when empty, too long or not all digits (as nats-server's parseSize). */
    private static int parseSize(ByteBuf in, int from, int to) {
        int len = to - from;
        if (len == 0 || len > MAX_SIZE_DIGITS) {
            return -1;
        }
        int n = 0;
        for (int i = from; i < to; i++) {
            int d = in.getByte(i) - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            n = n * 10 + d;
        }
        return n;
    }

    /**
     * Returns the index after the operation name and its separator when the line starts with {@code op} (any case)
     * followed by a space or tab; -1 otherwise.
     */
    private static int opIs(ByteBuf in, int start, int end, String op) {
        int n = op.length();
        if (end - start <= n) {
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if ((in.getByte(start + i) & 0xDF) != op.charAt(i)) {
                return -1;
            }
        }
        byte sep = in.getByte(start + n);
        return sep == ' ' || sep == '\t' ? start + n + 1 : -1;
    }

    /** The line is {@code op} alone, or followed by a space or tab and anything (nats-server ignores the rest). */
    private static boolean opIsExactly(ByteBuf in, int start, int end, String op) {
        int n = op.length();
        if (end - start < n) {
            return false;
        }
        if (end - start > n) {
            byte sep = in.getByte(start + n);
            if (sep != ' ' && sep != '\t') {
                return false;
            }
        }
        for (int i = 0; i < n; i++) {
            if ((in.getByte(start + i) & 0xDF) != op.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String string(ByteBuf in, int from, int to) {
        int len = to - from;
        if (scratch.length < len) {
            scratch = new byte[Math.max(len, scratch.length * 2)];
        }
        in.getBytes(from, scratch, 0, len);
        return new String(scratch, 0, len, StandardCharsets.UTF_8);
    }

    private void unknownOperation(ByteBuf in, int start, int end) {
        fail(ProtocolErrors.UNKNOWN_OPERATION, "Client parser ERROR, proto='" + snippet(in, start, end) + "'");
    }

    private void parseError(String what, ByteBuf in, int from, int to) {
        fail(null, what + ": \"" + snippet(in, from, to) + "\"");
    }

    private void fail(String clientError, String logDetail) {
        failed = true;
        handler.onProtocolViolation(clientError, logDetail);
    }

    private static String snippet(ByteBuf in, int from, int to) {
        int len = Math.min(to - from, 64);
        return in.toString(from, len, StandardCharsets.UTF_8);
    }
}
