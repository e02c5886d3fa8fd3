package io.jetraft.server.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free loopback ports for tests that must know a port before the server binds it (routes, restarts). */
public final class Ports {

    /** Ports handed out in this JVM: never hand out one twice (the OS may offer a just-closed port again). */
    private static final Set<Integer> GIVEN = new HashSet<>();

    private Ports() {
    }

    private static final int PORTS_FROM = 20_000;
    private static final int PORTS_TO = 31_000;
    private static int next = java.util.concurrent.ThreadLocalRandom.current().nextInt(PORTS_TO - PORTS_FROM);

    /**
     * A port nothing listens on now, below Linux's ephemeral range (32768-60999). Not one the kernel picks (port 0):
     * it gives those to outgoing connections too, and in CI a client connection took one between this check and
     * the node's bind ("address already in use").
     */
    public static synchronized int free() {
        for (int attempt = 0; attempt < PORTS_TO - PORTS_FROM; attempt++) {
            int port = PORTS_FROM + Math.floorMod(next++, PORTS_TO - PORTS_FROM);
            if (!GIVEN.contains(port) && bindable(port)) {
                GIVEN.add(port);
                return port;
            }
        }
        throw new IllegalStateException("no unused free port in " + PORTS_FROM + "-" + PORTS_TO);
    }

    /**
     * A free port whose port + {@code offset} is free too (a single JetStream node's Raft port is its client port
     * + 1000); both are handed out.
     */
    public static synchronized int freeWithOffset(int offset) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = free();
            if (port + offset <= 65535 && !GIVEN.contains(port + offset) && bindable(port + offset)) {
                GIVEN.add(port + offset);
                return port;
            }
        }
        throw new IllegalStateException("no free port p with p + " + offset + " free too");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new java.net.InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
