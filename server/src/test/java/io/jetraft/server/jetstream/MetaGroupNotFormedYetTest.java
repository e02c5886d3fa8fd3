package io.jetraft.server.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StreamConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster node whose routes are not all up yet has no meta group: it knows no stream and no peer, and answers
 * JetStream requests as nats-server does without a meta leader (503, 10008), until the cluster forms.
 */
class MetaGroupNotFormedYetTest {

    @TempDir
    Path dir;

    private final int[] clusterPorts = {Ports.free(), Ports.free(), Ports.free()};
    private final JetraftNode[] nodes = new JetraftNode[3];

    @AfterEach
    void stop() {
        for (JetraftNode n : nodes) {
            if (n != null) {
                n.shutdown();
            }
        }
    }

    private JetraftNode start(int i) {
        return JetraftNode.start(TestConfigs.node().name("n" + (i + 1)).cluster("c1", clusterPorts[i], clusterPorts)
                .raftPort(Ports.free()).jetstream(dir.resolve("n" + (i + 1))).build());
    }

    @Test
    void aNodeWaitingForItsRoutesAnswersTemporarilyUnavailableThenServesOnceTheClusterFormed() throws Exception {
        nodes[0] = start(0);
        try (Connection nc = Nats.connect("nats://127.0.0.1:" + nodes[0].clientPort())) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            for (int replicas : new int[] {3, 1}) {
                // R3 was answered "replicas > 1 not supported in non-clustered mode" (10074): the node is clustered
                assertThatThrownBy(() -> jsm.addStream(StreamConfiguration.builder().name("S" + replicas)
                        .subjects("s" + replicas).replicas(replicas).build()))
                        .isInstanceOfSatisfying(JetStreamApiException.class, e -> {
                            assertThat(e.getErrorCode()).isEqualTo(503);
                            assertThat(e.getApiErrorCode()).isEqualTo(10008);
                            assertThat(e.getErrorDescription()).isEqualTo("JetStream system temporarily unavailable");
                        });
            }
            assertThatThrownBy(jsm::getStreamNames).isInstanceOfSatisfying(JetStreamApiException.class,
                    e -> assertThat(e.getApiErrorCode()).isEqualTo(10008));

            nodes[1] = start(1);
            nodes[2] = start(2);
            await().atMost(Duration.ofSeconds(30)).until(() -> nodes[0].jetstream().raftNode().meta().peers().size()
                    == 3 && nodes[0].jetstream().raftNode().meta().leader().isPresent());
            assertThat(jsm.addStream(StreamConfiguration.builder().name("S3").subjects("s3").replicas(3).build())
                    .getConfiguration().getReplicas()).isEqualTo(3);
            assertThat(jsm.getStreamNames()).containsExactly("S3");
        }
    }
}
