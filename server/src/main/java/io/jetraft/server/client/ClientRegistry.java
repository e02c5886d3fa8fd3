package io.jetraft.server.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The open client connections of this node by cid, and the most recent closed ones (for /connz?state=closed). */
public final class ClientRegistry {

    private static final int CLOSED_KEPT = 1000;

    private final AtomicLong nextCid = new AtomicLong();
    private final ConcurrentHashMap<Long, ClientConnection> open = new ConcurrentHashMap<>();
    private final ArrayDeque<ConnectionSnapshot> closed = new ArrayDeque<>();

    long nextCid() {
        return nextCid.incrementAndGet();
    }

    /** Registers a connection unless that would exceed {@code max}; returns false then. */
    boolean register(ClientConnection connection, int max) {
        synchronized (open) {
            if (max > 0 && open.size() >= max) {
                return false;
            }
            open.put(connection.cid(), connection);
            return true;
        }
    }

    void unregister(ClientConnection connection, ConnectionSnapshot finalState) {
        if (open.remove(connection.cid()) == null) {
            return;
        }
        synchronized (closed) {
            if (closed.size() == CLOSED_KEPT) {
                closed.removeFirst();
            }
            closed.addLast(finalState);
        }
    }

    public int size() {
        return open.size();
    }

    public Collection<ClientConnection> open() {
        return List.copyOf(open.values());
    }

    public List<ConnectionSnapshot> closed() {
        synchronized (closed) {
            return new ArrayList<>(closed);
        }
    }
}
