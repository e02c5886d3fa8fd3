package io.jetraft.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * Reads the NATS client protocol (CONNECT, PUB, HPUB, SUB, UNSUB, PING, PONG; operation names in any case) from a
 * connection's bytes and calls its {@link ClientProtocolHandler} for each operation, in order. A control line or
 * payload over its limit, an unknown operation or malformed arguments end the connection exactly as nats-server
 * ends it. Runs on the connection's event loop and never blocks.
 */
public final class ClientProtocolDecoder extends LineDecoder {

    private static final int MAX_ARGS = 8;

    private final ClientProtocolHandler handler;

    public ClientProtocolDecoder(ClientProtocolHandler handler) {
        super(MAX_ARGS);
        this.handler = handler;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        handler.onInputActivity();
        super.channelRead(ctx, msg);
    }

    @Override
    protected int maxControlLine() {
        return handler.maxControlLine();
    }

    /** CONNECT lines may carry long JSON (tokens, JWTs): they may be as long as a payload. */
    @Override
    protected int partialLineLimit(ByteBuf in, int start, int end) {
        int limit = handler.maxControlLine();
        if (end - start >= 8) {
            line.copyFrom(in, start, start + 8);
            if (line.opWithArgs("CONNECT") > 0) {
                return Math.max(limit, handler.maxPayload());
            }
        }
        return limit;
    }

    @Override
    protected void onViolation(String clientError, String logDetail) {
        handler.onProtocolViolation(clientError, logDetail);
    }

    @Override
    protected boolean processLine(ByteBuf in, int lineIndex) {
        if (line.length() == 0) {
            violation(ProtocolErrors.UNKNOWN_OPERATION, "empty protocol line");
            return true;
        }
        int args;
        switch (line.first() | 0x20) {
            case 'p' -> {
                if ((args = line.opWithArgs("PUB")) > 0) {
                    return !checkLineLength() || publish(in, lineIndex, args, false);
                } else if (line.opAlone("PING")) {
                    handler.onPing();
                } else if (line.opAlone("PONG")) {
                    handler.onPong();
                } else {
                    unknownOperation("Client");
                }
            }
            case 'h' -> {
                if ((args = line.opWithArgs("HPUB")) > 0) {
                    return !checkLineLength() || publish(in, lineIndex, args, true);
                }
                unknownOperation("Client");
            }
            case 's' -> {
                if ((args = line.opWithArgs("SUB")) > 0) {
                    if (checkLineLength()) {
                        subscribe(args);
                    }
                } else {
                    unknownOperation("Client");
                }
            }
            case 'u' -> {
                if ((args = line.opWithArgs("UNSUB")) > 0) {
                    if (checkLineLength()) {
                        unsubscribe(args);
                    }
                } else {
                    unknownOperation("Client");
                }
            }
            case 'c' -> {
                if ((args = line.opWithArgs("CONNECT")) > 0) {
                    handler.onConnect(line.rest(args).trim());
                } else if (line.length() == 7 && line.opAlone("CONNECT")) {
                    handler.onConnect("");
                } else {
                    unknownOperation("Client");
                }
            }
            case 'i' -> {
                // clients may echo INFO; nats-server accepts and ignores it
                if (line.opWithArgs("INFO") < 0) {
                    unknownOperation("Client");
                }
            }
            default -> unknownOperation("Client");
        }
        return true;
    }

    /** PUB subject [reply] size, or HPUB subject [reply] hdr_size total_size. */
    private boolean publish(ByteBuf in, int lineIndex, int from, boolean withHeaders) {
        String op = withHeaders ? "processHeaderPub" : "processPub";
        if (withHeaders && !handler.headersEnabled()) {
            parseError("message headers not supported", from);
            return true;
        }
        int sizes = withHeaders ? 2 : 1;
        int n = line.split(from);
        if (n != 1 + sizes && n != 2 + sizes) {
            parseError(op + " Parse Error", from);
            return true;
        }
        int headerSize = withHeaders ? line.size(n - 2) : 0;
        int totalSize = line.size(n - 1);
        if (headerSize < 0 || totalSize < 0) {
            parseError(op + " Bad or Missing Size", from);
            return true;
        }
        if (headerSize > totalSize) {
            parseError(op + " Header Size larger then TotalSize", from);
            return true;
        }
        if (totalSize > handler.maxPayload()) {
            violation(ProtocolErrors.MAX_PAYLOAD, "maximum payload exceeded: " + totalSize + " vs "
                    + handler.maxPayload());
            return true;
        }
        InboundMessage message = readMessage(in, lineIndex, 0, n == 2 + sizes ? 1 : -1, headerSize, totalSize);
        if (message == null) {
            return hasFailed();
        }
        handler.onPublish(message);
        finishMessage(in);
        return true;
    }

    private void subscribe(int from) {
        int n = line.split(from);
        if (n != 2 && n != 3) {
            parseError("processSub Parse Error", from);
            return;
        }
        handler.onSubscribe(line.arg(0), n == 3 ? line.arg(1) : null, line.arg(n - 1));
    }

    private void unsubscribe(int from) {
        int n = line.split(from);
        if (n != 1 && n != 2) {
            parseError("processUnsub Parse Error", from);
            return;
        }
        handler.onUnsubscribe(line.arg(0), n == 2 ? line.size(1) : -1);
    }
}
