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
    // traffic of connections that have closed; open ones are summed when asked
    private final java.util.concurrent.atomic.LongAdder closedInMsgs = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder closedInBytes = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder closedOutMsgs = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder closedOutBytes = new java.util.concurrent.atomic.LongAdder();

    /** Messages and bytes in and out over every client connection this node has had. */
    public record Traffic(long inMsgs, long inBytes, long outMsgs, long outBytes) {
    }

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
        closedInMsgs.add(finalState.inMsgs());
        closedInBytes.add(finalState.inBytes());
        closedOutMsgs.add(finalState.outMsgs());
        closedOutBytes.add(finalState.outBytes());
        synchronized (closed) {
            if (closed.size() == CLOSED_KEPT) {
                closed.removeFirst();
            }
            closed.addLast(finalState);
        }
    }

    public Traffic traffic() {
        long im = closedInMsgs.sum();
        long ib = closedInBytes.sum();
        long om = closedOutMsgs.sum();
        long ob = closedOutBytes.sum();
        for (ClientConnection c : open.values()) {
            ConnectionSnapshot s = c.snapshot(false);
            im += s.inMsgs();
            ib += s.inBytes();
            om += s.outMsgs();
            ob += s.outBytes();
        }
        return new Traffic(im, ib, om, ob);
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
