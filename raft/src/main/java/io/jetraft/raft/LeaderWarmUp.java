package io.jetraft.raft;

import io.jetraft.raft.proto.JetraftRaft;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.thirdparty.com.google.protobuf.TextFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds, once at start and on a background thread, the protobuf descriptors a node first needs when it becomes a
 * group's leader, so that its first leadership after a start does not build them while the group's writes wait.
 * A follower never touches them: Ratis's generated messages parse and build without descriptors. The leader's first
 * client request (writes forwarded by the other nodes, through Ratis's client protocol service) reaches Ratis's
 * descriptors and its text format, and building the descriptor of Ratis's whole protocol file on a cold JVM is slow.
 * In the rolling drill (`-Xlog:class+load`), a node restarted 15 s earlier loaded 479 classes between the start of
 * a hand-back to it and its readiness 1.2 s later, among them 75 of protobuf's descriptor classes and 9 of its text
 * format, while the node that had led since the start had loaded only 64 such classes in all.
 */
final class LeaderWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(LeaderWarmUp.class);

    private LeaderWarmUp() {
    }

    /** Starts the warm-up on a daemon thread of the lowest priority. */
    static void startInBackground() {
        Thread t = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                run();
                LOG.debug("protobuf descriptors for leaderships built in {} ms", (System.nanoTime() - t0) / 1_000_000);
            } catch (RuntimeException | LinkageError e) {
                // only a warm-up: the first leadership builds them itself
                LOG.debug("warming up for leaderships: {}", e.toString());
            }
        }, "jetraft-leader-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
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
