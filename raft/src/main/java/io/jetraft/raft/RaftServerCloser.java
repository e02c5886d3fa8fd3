package io.jetraft.raft;

import io.jetraft.raft.group.GroupStateMachine;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Closes a node's Ratis server, in two parts a caller can wait for separately. Two threads start at once: one closes
 * the Raft port and the connections to the peers (peers stop hearing from this node at once and elect among
 * themselves, even when a division is slow), the other the server with its divisions. As soon as the port refuses
 * connections and every group's state machine has stopped applying, nothing of the Raft layer reaches the peers or
 * changes the store any more, and {@link #closeGroups} returns. The rest is Ratis letting go: each log worker exits
 * only after its one-second poll times out, and a connection to a peer with a call in flight is given up to three
 * seconds to end gracefully; {@link #awaitClosed} waits for that before the store is closed and the process exits.
 * Both waits are bounded by a watchdog (Ratis's close waits on pending applies); a timeout is reported, and Ratis goes
 * on closing in the background.
 */
final class RaftServerCloser {

    private static final Logger LOG = LoggerFactory.getLogger(RaftServerCloser.class);
    private static final long POLL_MS = 5;

    private final String node;
    private final InetSocketAddress port;
    private final Thread rpc;
    private final Thread thread;
    private final List<GroupStateMachine> machines;

    RaftServerCloser(String node, String raftAddress, RaftServer server, List<GroupStateMachine> machines) {
        this.node = node;
        this.port = new InetSocketAddress(connectableHost(RaftAddress.host(raftAddress)),
                RaftAddress.parse(raftAddress, node));
        this.machines = List.copyOf(machines);
        this.rpc = new Thread(() -> {
            try {
                server.getServerRpc().close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: closing the Raft port: {}", node, e.toString());
            }
        }, "jetraft-raft-close-port-" + node);
        this.thread = new Thread(() -> {
            try {
                server.close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: closing the Raft server: {}", node, e.toString());
            }
        }, "jetraft-raft-close-" + node);
        rpc.setDaemon(true);
        thread.setDaemon(true);
    }

    /** Starts closing; returns true once the port is closed and every group stopped applying, false at the watchdog. */
    boolean closeGroups(Duration watchdog) {
        rpc.start();
        thread.start();
        long deadline = System.nanoTime() + watchdog.toNanos();
        while ((thread.isAlive() || rpc.isAlive())
                && !(machines.stream().allMatch(GroupStateMachine::isClosed) && refusesConnections())) {
            if (System.nanoTime() >= deadline) {
                LOG.error("{}: the Raft groups did not stop within {} ms (a state machine may be stuck applying); "
                        + "they go on closing in the background", node, watchdog.toMillis());
                return false;
            }
            sleep();
        }
        return true;
    }

    /** Waits until Ratis has closed everything (its log files too); false when the watchdog fired first. */
    boolean awaitClosed(Duration watchdog) {
        long deadline = System.nanoTime() + watchdog.toNanos();
        try {
            thread.join(Math.max(1, watchdog.toMillis()));
            rpc.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive() || rpc.isAlive()) {
            LOG.error("{}: the Raft server did not close within {} ms; it goes on closing in the background", node,
                    watchdog.toMillis());
            return false;
        }
        return true;
    }

    /** Whether nothing listens on the Raft port any more (a connect on this host is refused). */
    private boolean refusesConnections() {
        try (Socket s = new Socket()) {
            s.connect(port, 50);
            return false;
        } catch (IOException refused) {
            return true;
        }
    }

    private static String connectableHost(String host) {
        return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    }

    private static void sleep() {
        try {
            TimeUnit.MILLISECONDS.sleep(POLL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
