package io.jetraft.raft;

import io.jetraft.config.ByteSize;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.StoreOptions;
import io.jetraft.storage.StreamStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * Real nodes on loopback ports, each with its own store and Raft directory under one temporary directory; nodes can
 * be stopped, wiped and started again under the same name, address and directories.
 */
final class TestCluster implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(30);

    /**
     * Short timeouts (2 cores, many JVM threads): elections 0.5–1 s, proposals 10 s; leaderships stay where tests
     * put them (no balancing back to the preferred leader unless a test asks).
     */
    static RaftTiming fastTiming() {
        return RaftTiming.defaults()
                .withBalanceAfter(Duration.ofHours(1))
                .withElectionTimeout(Duration.ofMillis(500), Duration.ofMillis(1000))
                .withFirstElectionTimeout(Duration.ofMillis(500))
                .withRequestTimeout(Duration.ofSeconds(2))
                .withProposalTimeout(Duration.ofSeconds(10))
                .withCloseTimeout(Duration.ofSeconds(15));
    }

    /** 64KB entries and segments (so logs roll and purge in tests), no snapshot unless a test asks. */
    static RaftLogSettings smallLog() {
        return RaftLogSettings.defaults()
                .withMaxEntrySize(ByteSize.ofKibibytes(64))
                .withSegmentSize(ByteSize.ofKibibytes(64))
                .withSnapshots(1_000_000, 0);
    }

    final class Slot {
        final String name;
        final String address;
        final Path storeDir;
        final Path raftDir;
        NodeStore store;
        RaftNode node;
        Clock clock = Clock.systemUTC();

        Slot(String name, int port) {
            this.name = name;
            this.address = "127.0.0.1:" + port;
            this.storeDir = root.resolve(name).resolve("store");
            this.raftDir = root.resolve(name).resolve("raft");
        }

        Peer peer() {
            return new Peer(name, address);
        }

        RaftNodeConfig config() {
            return RaftNodeConfig.of(name, address, store, raftDir)
                    .withTiming(timing)
                    .withLog(log)
                    .withClock(clock)
                    .withRandom(new Random(name.hashCode()))
                    .withGroupsPerReplicaSet(groupsPerSet);
        }
    }

    private final Path root;
    private final List<Slot> slots = new ArrayList<>();
    RaftTiming timing = fastTiming();
    RaftLogSettings log = smallLog();
    int groupsPerSet;

    TestCluster(Path root, int nodes) {
        this.root = root;
        for (int i = 0; i < nodes; i++) {
            slots.add(new Slot("n" + (i + 1), freePort()));
        }
    }

    TestCluster withLog(RaftLogSettings l) {
        this.log = l;
        return this;
    }

    TestCluster withGroupsPerSet(int n) {
        this.groupsPerSet = n;
        return this;
    }

    TestCluster withTiming(RaftTiming t) {
        this.timing = t;
        return this;
    }

    /** Starts every node and forms the meta group; returns once it has a leader every node knows. */
    TestCluster start() {
        for (int i = 0; i < slots.size(); i++) {
            open(i);
        }
        for (Slot s : slots) {
            s.node.meta().bootstrap(peers()).join();
        }
        awaitMetaLeader();
        return this;
    }

    List<Peer> peers() {
        return slots.stream().map(Slot::peer).toList();
    }

    int size() {
        return slots.size();
    }

    Slot slot(int i) {
        return slots.get(i);
    }

    RaftNode node(int i) {
        RaftNode n = slots.get(i).node;
        if (n == null) {
            throw new IllegalStateException(slots.get(i).name + " is stopped");
        }
        return n;
    }

    RaftNode node(String name) {
        return node(indexOf(name));
    }

    int indexOf(String name) {
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).name.equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException(name);
    }

    List<RaftNode> running() {
        return slots.stream().filter(s -> s.node != null).map(s -> s.node).toList();
    }

    /** Opens the store and starts the node (its groups come back from its directories). */
    RaftNode open(int i) {
        Slot s = slots.get(i);
        s.store = NodeStore.open(new StoreOptions(s.storeDir, ByteSize.ofMebibytes(8), ByteSize.ofMebibytes(4),
                false));
        try {
            s.node = RaftNode.start(s.config());
        } catch (IOException e) {
            s.store.close();
            s.store = null;
            throw new UncheckedIOException(e);
        }
        return s.node;
    }

    /** Starts a stopped node again, as itself, and rejoins the meta group. */
    RaftNode restart(int i) {
        RaftNode n = open(i);
        n.meta().bootstrap(peers()).join();
        return n;
    }

    /** Orderly stop: the node, then its store. */
    void stop(int i) {
        Slot s = slots.get(i);
        if (s.node != null) {
            s.node.close();
            s.node = null;
        }
        if (s.store != null) {
            s.store.close();
            s.store = null;
        }
    }

    /** Deletes a stopped node's Raft directory and store (a lost disk). */
    void wipe(int i) {
        Slot s = slots.get(i);
        if (s.node != null) {
            throw new IllegalStateException("stop " + s.name + " first");
        }
        deleteTree(s.raftDir);
        deleteTree(s.storeDir);
    }

    RaftNode awaitMetaLeader() {
        await().atMost(WAIT).until(() -> running().stream()
                .allMatch(n -> n.meta().leader().isPresent()
                        && running().stream().anyMatch(m -> m.meta().isLeader())));
        return leaderOf(GroupName.META);
    }

    /** The node that leads the group (and every running replica knows it). */
    RaftNode awaitLeader(GroupName group) {
        await().atMost(WAIT).until(() -> {
            Optional<RaftNode> l = running().stream().filter(n -> n.health().isLeader(group)).findFirst();
            return l.isPresent() && running().stream().filter(n -> n.health().hosts(group))
                    .allMatch(n -> n.health().leader(group).equals(Optional.of(l.get().name())));
        });
        return leaderOf(group);
    }

    /** The node that leads the stream's group (and every running replica knows it). */
    RaftNode awaitLeader(String stream) {
        return awaitLeader(groupOf(stream));
    }

    RaftNode leaderOf(GroupName group) {
        return running().stream().filter(n -> n.health().isLeader(group)).findFirst()
                .orElseThrow(() -> new AssertionError("no leader of " + group));
    }

    RaftNode leaderOf(String stream) {
        return leaderOf(groupOf(stream));
    }

    /** The stream group carrying a stream, once a running node's meta state knows it. */
    GroupName groupOf(String stream) {
        await().atMost(WAIT).until(() -> running().stream().anyMatch(n -> n.streams().groupOf(stream).isPresent()));
        return running().stream().map(n -> n.streams().groupOf(stream)).filter(Optional::isPresent)
                .map(Optional::get).findFirst().orElseThrow();
    }

    /** A stream's name in its group's entries and the node stores. */
    String storeName(String stream) {
        return running().get(0).locator().locate(stream).orElseThrow().storeName();
    }

    /** The running nodes holding a replica of the stream, by the meta state. */
    List<RaftNode> replicasOf(String stream) {
        StreamAssignment a = running().get(0).meta().stream(stream).orElseThrow();
        return running().stream().filter(n -> a.isOn(n.name())).toList();
    }

    /** A stream's store on a node (the node must host it). */
    StreamStore storeOf(RaftNode n, String stream) {
        return n.streams().readCurrent(stream, Function.identity()).orTimeout(30, TimeUnit.SECONDS).join();
    }

    Path raftDir(int i) {
        return slots.get(i).raftDir;
    }

    NodeStore store(int i) {
        return slots.get(i).store;
    }

    /** Stops every node, in parallel (each close waits about a second for Ratis). */
    @Override
    public void close() {
        java.util.stream.IntStream.range(0, slots.size()).parallel().forEach(i -> {
            try {
                stop(i);
            } catch (RuntimeException e) {
                // keep closing the others
            }
        });
    }

    /** Ports handed out in this JVM: never one twice (the OS may offer a just-closed port again). */
    private static final java.util.Set<Integer> GIVEN = new java.util.HashSet<>();

    static {
        // a Raft server that cannot bind its port makes Ratis end the process: here it fails the test instead
        org.apache.ratis.util.ExitUtils.disableSystemExit();
    }

    private static final int PORTS_FROM = 10_000;
    private static final int PORTS_TO = 19_000;
    private static int next = new Random().nextInt(PORTS_TO - PORTS_FROM);

    /**
     * A port nothing listens on now, not handed out before in this JVM, and below Linux's ephemeral range: two nodes
     * of one cluster were once given the same port (each chosen by binding port 0 and closing it again), and a port
     * the kernel picks can go to an outgoing connection before the node binds it.
     */
    static synchronized int freePort() {
        for (int attempt = 0; attempt < PORTS_TO - PORTS_FROM; attempt++) {
            int port = PORTS_FROM + Math.floorMod(next++, PORTS_TO - PORTS_FROM);
            if (GIVEN.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new java.net.InetSocketAddress(port));
                GIVEN.add(port);
                return port;
            } catch (IOException taken) {
                // in use: the next one
            }
        }
        throw new UncheckedIOException(new IOException("no free port in " + PORTS_FROM + "-" + PORTS_TO));
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
