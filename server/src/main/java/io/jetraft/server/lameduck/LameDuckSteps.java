package io.jetraft.server.lameduck;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** What the lame-duck drain asks of the node, one method per step of the sequence in DESIGN.md. */
public interface LameDuckSteps {

    /** Step 1: stop accepting clients and tell the other nodes at once (they mark this node offline). */
    void closeClientListener();

    /**
     * Step 2: move every Raft leadership this node holds to a current follower, all groups in parallel, within
     * {@code bound}, and keep this node from being elected again.
     *
     * @return a one-line summary for the log (groups moved, not moved, why)
     */
    String transferLeadership(Duration bound);

    /** Step 3: consumers stop delivering, this node answers no more JetStream API requests. */
    void stopStreamLayer();

    /** Step 4: shut down the Raft groups and the Raft server (under a watchdog). */
    void stopRaft();

    /** Step 5: wait until the accept loops have stopped. */
    void awaitListenersClosed();

    /** The clients to drain, counted once before anyone is told. */
    List<? extends DrainedClient> clients();

    /** Step 6: tell the routes, so that the other nodes stop advertising this node. */
    void announceToRoutes();

    /** Step 7: send every client INFO with "ldm":true and the other nodes' connect_urls. */
    void announceToClients();

    /** Step 10: shut down (the process then exits 0). */
    void shutdown();

    /** A client the drain closes, without -ERR. */
    interface DrainedClient {
        /**
         * Begins closing the connection, letting what is in flight on it finish; completes once it is closed and
         * nothing it sent is left on this node.
         */
        CompletableFuture<Void> depart();
    }
}
