package io.jetraft.raft;

import io.jetraft.raft.proto.JetraftRaft;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.TextFormat;
import org.apache.ratis.util.FileUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Readies a node's JVM, once at start and on a background thread, for its first leadership, so that a hand-over to a
 * restarted node does not run leader code for the first time while the group's writes wait.
 * <ul>
 *   <li>It builds the protobuf descriptors a leader first needs. A follower never touches them: Ratis's generated
 *   messages parse and build without descriptors. The leader's first client request (writes forwarded by the other
 *   nodes, through Ratis's client protocol service) reaches Ratis's descriptors and its text format, and building
 *   the descriptor of Ratis's whole protocol file on a cold JVM is slow. In the rolling drill (`-Xlog:class+load`),
 *   a node restarted 15 s earlier loaded 479 classes between the start of a hand-back to it and its readiness 1.2 s
 *   later, among them 75 of protobuf's descriptor classes and 9 of its text format.</li>
 *   <li>It then practises a leadership on a throwaway Ratis server ({@link #practise}).</li>
 * </ul>
 */
final class LeaderWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(LeaderWarmUp.class);

    private LeaderWarmUp() {
    }

    /**
     * Starts the warm-up on a daemon thread of the lowest priority: the descriptors, then (once per JVM) a practice
     * leadership with the node's Ratis configuration {@code properties} (see {@link #practise}).
     */
    static void startInBackground(RaftProperties properties) {
        // what it warms is the JVM's: several nodes in one JVM (the tests' clusters) practise once
        boolean practise = PRACTISED.compareAndSet(false, true);
        Thread t = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                run();
                LOG.debug("protobuf descriptors for leaderships built in {} ms", (System.nanoTime() - t0) / 1_000_000);
                if (practise) {
                    long t1 = System.nanoTime();
                    int writes = practise(properties);
                    LOG.debug("practised a leadership ({} writes) in {} ms", writes,
                            (System.nanoTime() - t1) / 1_000_000);
                }
            } catch (IOException | RuntimeException | LinkageError e) {
                // only a warm-up: the first leadership does this itself
                LOG.debug("warming up for leaderships: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "jetraft-leader-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    private static final AtomicBoolean PRACTISED = new AtomicBoolean();

    /** Writes the practice leadership makes: enough to run the leader's write path more than once. */
    static final int PRACTICE_WRITES = 20;

    /**
     * Becomes the leader of a throwaway one-member group on a Ratis server of its own (loopback, a random port, a
     * temporary directory) and writes through it, then removes everything. A node's first leadership in a JVM ran
     * the leader's code for the first time while the group's writes waited: in the rolling drill (Ratis's election
     * log and {@code -Xlog:class+load}), Ratis took 54-377 ms from a restarted node's winning vote to its leader
     * state (1-23 ms on later leaderships), and the node loaded 230-340 classes between its election and its first
     * stream's leadership, half of them lambda classes spun up on first use, which only running the code creates.
     * This runs the election, the leader state, the leader's log and client-request paths (not those of followers'
     * appenders: the group has none) before the node leads anything. Returns the number of writes acknowledged.
     */
    static int practise(RaftProperties nodeProperties) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("jetraft-leader-warm-up");
        RaftProperties p = new RaftProperties(nodeProperties);
        GrpcConfigKeys.Server.setHost(p, "127.0.0.1");
        GrpcConfigKeys.Server.setPort(p, 0);
        RaftServerConfigKeys.setStorageDir(p, List.of(dir.toFile()));
        RaftServerConfigKeys.setRemovedGroupsDir(p, dir.resolve("removed-groups").toFile());
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, false);
        RaftPeerId id = RaftPeerId.valueOf("warm-up-" + UUID.randomUUID());
        RaftGroupId gid = RaftGroupId.randomId();
        int acknowledged = 0;
        try (RaftServer server = RaftServer.newBuilder().setServerId(id).setProperties(p)
                .setStateMachine(new BaseStateMachine()).build()) {
            server.start();
            InetSocketAddress bound = server.getServerRpc().getInetSocketAddress();
            RaftPeer peer = RaftPeer.newBuilder().setId(id).setAddress("127.0.0.1:" + bound.getPort()).build();
            ClientId client = ClientId.randomId();
            RaftClientReply added = server.groupManagement(GroupManagementRequest.newAdd(client, id, 1,
                    RaftGroup.valueOf(gid, peer)));
            if (!added.isSuccess()) {
                throw new IOException("adding the practice group failed: " + added.getException());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!server.getDivision(gid).getInfo().isLeaderReady()) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("the practice group elected no leader within 10 s");
                }
                TimeUnit.MILLISECONDS.sleep(5);
            }
            for (int i = 0; i < PRACTICE_WRITES; i++) {
                RaftClientRequest write = RaftClientRequest.newBuilder().setClientId(client).setServerId(id)
                        .setGroupId(gid).setCallId(2 + i).setMessage(Message.valueOf("warm-up " + i))
                        .setType(RaftClientRequest.writeRequestType()).build();
                try {
                    if (server.submitClientRequestAsync(write).get(10, TimeUnit.SECONDS).isSuccess()) {
                        acknowledged++;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    throw new IOException("a practice write failed: " + e, e);
                }
            }
        } finally {
            FileUtils.deleteFully(dir);
        }
        return acknowledged;
    }

    /** Builds the descriptors of Ratis's protocol and of our own entries, and formats one message of each as text. */
    static int run() {
        int messages = RaftProtos.getDescriptor().getMessageTypes().size()
                + JetraftRaft.getDescriptor().getMessageTypes().size();
        String text = TextFormat.shortDebugString(RaftProtos.RaftClientRequestProto.newBuilder()
                .setRpcRequest(RaftProtos.RaftRpcRequestProto.newBuilder().setCallId(1)).build());
        return messages + (text.isEmpty() ? 0 : 1);
    }
}
