package io.jetraft.server.node;

import io.jetraft.config.HostPort;
import io.netty.bootstrap.AbstractBootstrap;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/** Binds a listener and turns a failure into nats-server's words, naming the address. */
public final class Binding {

    private Binding() {
    }

    /**
     * @param what "port" for clients, "monitoring port", "cluster port"
     * @throws IllegalStateException "Error listening on port: host:port, "address already in use""
     */
    public static Channel bind(AbstractBootstrap<?, ?> bootstrap, HostPort listen, String what) {
        try {
            return bootstrap.bind(new InetSocketAddress(listen.host(), listen.port())).syncUninterruptibly().channel();
        } catch (Exception e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            if (reason.contains("Address already in use")) {
                reason = "address already in use";
            }
            throw new IllegalStateException("Error listening on " + what + ": " + listen + ", \"" + reason + "\"", e);
        }
    }
}
