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
 *
 * <p>Each control line is copied once into a reused array and parsed there (cheaper than byte-wise buffer access);
 * payloads are not copied: the handler reads them from the input buffer during its call.
 */
public final class ClientProtocolDecoder extends ByteToMessageDecoder {

    private static final int MAX_ARGS = 8;
    /** Sizes above this many digits are refused, as nats-server's parseSize does. */
    private static final int MAX_SIZE_DIGITS = 9;

    private final ClientProtocolHandler handler;
    private final InboundMessage message = new InboundMessage();
    private final int[] argStart = new int[MAX_ARGS];
    private final int[] argEnd = new int[MAX_ARGS];
    private byte[] line = new byte[512];
    private int lineLength;
    private boolean failed;

    public ClientProtocolDecoder(ClientProtocolHandler handler) {
        this.handler = handler;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        handler.onInputActivity();
        super.channelRead(ctx, msg);
    }

    /**
     * Unlike ByteToMessageDecoder's own, requests no further read when auto-read is off: reading is switched off on
     * purpose while a receiver of this client's messages is congested (back-pressure), and must stay off.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        discardSomeReadBytes();
        ctx.fireChannelReadComplete();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable() && !failed) {
            int start = in.readerIndex();
            int end = in.writerIndex();
            int lf = in.indexOf(start, end, (byte) '\n');
            if (lf < 0) {
                if (end - start > partialLineLimit(in, start, end)) {
                    fail(ProtocolErrors.MAX_CONTROL_LINE, "maximum control line exceeded: max_control_line "
                            + handler.maxControlLine() + ", received " + (end - start) + " bytes without a line end");
                }
                break;
            }
            int lineEnd = lf;
            if (lineEnd > start && in.getByte(lineEnd - 1) == '\r') {
                lineEnd--;
            }
            copyLine(in, start, lineEnd);
            in.readerIndex(lf + 1);
            if (!processLine(in, start)) {
                // a message whose payload has not fully arrived: its control line is read again with more bytes,
                // because between reads the decoder may compact or grow the buffer and move what it pointed at
                in.readerIndex(start);
                break;
            }
        }
        if (failed) {
            in.skipBytes(in.readableBytes());
        }
    }

    private void copyLine(ByteBuf in, int start, int end) {
        int len = end - start;
        if (line.length < len) {
            line = new byte[Math.max(len, line.length * 2)];
        }
        in.getBytes(start, line, 0, len);
        lineLength = len;
    }

    /** CONNECT lines may carry long JSON (tokens, JWTs): they may be as long as a payload. */
    private int partialLineLimit(ByteBuf in, int start, int end) {
        int limit = handler.maxControlLine();
        if (end - start >= 8) {
            copyLine(in, start, start + 8);
            if (opWithArgs("CONNECT") > 0) {
                return Math.max(limit, handler.maxPayload());
            }
        }
        return limit;
    }

    /**
     * Handles the control line in {@code line}; {@code lineIndex} is where it starts in {@code in}. Returns false
     * when it starts a message whose payload is not complete yet.
     */
    private boolean processLine(ByteBuf in, int lineIndex) {
        if (lineLength == 0) {
            fail(ProtocolErrors.UNKNOWN_OPERATION, "empty protocol line");
            return true;
        }
        int args;
        switch (line[0] | 0x20) {
            case 'p' -> {
                if ((args = opWithArgs("PUB")) > 0) {
                    return checkLineLength() && parsePub(in, lineIndex, args);
                } else if (opAlone("PING")) {
                    handler.onPing();
                } else if (opAlone("PONG")) {
                    handler.onPong();
                } else {
                    unknownOperation();
                }
            }
            case 'h' -> {
                if ((args = opWithArgs("HPUB")) > 0) {
                    return checkLineLength() && parseHpub(in, lineIndex, args);
                }
                unknownOperation();
            }
            case 's' -> {
                if ((args = opWithArgs("SUB")) > 0) {
                    if (checkLineLength()) {
                        parseSub(args);
                    }
                } else {
                    unknownOperation();
                }
            }
            case 'u' -> {
                if ((args = opWithArgs("UNSUB")) > 0) {
                    if (checkLineLength()) {
                        parseUnsub(args);
                    }
                } else {
                    unknownOperation();
                }
            }
            case 'c' -> {
                if ((args = opWithArgs("CONNECT")) > 0) {
                    handler.onConnect(new String(line, args, lineLength - args, StandardCharsets.UTF_8).trim());
                } else if (lineLength == 7 && opAlone("CONNECT")) {
                    handler.onConnect("");
                } else {
                    unknownOperation();
                }
            }
            case 'i' -> {
                // clients may echo INFO; nats-server accepts and ignores it
                if (opWithArgs("INFO") < 0) {
                    unknownOperation();
                }
            }
            default -> unknownOperation();
        }
        return true;
    }

    /** False (and the connection failed) when the line is over max_control_line. */
    private boolean checkLineLength() {
        if (lineLength > handler.maxControlLine()) {
            fail(ProtocolErrors.MAX_CONTROL_LINE, "maximum control line exceeded: max_control_line "
                    + handler.maxControlLine() + ", line of " + lineLength + " bytes");
            return false;
        }
        return true;
    }

    private boolean parsePub(ByteBuf in, int lineIndex, int from) {
        int n = splitArgs(from);
        if (n != 2 && n != 3) {
            parseError("processPub Parse Error", from);
            return true;
        }
        int size = parseSize(argStart[n - 1], argEnd[n - 1]);
        if (size < 0) {
            parseError("processPub Bad or Missing Size", from);
            return true;
        }
        if (size > handler.maxPayload()) {
            fail(ProtocolErrors.MAX_PAYLOAD, "maximum payload exceeded: " + size + " vs " + handler.maxPayload());
            return true;
        }
        return readMessage(in, lineIndex, n == 3, 0, size);
    }

    private boolean parseHpub(ByteBuf in, int lineIndex, int from) {
        if (!handler.headersEnabled()) {
            parseError("message headers not supported", from);
            return true;
        }
        int n = splitArgs(from);
        if (n != 3 && n != 4) {
            parseError("processHeaderPub Parse Error", from);
            return true;
        }
        int headerSize = parseSize(argStart[n - 2], argEnd[n - 2]);
        int totalSize = parseSize(argStart[n - 1], argEnd[n - 1]);
        if (headerSize < 0 || totalSize < 0) {
            parseError("processHeaderPub Bad or Missing Size", from);
            return true;
        }
        if (headerSize > totalSize) {
            parseError("processHeaderPub Header Size larger then TotalSize", from);
            return true;
        }
        if (totalSize > handler.maxPayload()) {
            fail(ProtocolErrors.MAX_PAYLOAD, "maximum payload exceeded: " + totalSize + " vs "
                    + handler.maxPayload());
            return true;
        }
        return readMessage(in, lineIndex, n == 4, headerSize, totalSize);
    }

    /**
     * Hands a message to the handler when its payload and closing CRLF are in (the reader index stands right after
     * the control line); false while bytes are missing.
     */
    private boolean readMessage(ByteBuf in, int lineIndex, boolean withReply, int headerSize, int totalSize) {
        int dataIndex = in.readerIndex();
        if (in.writerIndex() - dataIndex < totalSize + 2) {
            return false;
        }
        if (in.getByte(dataIndex + totalSize) != '\r' || in.getByte(dataIndex + totalSize + 1) != '\n') {
            fail(ProtocolErrors.UNKNOWN_OPERATION, "payload of " + totalSize + " bytes not followed by CRLF");
            return true;
        }
        String subject = new String(line, argStart[0], argEnd[0] - argStart[0], StandardCharsets.UTF_8);
        int replyIndex = withReply ? lineIndex + argStart[1] : -1;
        int replyLength = withReply ? argEnd[1] - argStart[1] : 0;
        message.setControl(in, lineIndex + argStart[0], argEnd[0] - argStart[0], subject, replyIndex, replyLength,
                headerSize, totalSize);
        message.setData(in, dataIndex);
        handler.onPublish(message);
        in.readerIndex(dataIndex + totalSize + 2);
        return true;
    }

    private void parseSub(int from) {
        int n = splitArgs(from);
        if (n != 2 && n != 3) {
            parseError("processSub Parse Error", from);
            return;
        }
        String subject = arg(0);
        String queue = n == 3 ? arg(1) : null;
        handler.onSubscribe(subject, queue, arg(n - 1));
    }

    private void parseUnsub(int from) {
        int n = splitArgs(from);
        if (n != 1 && n != 2) {
            parseError("processUnsub Parse Error", from);
            return;
        }
        long max = n == 2 ? parseSize(argStart[1], argEnd[1]) : -1;
        handler.onUnsubscribe(arg(0), max);
    }

    private String arg(int i) {
        return new String(line, argStart[i], argEnd[i] - argStart[i], StandardCharsets.UTF_8);
    }

    /** Splits the arguments of {@code line} from {@code from} on spaces and tabs; returns their count. */
    private int splitArgs(int from) {
        byte[] l = line;
        int to = lineLength;
        int n = 0;
        int i = from;
        while (i < to) {
            byte b = l[i];
            if (b == ' ' || b == '\t') {
                i++;
                continue;
            }
            if (n == MAX_ARGS) {
                return MAX_ARGS + 1;
            }
            argStart[n] = i;
            while (i < to && l[i] != ' ' && l[i] != '\t') {
                i++;
            }
            argEnd[n++] = i;
        }
        return n;
    }

    /** A non-negative decimal size, or -1 when empty, too long or not all digits (as nats-server's parseSize). */
    private int parseSize(int from, int to) {
        int len = to - from;
        if (len == 0 || len > MAX_SIZE_DIGITS) {
            return -1;
        }
        int n = 0;
        for (int i = from; i < to; i++) {
            int d = line[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            n = n * 10 + d;
        }
        return n;
    }

    /**
     * When the line starts with {@code op} (any case) followed by a space or tab, returns the index after that
     * separator; -1 otherwise.
     */
    private int opWithArgs(String op) {
        int n = op.length();
        if (lineLength <= n || !namePrefix(op)) {
            return -1;
        }
        byte sep = line[n];
        return sep == ' ' || sep == '\t' ? n + 1 : -1;
    }

    /** The line is {@code op} alone, or followed by a space or tab and anything (nats-server ignores the rest). */
    private boolean opAlone(String op) {
        int n = op.length();
        if (lineLength < n || !namePrefix(op)) {
            return false;
        }
        return lineLength == n || line[n] == ' ' || line[n] == '\t';
    }

    private boolean namePrefix(String op) {
        for (int i = 0; i < op.length(); i++) {
            if ((line[i] & 0xDF) != op.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private void unknownOperation() {
        fail(ProtocolErrors.UNKNOWN_OPERATION, "Client parser ERROR, proto='" + snippet(0) + "'");
    }

    private void parseError(String what, int from) {
        fail(null, what + ": \"" + snippet(from) + "\"");
    }

    private void fail(String clientError, String logDetail) {
        failed = true;
        handler.onProtocolViolation(clientError, logDetail);
    }

    private String snippet(int from) {
        int len = Math.max(0, Math.min(lineLength - from, 64));
        return new String(line, from, len, StandardCharsets.UTF_8);
    }
}
