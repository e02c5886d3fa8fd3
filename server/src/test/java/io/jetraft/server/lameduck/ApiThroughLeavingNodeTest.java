package io.jetraft.server.lameduck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.support.ThreeJetStreamNodes;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.JetStreamManagement;
import io.nats.client.Options;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client still connected to a node in lame-duck mode (it heard "ldm" and has not been closed yet) has its
 * JetStream API requests answered: the node relays them through the routes to another node, which answers. Before,
 * it heard "no responders" from the moment the node stopped its stream layer, though other nodes led every stream.
 */
class ApiThroughLeavingNodeTest {

    @TempDir
    Path dir;

    private ThreeJetStreamNodes nodes;

    @AfterEach
    void stop() throws InterruptedException {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void apiRequestsOfAClientOnTheLeavingNodeAreAnsweredThroughTheRoutes() throws Exception {
        nodes = ThreeJetStreamNodes.start(dir, Duration.ofSeconds(20), Duration.ofSeconds(15));
        JetStreamManagement admin = nodes.connect(1).jetStreamManagement();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> admin.addStream(StreamConfiguration
                .builder().name("RELAY").subjects("relay.>").replicas(3).build()) != null);

        CountDownLatch told = new CountDownLatch(1);
        // it stays on the leaving node until that closes it (the grace period is long)
        Connection c = nodes.connectWithFailover(0, new Options.Builder().connectionListener((conn, e) -> {
            if (e == ConnectionListener.Events.LAME_DUCK) {
                told.countDown();
            }
        }));
        JetStreamManagement jsm = c.jetStreamManagement();
        assertThat(jsm.getStreamInfo("RELAY").getConfiguration().getName()).isEqualTo("RELAY");

        assertThat(nodes.node(0).enterLameDuckMode()).isTrue();
        // step 7: the stream layer and Raft of n1 are stopped by now
        assertThat(told.await(30, TimeUnit.SECONDS)).as("the client heard ldm").isTrue();
        assertThat(c.getConnectedUrl()).isEqualTo(nodes.url(0));

        assertThat(jsm.getStreamInfo("RELAY").getConfiguration().getName()).isEqualTo("RELAY");
        assertThat(jsm.getAccountStatistics().getStreams()).isEqualTo(1);
        assertThat(jsm.addOrUpdateConsumer("RELAY", ConsumerConfiguration.builder().durable("late").build())
                .getName()).isEqualTo("late");
        assertThat(jsm.getConsumerNames("RELAY")).contains("late");
        assertThat(c.getConnectedUrl()).as("all of it answered while still on n1").isEqualTo(nodes.url(0));
    }
}
