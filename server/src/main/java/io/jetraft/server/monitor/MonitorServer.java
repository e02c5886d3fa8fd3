package io.jetraft.server.monitor;

import io.jetraft.config.HostPort;
import io.jetraft.server.node.EventLoops;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP monitoring port (-m / http_port): routes GET requests by path to {@link MonitorEndpoint}s. */
public final class MonitorServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MonitorServer.class);

    private final EventLoops loops;
    private final Map<String, MonitorEndpoint> endpoints = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> requestCounts = new ConcurrentHashMap<>();
    /** Answers requests in order of arrival, off the event loops; stopped by {@link #close}. */
    private final ExecutorService handlers = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jetraft-monitor");
        t.setDaemon(true);
        return t;
    });
    private Channel serverChannel;
    private volatile int boundPort;

    public MonitorServer(EventLoops loops) {
        this.loops = loops;
    }

    public void register(String path, MonitorEndpoint endpoint) {
        endpoints.put(path, endpoint);
    }

    /** Requests served per path, as /varz's http_req_stats. */
    public Map<String, Long> requestCounts() {
        Map<String, Long> out = new java.util.TreeMap<>();
        requestCounts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    public void bind(HostPort listen) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.acceptors(), loops.workers())
                .channel(loops.serverChannelType())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192));
                        ch.pipeline().addLast(new HttpObjectAggregator(64 * 1024));
                        ch.pipeline().addLast(new RequestHandler());
                    }
                });
        serverChannel = io.jetraft.server.node.Binding.bind(bootstrap, listen, "monitoring port");
        boundPort = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public int port() {
        return boundPort;
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        handlers.shutdownNow();
    }

    private final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            String path = uri.path();
            if (path.length() > 1 && path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            MonitorEndpoint endpoint = endpoints.get(path);
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            boolean decoded = request.decoderResult().isSuccess();
            String counted = path;
            Map<String, java.util.List<String>> parameters = uri.parameters();
            try {
                // endpoints read stores and wait on streams' executors: never on this event loop. Every answer goes
                // through the one handler thread, so pipelined requests are answered in order.
                handlers.execute(() -> respond(ctx, !decoded ? MonitorResponse.text(400, "Bad Request")
                        : endpoint == null ? MonitorResponse.text(404, "404 page not found\n")
                        : answer(counted, endpoint, parameters), keepAlive));
            } catch (RejectedExecutionException e) {
                ctx.close();
            }
        }

        private MonitorResponse answer(String path, MonitorEndpoint endpoint,
                                       Map<String, java.util.List<String>> parameters) {
            requestCounts.computeIfAbsent(path, p -> new LongAdder()).increment();
            try {
                return endpoint.handle(parameters);
            } catch (QueryParams.BadQueryException e) {
                return MonitorResponse.text(400, e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("monitoring endpoint {} failed", path, e);
                return MonitorResponse.text(500, "internal error: " + e.getMessage());
            }
        }

        private void respond(ChannelHandlerContext ctx, MonitorResponse response, boolean keepAlive) {
            ByteBuf body = Unpooled.copiedBuffer(response.body(), StandardCharsets.UTF_8);
            FullHttpResponse http = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(response.status()), body);
            http.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
            http.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
            http.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            HttpUtil.setKeepAlive(http, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(http);
            } else {
                ctx.writeAndFlush(http).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("monitoring connection error: {}", cause.toString());
            ctx.close();
        }
    }
}
