package io.jetraft.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * The common loop of the NATS text protocols (client and route): find each CRLF-terminated control line, let the
 * subclass handle it, and for messages wait until payload and closing CRLF are in. A message whose payload has not
 * fully arrived has its control line read again with more bytes, because between reads the decoder may compact or
 * grow the buffer and move what the line pointed at. After a violation everything else is discarded.
 */
abstract class LineDecoder extends ByteToMessageDecoder {

    protected final ControlLine line;
    private final InboundMessage message = new InboundMessage();
    private boolean failed;

    LineDecoder(int maxArgs) {
        this.line = new ControlLine(maxArgs);
    }

    /**
     * Unlike ByteToMessageDecoder's own, requests no further read when auto-read is off: reading is switched off on
     * purpose while a receiver of this connection's messages is congested (back-pressure), and must stay off.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        discardSomeReadBytes();
        ctx.fireChannelReadComplete();
    }

    /** Deliveries caused by this read are flushed once, after the whole read (see FlushBatch). */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        io.jetraft.server.outbound.FlushBatch.begin();
        try {
            super.channelRead(ctx, msg);
        } finally {
            io.jetraft.server.outbound.FlushBatch.end();
        }
    }

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable() && !failed) {
            int start = in.readerIndex();
            int end = in.writerIndex();
            int lf = in.indexOf(start, end, (byte) '\n');
            if (lf < 0) {
                if (end - start > partialLineLimit(in, start, end)) {
                    violation(ProtocolErrors.MAX_CONTROL_LINE, "maximum control line exceeded: max_control_line "
                            + maxControlLine() + ", received " + (end - start) + " bytes without a line end");
                }
                break;
            }
            int lineEnd = lf;
            if (lineEnd > start && in.getByte(lineEnd - 1) == '\r') {
                lineEnd--;
            }
            line.copyFrom(in, start, lineEnd);
            in.readerIndex(lf + 1);
            if (!processLine(in, start)) {
                in.readerIndex(start);
                break;
            }
        }
        if (failed) {
            in.skipBytes(in.readableBytes());
        }
    }

    /**
     * Handles the control line in {@link #line}; {@code lineIndex} is where it starts in {@code in}.
     *
     * @return false when it starts a message whose payload is not complete yet
     */
    protected abstract boolean processLine(ByteBuf in, int lineIndex);

    /** The longest a control line may be. */
    protected abstract int maxControlLine();

    /** The longest a line without its end may grow before it is refused (long JSON lines may be allowed more). */
    protected int partialLineLimit(ByteBuf in, int start, int end) {
        return maxControlLine();
    }

    /** Report the violation to the connection; the decoder stops. */
    protected abstract void onViolation(String clientError, String logDetail);

    protected final void violation(String clientError, String logDetail) {
        failed = true;
        onViolation(clientError, logDetail);
    }

    /** False (and the connection failed) when the line is over the control line limit. */
    protected final boolean checkLineLength() {
        if (line.length() > maxControlLine()) {
            violation(ProtocolErrors.MAX_CONTROL_LINE, "maximum control line exceeded: max_control_line "
                    + maxControlLine() + ", line of " + line.length() + " bytes");
            return false;
        }
        return true;
    }

    /**
     * Builds the message whose control line is in {@link #line} (subject at argument {@code subjectArg}, reply at
     * {@code replyArg} or -1) once its payload and closing CRLF are in; the reader index stands right after the line.
     *
     * @return null while bytes are missing (the caller returns false), the message otherwise; after it is handled
     *         the caller must call {@link #finishMessage}
     */
    protected final InboundMessage readMessage(ByteBuf in, int lineIndex, int subjectArg, int replyArg,
                                               int headerSize, int totalSize) {
        int dataIndex = in.readerIndex();
        if (in.writerIndex() - dataIndex < totalSize + 2) {
            return null;
        }
        if (in.getByte(dataIndex + totalSize) != '\r' || in.getByte(dataIndex + totalSize + 1) != '\n') {
            violation(ProtocolErrors.UNKNOWN_OPERATION, "payload of " + totalSize + " bytes not followed by CRLF");
            return null;
        }
        int replyIndex = replyArg < 0 ? -1 : lineIndex + line.argStart(replyArg);
        int replyLength = replyArg < 0 ? 0 : line.argLength(replyArg);
        message.setControl(in, lineIndex + line.argStart(subjectArg), line.argLength(subjectArg),
                line.arg(subjectArg), replyIndex, replyLength, headerSize, totalSize);
        message.setData(in, dataIndex);
        return message;
    }

    protected final void finishMessage(ByteBuf in) {
        in.readerIndex(in.readerIndex() + message.totalLength() + 2);
    }

    protected final boolean hasFailed() {
        return failed;
    }

    protected final void unknownOperation(String who) {
        violation(ProtocolErrors.UNKNOWN_OPERATION, who + " parser ERROR, proto='" + line.snippet(0) + "'");
    }

    protected final void parseError(String what, int from) {
        violation(null, what + ": \"" + line.snippet(from) + "\"");
    }
}
