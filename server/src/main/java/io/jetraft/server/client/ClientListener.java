package io.jetraft.server.client;

import io.jetraft.config.HostPort;
import io.jetraft.server.node.EventLoops;
import io.jetraft.server.protocol.ClientProtocolDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;

/** The client port: accepts NATS client connections and gives each a decoder and a {@link ClientConnection}. */
public final class ClientListener implements AutoCloseable {

    private final ClientContext context;
    private final EventLoops loops;
    private Channel serverChannel;
    private volatile int boundPort;

    public ClientListener(ClientContext context, EventLoops loops) {
        this.context = context;
        this.loops = loops;
    }

    /** Binds the listen address; throws if the port is taken. */
    public void bind(HostPort listen) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.acceptors(), loops.workers())
                .channel(loops.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ClientConnection connection = new ClientConnection(context, ch, boundPort);
                        ch.pipeline().addLast("decoder", new ClientProtocolDecoder(connection));
                        ch.pipeline().addLast("client", connection);
                    }
                });
        serverChannel = io.jetraft.server.node.Binding.bind(bootstrap, listen, "port");
        boundPort = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public int port() {
        return boundPort;
    }

    public boolean isListening() {
        Channel ch = serverChannel;
        return ch != null && ch.isOpen();
    }

    /** Stops accepting new connections; open ones are not touched. */
    @Override
    public void close() {
        Channel ch = serverChannel;
        if (ch != null) {
            ch.close().syncUninterruptibly();
        }
    }
}
