package io.jetraft.server.node;

import io.jetraft.config.ServerConfig;
import io.jetraft.server.client.ClientConnection;
import io.jetraft.server.client.ClientContext;
import io.jetraft.server.client.ClientListener;
import io.jetraft.server.client.ClientRegistry;
import io.jetraft.server.client.DepartedInboxes;
import io.jetraft.server.client.InfoFactory;
import io.jetraft.server.dispatch.Dispatcher;
import io.jetraft.server.lameduck.LameDuckDrain;
import io.jetraft.server.lameduck.LameDuckSteps;
import io.jetraft.server.monitor.ConnzEndpoint;
import io.jetraft.server.monitor.HealthCheck;
import io.jetraft.server.monitor.HealthzEndpoint;
import io.jetraft.server.monitor.MonitorResponse;
import io.jetraft.server.monitor.MonitorServer;
import io.jetraft.server.monitor.RoutezEndpoint;
import io.jetraft.server.monitor.VarzEndpoint;
import io.jetraft.server.route.ClusterRoutes;
import io.jetraft.server.subject.InterestListener;
import io.jetraft.server.subject.SubjectIndex;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One jetraft node: owns its event loops, client listener, monitoring port and everything they share, and its life
 * ({@link NodeState}). {@link #start} brings it up; {@link #shutdown} takes it down in reverse order.
 */
public final class JetraftNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("jetraft");

    private final LiveConfig config;
    private final NodeIdentity identity;
    /** Where this node's Raft server listens ("" without JetStream and cluster). */
    private final String raftAddress;
    private final ServerStats stats = new ServerStats();
    private final SubjectIndex index = new SubjectIndex();
    private final ClientRegistry clients = new ClientRegistry();
    private final InfoFactory info;
    private final EventLoops loops;
    private final ClientListener clientListener;
    private final MonitorServer monitor;
    private final ClusterRoutes routes;
    private final io.jetraft.server.internal.InternalClient internal;
    private volatile io.jetraft.server.jetstream.JetStreamService jetstream;
    private final AtomicReference<NodeState> state = new AtomicReference<>(NodeState.STARTING);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile LameDuckDrain drain;
    private volatile Thread drainThread;

    private JetraftNode(ServerConfig initial) {
        this.config = new LiveConfig(initial);
        // a JetStream node is the node its store directory was written by (node.json); read before any port opens
        this.identity = initial.jetstream().enabled()
                ? new NodeIdentityFile(initial.jetstream().storeDir()).loadOrCreate(initial.serverName())
                : NodeIdentity.create(initial.serverName());
        this.raftAddress = raftAddress(initial);
        this.info = new InfoFactory(identity, config, initial.jetstream().enabled());
        this.loops = new EventLoops(Math.max(2, Runtime.getRuntime().availableProcessors()));
        Dispatcher dispatcher = new Dispatcher(index);
        this.routes = initial.cluster().isEmpty() ? null : new ClusterRoutes(config, identity, loops, index,
                dispatcher, () -> ClusterRoutes.advertisedClientUrls(config.get(), clientPort()),
                this::connectUrlsChanged, raftAddress, initial.jetstream().enabled());
        DepartedInboxes departed = new DepartedInboxes(loops.workers().next(), dispatcher);
        if (routes != null) {
            // a consumer ack, a pull or a node's forwarded API request ($JSR.) that a peer sent to this node's
            // stream leader just after it stopped leading goes on to the new leader instead of being lost here
            // (publishes: below)
            routes.onUnclaimed(m -> {
                // an answer or a pulled message for a client that just left this node in lame-duck mode
                departed.unclaimed(m);
                io.jetraft.server.jetstream.JetStreamService js = jetstream;
                if (js != null && (m.subject().startsWith("$JS.ACK.")
                        || m.subject().startsWith("$JS.API.CONSUMER.MSG.NEXT.") || m.subject().startsWith("$JSR."))) {
                    js.forwardToLeader(m.subject(), m.reply(), m.hasHeaders() ? m.headerBytes() : null,
                            m.payloadBytes());
                }
            });
            // a publish a peer sent to this node's stream leader just after it stopped leading: the peer chose this
            // node's member of the leaders' queue group and sent no other copy, so it goes on to the new leader
            routes.onQueueUnserved((m, queue) -> {
                io.jetraft.server.jetstream.JetStreamService js = jetstream;
                if (js != null && io.jetraft.server.jetstream.JetStreamService.LEADER_QUEUE.equals(queue)) {
                    js.forwardPublishToLeader(m.subject(), m.reply(), m.hasHeaders() ? m.headerBytes() : null,
                            m.payloadBytes());
                }
            });
        }
        InterestListener interest = routes == null ? InterestListener.NONE : routes;
        this.internal = new io.jetraft.server.internal.InternalClient(index, dispatcher, () -> interest);
        ClientContext context = new ClientContext(config, stats, index, clients, dispatcher, info, () -> interest,
                this::leaderSubject, departed);
        this.clientListener = new ClientListener(context, loops);
        this.monitor = new MonitorServer(loops);
    }

    /** Starts a node and returns once it accepts clients; on failure everything opened so far is closed again. */
    public static JetraftNode start(ServerConfig config) {
        JetraftNode node = new JetraftNode(config);
        try {
            node.startUp();
        } catch (Exception e) {
            node.shutdown();
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
        }
        return node;
    }

    private void startUp() {
        ServerConfig c = config.get();
        LOG.info("Starting jetraft");
        LOG.info("  Version:  {} (NATS protocol {})", NodeIdentity.JETRAFT_VERSION,
                NodeIdentity.NATS_COMPATIBLE_VERSION);
        LOG.info("  Name:     {}", identity.serverName());
        LOG.info("  ID:       {}", identity.serverId());
        c.configFile().ifPresent(f -> LOG.info("Using configuration file: {}", f));
        writePidFile(c);
        // the store and the Raft port first: a node that cannot have them opens no client, monitoring or route
        // port and dials no other node (the meta group forms later, once the routes are up)
        if (c.jetstream().enabled()) {
            jetstream = new io.jetraft.server.jetstream.JetStreamService(c, identity.serverName(), raftAddress,
                    internal, index, routes);
            jetstream.open();
        }

        monitor.register("/", q -> MonitorResponse.json(200, "{\"endpoints\":[\"/varz\",\"/connz\",\"/healthz\"]}"));
        monitor.register("/healthz", new HealthzEndpoint(this::health));
        monitor.register("/varz", new VarzEndpoint(identity, config, stats, clients, index, this::clientPort,
                this::httpPort, monitor::requestCounts, () -> routes == null ? 0 : routes.size(), info::connectUrls,
                () -> jetstream));
        monitor.register("/connz", new ConnzEndpoint(identity, clients));
        monitor.register("/jsz", new io.jetraft.server.monitor.JszEndpoint(identity.serverId(), () -> jetstream));
        monitor.register("/routez", new RoutezEndpoint(identity, () -> routes == null ? List.of() : routes.snapshots()));
        monitor.bind(c.httpListen());
        LOG.info("Starting http monitor on {}:{}", c.httpListen().host(), monitor.port());

        clientListener.bind(c.clientListen());
        LOG.info("Listening for client connections on {}:{}", c.clientListen().host(), clientListener.port());
        if (routes != null) {
            routes.start();
        }
        if (jetstream != null) {
            jetstream.start();
        }
        state.set(NodeState.RUNNING);
        LOG.info("Server is ready");
    }

    private HealthCheck.Result health() {
        if (!clientListener.isListening()) {
            return HealthCheck.Result.error(500, "error", "failed to be ready for connections after 1ms: server");
        }
        io.jetraft.server.jetstream.JetStreamService js = jetstream;
        if (config.get().jetstream().enabled()) {
            if (js == null) {
                return HealthCheck.Result.error(503, "unavailable", "JetStream not enabled");
            }
            java.util.Optional<String> problem = js.healthProblem();
            if (problem.isPresent()) {
                return HealthCheck.Result.error(503, "unavailable", problem.get());
            }
        }
        return HealthCheck.Result.ok();
    }

    /**
     * This node's Raft address, known before any port opens: cluster.raft_listen, or the cluster host with the
     * cluster port + 1000; a single JetStream node uses loopback with its client port + 1000. Where that port would
     * be chosen freely (port 0), a free port is picked now.
     */
    private static String raftAddress(ServerConfig c) {
        if (c.cluster().isPresent()) {
            io.jetraft.config.ClusterConfig cl = c.cluster().get();
            io.jetraft.config.HostPort raft = cl.raftListen().orElse(new io.jetraft.config.HostPort(cl.listen().host(),
                    cl.listen().port() == 0 ? 0 : cl.listen().port() + 1000));
            if (raft.port() != 0 || !c.jetstream().enabled()) {
                return raft.toString();
            }
            return new io.jetraft.config.HostPort(raft.host(), freePort()).toString();
        }
        if (!c.jetstream().enabled()) {
            return "";
        }
        int port = c.clientListen().port() == 0 ? freePort() : c.clientListen().port() + 1000;
        return "127.0.0.1:" + port;
    }

    private static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port for the Raft listener", e);
        }
    }

    /**
     * Whether a subject is taken by a leader that may be moving: one a stream stores, or a consumer's ack
     * ({@code $JS.ACK.<stream>.<consumer>...}, taken by the consumer's leader). An ack sent while the consumer's
     * leadership moved reached no one and was lost; its message came back after ack_wait.
     */
    private boolean leaderSubject(String subject) {
        io.jetraft.server.jetstream.JetStreamService js = jetstream;
        return js != null && (subject.startsWith("$JS.ACK.") || js.storesSubject(subject));
    }

    /** JetStream on this node, or null when it is off. */
    public io.jetraft.server.jetstream.JetStreamService jetstream() {
        return jetstream;
    }

    /**
     * The cluster's client URLs changed: future INFOs list them, and connected clients hear at once (in lame-duck
     * mode they hear it with the "ldm" INFO of step 7 instead).
     */
    private void connectUrlsChanged(List<String> urls) {
        info.setConnectUrls(urls);
        if (state.get() == NodeState.RUNNING) {
            clients.open().forEach(ClientConnection::sendAsyncInfo);
        }
    }

    /**
     * Starts lame-duck mode (SIGUSR2, {@code jetraft --signal ldm}) on a thread of its own; it ends with the node
     * shut down. Returns false (and does nothing) unless the node is running.
     */
    public boolean enterLameDuckMode() {
        if (!state.compareAndSet(NodeState.RUNNING, NodeState.LAME_DUCK)) {
            return false;
        }
        ServerConfig c = config.get();
        LameDuckDrain d = new LameDuckDrain(new DrainSteps(), c.lameDuckDuration(), c.lameDuckGracePeriod(),
                new java.util.SplittableRandom(), System::nanoTime, null);
        drain = d;
        Thread t = new Thread(d::run, "jetraft-lame-duck");
        drainThread = t;
        t.start();
        return true;
    }

    /**
     * Waits until the node has stopped and a lame-duck drain, if one ran, has logged its last step: the process
     * exits only then, so the log always ends with the whole sequence. Returns false on timeout.
     */
    public boolean awaitExit(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        if (!awaitStopped(max)) {
            return false;
        }
        Thread t = drainThread;
        if (t == null || t == Thread.currentThread()) {
            return true;
        }
        try {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }

    /** The node's side of each lame-duck step. */
    private final class DrainSteps implements LameDuckSteps {
        @Override
        public void closeClientListener() {
            clientListener.close();
            if (routes != null) {
                routes.announceOffline();
            }
        }

        @Override
        public String transferLeadership(Duration bound) {
            if (jetstream == null) {
                return "JetStream is off: no Raft groups";
            }
            return jetstream.transferLeadership(bound).toString();
        }

        @Override
        public void stopStreamLayer() {
            if (jetstream != null) {
                jetstream.stopStreamLayer();
            }
        }

        @Override
        public void stopRaft() {
            if (jetstream != null && !jetstream.stopRaft(Duration.ofSeconds(5))) {
                LOG.warn("Raft did not close within 5 s; going on");
            }
        }

        @Override
        public void awaitListenersClosed() {
            if (clientListener.isListening()) {
                throw new IllegalStateException("the client listener is still open");
            }
        }

        @Override
        public List<ClientConnection> clients() {
            return List.copyOf(clients.open());
        }

        @Override
        public void announceToRoutes() {
            if (routes != null) {
                routes.announceLameDuck();
            }
        }

        @Override
        public void announceToClients() {
            info.setLameDuck(true);
            if (routes != null) {
                info.setConnectUrls(routes.connectUrls());
            }
            clients.open().forEach(ClientConnection::sendAsyncInfo);
        }

        @Override
        public void shutdown() {
            JetraftNode.this.shutdown();
        }
    }

    /** How the node's own services publish and subscribe. */
    public io.jetraft.server.internal.InternalClient internalClient() {
        return internal;
    }

    /** The routes of this node, or null when it is not clustered. */
    public ClusterRoutes routes() {
        return routes;
    }

    public NodeIdentity identity() {
        return identity;
    }

    public NodeState state() {
        return state.get();
    }

    public int clientPort() {
        return clientListener.port();
    }

    public int httpPort() {
        return monitor.port();
    }

    public ServerConfig config() {
        return config.get();
    }

    /** Takes a reloaded configuration (only run-time settings differ; see ReloadPlan). */
    public void applyConfig(ServerConfig next) {
        config.set(next);
    }

    /**
     * Stops the node gracefully: no new clients, every client closed after its pending output, monitoring closed,
     * threads stopped, pid file removed. Idempotent; concurrent callers wait for the first.
     */
    public void shutdown() {
        NodeState previous = state.getAndUpdate(s -> s == NodeState.STOPPING || s == NodeState.STOPPED ? s
                : NodeState.STOPPING);
        if (previous == NodeState.STOPPING || previous == NodeState.STOPPED) {
            awaitStopped(Duration.ofSeconds(30));
            return;
        }
        LameDuckDrain d = drain;
        if (d != null) {
            // SIGINT during lame-duck mode cuts the drain short, as nats-server does
            d.abort();
        }
        long t0 = System.nanoTime();
        LOG.info("Initiating Shutdown...");
        try {
            if (jetstream != null) {
                // as nats-server steps its Raft leaders down first: the other nodes take over within the bound
                // instead of waiting an election timeout for this node to be missed
                jetstream.handOffBeforeShutdown(LameDuckDrain.TRANSFER_BOUND);
            }
            clientListener.close();
            List<ClientConnection> open = List.copyOf(clients.open());
            open.forEach(ClientConnection::closeForShutdown);
            waitForClientsClosed(Duration.ofSeconds(2));
            if (jetstream != null) {
                jetstream.close();
            }
            if (routes != null) {
                routes.close();
            }
            monitor.close();
            loops.close();
            deletePidFile();
        } finally {
            LOG.info("Server Exiting.. (shutdown took {} ms)", (System.nanoTime() - t0) / 1_000_000);
            state.set(NodeState.STOPPED);
            stopped.countDown();
        }
    }

    private void waitForClientsClosed(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (clients.size() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Waits until the node has stopped; returns false on timeout. */
    public boolean awaitStopped(Duration max) {
        try {
            return stopped.await(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        shutdown();
    }

    private void writePidFile(ServerConfig c) {
        c.pidFile().ifPresent(path -> {
            try {
                Path parent = path.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                // written without a newline, as nats-server does
                Files.writeString(path, Long.toString(ProcessHandle.current().pid()), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new IllegalStateException("could not write the pid file " + path + ": " + e.getMessage(), e);
            }
        });
    }

    private void deletePidFile() {
        config.get().pidFile().ifPresent(path -> {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.warn("could not remove the pid file {}: {}", path, e.getMessage());
            }
        });
    }
}
