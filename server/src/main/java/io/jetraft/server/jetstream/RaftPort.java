package io.jetraft.server.jetstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * This node's Raft port at start-up: checked before Ratis binds it (Ratis reports a taken port only as a logged
 * stack trace and an exit), and a Raft server that did not start said in one line.
 */
final class RaftPort {

    private RaftPort() {
    }

    /** The Raft port is in use: the reason as a user can act on it. */
    static final class Taken extends IllegalStateException {
        Taken(String message) {
            super(message);
        }
    }

    /** Throws {@link Taken} unless {@code host:port} can be listened on now. */
    static void ensureFree(String address) {
        int colon = address.lastIndexOf(':');
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(address.substring(0, colon),
                    Integer.parseInt(address.substring(colon + 1))));
        } catch (IOException e) {
            throw new Taken("cannot listen for Raft on " + address + ": " + e.getMessage() + " (the Raft port is "
                    + "cluster.raft_listen, else the cluster port + 1000, or on a single node the client port + 1000; "
                    + "stop whatever holds it or choose other ports)");
        }
    }

    /** Why the Raft server on {@code address} did not start, with the innermost cause (Ratis wraps it deeply). */
    static RuntimeException startFailed(String address, Throwable e) {
        if (e instanceof Taken taken) {
            return taken;
        }
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String why = c.getMessage() == null ? c.toString() : c.getClass().getSimpleName() + ": " + c.getMessage();
        return new IllegalStateException("cannot start the Raft server on " + address + ": " + why, e);
    }
}
