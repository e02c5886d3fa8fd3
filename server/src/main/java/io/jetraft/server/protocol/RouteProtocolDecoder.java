package io.jetraft.server.protocol;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the route protocol between jetraft nodes, nats-server's words: INFO, CONNECT, RS+/RS- (interest),
 * RMSG/HRMSG (messages, with the queue groups the sender chose this node for), PING, PONG, +OK, -ERR. Anything else
 * (a client, a port scanner, garbage) ends the connection.
 */
public final class RouteProtocolDecoder extends LineDecoder {

    /** nats-server allows routes sixteen times a client's control line. */
    public static final int MAX_ROUTE_CONTROL_LINE = 16 * 4096;
    private static final int MAX_ARGS = 256;
    private static final String ACCOUNT = "$G";

    private final RouteProtocolHandler handler;

    public RouteProtocolDecoder(RouteProtocolHandler handler) {
        super(MAX_ARGS);
        this.handler = handler;
    }

    @Override
    protected int maxControlLine() {
        return MAX_ROUTE_CONTROL_LINE;
    }

    @Override
    protected void onViolation(String error, String logDetail) {
        handler.onProtocolViolation(error, logDetail);
    }

    @Override
    protected boolean processLine(ByteBuf in, int lineIndex) {
        if (line.length() == 0) {
            violation(ProtocolErrors.UNKNOWN_OPERATION, "empty protocol line");
            return true;
        }
        int args;
        switch (line.first() | 0x20) {
            case 'r' -> {
                if ((args = line.opWithArgs("RMSG")) > 0) {
                    return routedMessage(in, lineIndex, args, false, false);
                } else if ((args = line.opWithArgs("RS+")) > 0) {
                    interest(args, true);
                } else if ((args = line.opWithArgs("RS-")) > 0) {
                    interest(args, false);
                } else {
                    unknownOperation("Route");
                }
            }
            case 'h' -> {
                if ((args = line.opWithArgs("HRMSG")) > 0) {
                    return routedMessage(in, lineIndex, args, true, false);
                } else if ((args = line.opWithArgs("HDMSG")) > 0) {
                    return routedMessage(in, lineIndex, args, true, true);
                }
                unknownOperation("Route");
            }
            case 'd' -> {
                if ((args = line.opWithArgs("DMSG")) > 0) {
                    return routedMessage(in, lineIndex, args, false, true);
                }
                unknownOperation("Route");
            }
            case 'p' -> {
                if (line.opAlone("PING")) {
                    handler.onPing();
                } else if (line.opAlone("PONG")) {
                    handler.onPong();
                } else {
                    unknownOperation("Route");
                }
            }
            case 'i' -> {
                if ((args = line.opWithArgs("INFO")) > 0) {
                    handler.onInfo(line.rest(args).trim());
                } else {
                    unknownOperation("Route");
                }
            }
            case 'c' -> {
                if ((args = line.opWithArgs("CONNECT")) > 0) {
                    handler.onConnect(line.rest(args).trim());
                } else {
                    unknownOperation("Route");
                }
            }
            case '+' -> {
                if (!line.opAlone("+OK")) {
                    unknownOperation("Route");
                }
            }
            case '-' -> {
                if ((args = line.opWithArgs("-ERR")) > 0) {
                    handler.onPeerError(line.rest(args).trim());
                } else {
                    unknownOperation("Route");
                }
            }
            default -> unknownOperation("Route");
        }
        return true;
    }

    /** RS+ $G subject [queue weight] / RS- $G subject [queue]. */
    private void interest(int from, boolean add) {
        int n = line.split(from);
        boolean ok = add ? (n == 2 || n == 4) : (n == 2 || n == 3);
        if (!ok || !line.arg(0).equals(ACCOUNT)) {
            parseError(add ? "processRemoteSub Parse Error" : "processRemoteUnsub Parse Error", from);
            return;
        }
        String queue = n > 2 ? line.arg(2) : null;
        if (add) {
            handler.onRemoteSubscribe(line.arg(1), queue);
        } else {
            handler.onRemoteUnsubscribe(line.arg(1), queue);
        }
    }

    /**
     * RMSG $G subject [reply] size; RMSG $G subject + reply q1.. size; RMSG $G subject | q1.. size; HRMSG with a
     * header size before the total size. DMSG/HDMSG (jetraft's JetStream deliveries) carry the subject receivers see
     * right after the routing subject.
     */
    private boolean routedMessage(ByteBuf in, int lineIndex, int from, boolean withHeaders, boolean deliverAs) {
        int sizes = withHeaders ? 2 : 1;
        int shown = deliverAs ? 1 : 0;
        int n = line.split(from);
        if (n < 2 + shown + sizes || n > MAX_ARGS || !line.arg(0).equals(ACCOUNT)) {
            parseError("processRoutedMsgArgs Parse Error", from);
            return true;
        }
        int at = 2 + shown;
        int replyArg = -1;
        List<String> queues = List.of();
        int middle = n - sizes - at;
        if (middle == 1) {
            replyArg = at;
        } else if (middle > 1) {
            int firstQueue;
            if (line.argIs(at, '+') && middle >= 3) {
                replyArg = at + 1;
                firstQueue = at + 2;
            } else if (line.argIs(at, '|')) {
                firstQueue = at + 1;
            } else {
                parseError("processRoutedMsgArgs Bad Queue Marker", from);
                return true;
            }
            queues = new ArrayList<>(n - sizes - firstQueue);
            for (int i = firstQueue; i < n - sizes; i++) {
                queues.add(line.arg(i));
            }
        }
        int headerSize = withHeaders ? line.size(n - 2) : 0;
        int totalSize = line.size(n - 1);
        if (headerSize < 0 || totalSize < 0 || headerSize > totalSize) {
            parseError("processRoutedMsgArgs Bad or Missing Size", from);
            return true;
        }
        if (totalSize > handler.maxPayload()) {
            violation(ProtocolErrors.MAX_PAYLOAD, "routed message of " + totalSize + " bytes over max_payload");
            return true;
        }
        InboundMessage message = readMessage(in, lineIndex, 1, replyArg, headerSize, totalSize);
        if (message == null) {
            return hasFailed();
        }
        if (deliverAs) {
            message.deliverAs(line.arg(2));
        }
        handler.onRoutedMessage(message, queues);
        finishMessage(in);
        return true;
    }
}
