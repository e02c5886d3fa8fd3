package io.jetraft.server.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free loopback ports for tests that must know a port before the server binds it (routes, restarts). */
public final class Ports {

    /** Ports handed out in this JVM: never hand out one twice (the OS may offer a just-closed port again). */
    private static final Set<Integer> GIVEN = new HashSet<>();

    private Ports() {
    }

    public static synchronized int free() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket s = new ServerSocket(0)) {
                int port = s.getLocalPort();
                if (GIVEN.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no unused free port found");
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
        try (ServerSocket s = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
