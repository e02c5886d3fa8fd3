package io.jetraft.server.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.support.FakeRoutePeer;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.ThreeJetStreamNodes;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamConfiguration;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A publish a peer routed to a stream's leader just after that leader stopped leading (its subscription closed while
 * the message was on the wire) goes on to the new leader, which stores it once and answers its PubAck. Before, the
 * node dropped it, and its client timed out (a KV put in CI, two publishes of a rolling-restart soak). Stream leaders
 * subscribe in one queue group, so the publisher's node sent it to that one node only, and passing it on cannot store
 * it twice. The moment is made here by a hand-written route peer that sends the publish, for the leaders' queue
 * group, to a node that does not lead the stream.
 */
class PublishRoutedToAStoppedLeaderTest {

    private static final String FAKE_ID = "AFAKEPEER";
    private static final String VOTE_HOOK = "RaftServerImpl.requestVote";

    @TempDir
    Path dir;

    private ThreeJetStreamNodes cluster;
    private Socket socket;

    @BeforeEach
    void start() {
        cluster = ThreeJetStreamNodes.start(dir);
    }

    @AfterEach
    void stop() throws Exception {
        if (socket != null) {
            socket.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aPublishThatReachesANodeNoLongerLeadingIsStoredOnceAndAcknowledged() throws Exception {
        JetStreamManagement jsm = cluster.connect(0).jetStreamManagement();
        int leading = createStreamFwd(jsm);
        int other = (leading + 1) % 3;
        // the publisher: its answers go to a client on the third node (a route peer's own interest would reach only
        // the node it is connected to)
        Connection publisher = cluster.connect((leading + 2) % 3);
        io.nats.client.Subscription answers = publisher.subscribe("fake.reply.>");
        publisher.flush(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.node(leading).routes().snapshots().stream()
                .anyMatch(r -> r.subscriptions().contains("fake.reply.>")));

        FakeRoutePeer peer = peerOf(other);

        // 1: nobody on that node takes the subject
        peer.send(rmsg("fwd.a", "fake.reply.1", "first"));
        io.nats.client.Message ack1 = answers.nextMessage(Duration.ofSeconds(10));
        assertThat(ack1).as("PubAck of the first").isNotNull();
        assertThat(ack1.getSubject()).isEqualTo("fake.reply.1");
        assertThat(new String(ack1.getData(), StandardCharsets.UTF_8)).contains("\"stream\":\"FWD\"")
                .contains("\"seq\":1");

        // 2: a client there subscribes the subject: it gets the message (as a routed message's plain subscriber),
        // and the publish still goes on to the leader, once
        Connection watcher = cluster.connect(other);
        io.nats.client.Subscription watch = watcher.subscribe("fwd.>");
        watcher.flush(Duration.ofSeconds(5));
        peer.send(rmsg("fwd.b", "fake.reply.2", "second"));
        io.nats.client.Message ack2 = answers.nextMessage(Duration.ofSeconds(10));
        assertThat(ack2).as("PubAck of the second").isNotNull();
        assertThat(ack2.getSubject()).isEqualTo("fake.reply.2");
        assertThat(new String(ack2.getData(), StandardCharsets.UTF_8)).contains("\"seq\":2");
        io.nats.client.Message seen = watch.nextMessage(Duration.ofSeconds(5));
        assertThat(seen).isNotNull();
        assertThat(new String(seen.getData(), StandardCharsets.UTF_8)).isEqualTo("second");
        assertThat(watch.nextMessage(Duration.ofMillis(300))).as("the watcher got it once").isNull();
        assertThat(answers.nextMessage(Duration.ofMillis(300))).as("one PubAck each").isNull();

        for (int i = 0; i < 3; i++) {
            JetStreamManagement through = cluster.connect(i).jetStreamManagement();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(through.getStreamInfo("FWD")
                    .getStreamState().getMsgCount()).isEqualTo(2));
        }
        MessageInfo first = jsm.getMessage("FWD", 1);
        MessageInfo second = jsm.getMessage("FWD", 2);
        assertThat(first.getSubject()).isEqualTo("fwd.a");
        assertThat(new String(first.getData(), StandardCharsets.UTF_8)).isEqualTo("first");
        assertThat(second.getSubject()).isEqualTo("fwd.b");
        assertThat(new String(second.getData(), StandardCharsets.UTF_8)).isEqualTo("second");
    }

    /**
     * The answer to a publish whose publisher's inbox interest has not reached the leader yet (the publisher just
     * moved to another node) waits for it a moment: before, it was dropped, and the publisher timed out.
     */
    @Test
    void aPubAckWaitsForThePublishersInboxInterest() throws Exception {
        JetStreamManagement jsm = cluster.connect(0).jetStreamManagement();
        int leading = createStreamFwd(jsm);
        FakeRoutePeer peer = peerOf(leading);
        // nobody has interest in the reply subject yet when the leader answers
        peer.send(rmsg("fwd.a", "late.reply.1", "first"));
        await().atMost(Duration.ofSeconds(10)).until(() -> jsm.getStreamInfo("FWD").getStreamState()
                .getMsgCount() == 1);
        Connection publisher = cluster.connect((leading + 1) % 3);
        io.nats.client.Subscription answers = publisher.subscribe("late.reply.>");
        publisher.flush(Duration.ofSeconds(5));
        io.nats.client.Message ack = answers.nextMessage(Duration.ofSeconds(5));
        assertThat(ack).as("the PubAck, once the publisher's interest was known").isNotNull();
        assertThat(new String(ack.getData(), StandardCharsets.UTF_8)).contains("\"seq\":1");
    }

    /**
     * A consumer ack routed to a node whose stream leader had just stopped waits there for the new leader's
     * interest; when that node shuts down meanwhile (a lame-duck leader closes ~40 ms after its hand-off), what waits
     * still goes out once the interest arrives, before the routes close. Before, JetStream's close dropped it at
     * once: a consumer on another node lost the acks of a whole fetched batch (CI of stop 28, 9 acks pending for
     * good in AcksThroughLeavingLeaderTest). Here the new leader's interest is a route peer's, sent only once the
     * node reports JetStream shutting down.
     */
    @Test
    void anAckWaitingForTheNewLeaderStillReachesItWhileTheNodeShutsDown() throws Exception {
        FakeRoutePeer peer = peerOf(0);
        String ack = "$JS.ACK.GONE.c.1.5.5.1733580000000000000.0";
        // nobody leads GONE: held for its new leader
        peer.send("RMSG $G " + ack + " 4\r\n+ACK\r\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> cluster.node(0).jetstream().awaitingLeader().heldCount() == 1);
        shutDownAndAnnounceTheNewLeader(0, peer, ack);
    }

    /**
     * An ack held when its node begins to leave waits past its own hold (a second) while the hand-off runs, however
     * long that takes within its bound: the node stops its stream layer only after the hand-off, and only then
     * closes. Here the meta leader's hand-off waits its whole bound (every vote is answered 1.3 s late), so the ack
     * held just before it has outlived its own hold when the new leader's interest arrives. Before, it was dropped
     * at its hold's end: a CI run failed the test above when the meta leader's hand-off took that long.
     */
    @Test
    void anAckHeldAsTheNodeBeginsToLeaveOutlastsItsOwnHoldWhileTheHandOffRuns() throws Exception {
        int meta = indexOf(await().atMost(Duration.ofSeconds(10)).until(
                () -> cluster.node(0).jetstream().raftNode().meta().leader(), l -> l.isPresent()).orElseThrow());
        FakeRoutePeer peer = peerOf(meta);
        String ack = "$JS.ACK.GONE.c.1.6.6.1733580000000000000.0";
        peer.send("RMSG $G " + ack + " 4\r\n+ACK\r\n");
        AwaitingLeader awaiting = cluster.node(meta).jetstream().awaitingLeader();
        await().atMost(Duration.ofSeconds(5)).until(() -> awaiting.heldCount() == 1);
        long heldSince = System.nanoTime();
        CodeInjectionForTesting.put(VOTE_HOOK, (local, candidate, args) -> {
            await().pollDelay(Duration.ofMillis(1300)).until(() -> true);
            return true;
        });
        try {
            shutDownAndAnnounceTheNewLeader(meta, peer, ack);
        } finally {
            CodeInjectionForTesting.remove(VOTE_HOOK);
        }
        assertThat(System.nanoTime() - heldSince).as("the ack outlived its own hold")
                .isGreaterThan(AwaitingLeader.NO_WAIT_HOLD_NANOS);
    }

    /**
     * Shuts node {@code i} down; once it reports JetStream shutting down, the peer announces interest in GONE's acks
     * (a new leader's), and the held {@code ack} reaches it before the node's routes close.
     */
    private void shutDownAndAnnounceTheNewLeader(int i, FakeRoutePeer peer, String ack) throws Exception {
        Thread shutdown = new Thread(() -> cluster.node(i).shutdown(), "shutdown-n" + (i + 1));
        shutdown.start();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1)).until(
                () -> cluster.node(i).jetstream().healthProblem().orElse("").equals("JetStream is shutting down"));
        peer.send("RS+ $G $JS.ACK.GONE.>\r\n");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(peer.got)
                .as("the held ack, sent on to the peer that now leads GONE").extracting(FakeRoutePeer.Routed::subject)
                .contains(ack));
        shutdown.join(30_000);
    }

    /** Creates the R3 stream FWD (subjects fwd.>) and returns the index of the node that leads it. */
    private static int createStreamFwd(JetStreamManagement jsm) throws Exception {
        jsm.addStream(StreamConfiguration.builder().name("FWD").subjects("fwd.>").replicas(3).build());
        String leader = await().atMost(Duration.ofSeconds(10)).until(
                () -> jsm.getStreamInfo("FWD").getClusterInfo().getLeader(), l -> l != null && !l.isEmpty());
        return indexOf(leader);
    }

    /** The index of node {@code name} ("n1" is 0). */
    private static int indexOf(String name) {
        return Integer.parseInt(name.substring(1)) - 1;
    }

    /** A hand-written route peer connected to node {@code i}, known to it once this returns. */
    private FakeRoutePeer peerOf(int i) throws Exception {
        socket = new Socket("127.0.0.1", cluster.clusterPort(i));
        FakeRoutePeer peer = new FakeRoutePeer(socket, true);
        peer.line(); // the node's INFO
        peer.send(FakeRoutePeer.info(FAKE_ID, Ports.free()));
        peer.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.node(i).routes().snapshots().stream()
                .anyMatch(r -> FAKE_ID.equals(r.remoteId())));
        return peer;
    }

    /** An RMSG as a peer sends it when it chose this node's member of the stream leaders' queue group. */
    private static String rmsg(String subject, String reply, String payload) {
        return "RMSG $G " + subject + " + " + reply + " " + JetStreamService.LEADER_QUEUE + " " + payload.length()
                + "\r\n" + payload + "\r\n";
    }
}
