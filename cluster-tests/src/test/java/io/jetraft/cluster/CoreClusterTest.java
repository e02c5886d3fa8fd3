package io.jetraft.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.cluster.harness.ClusterLogsOnFailure;
import io.jetraft.cluster.harness.LocalCluster;
import io.jetraft.cluster.harness.NodeProcess;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Core NATS across three real jetraft processes: one system to jnats, whichever node it talks to. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ClusterLogsOnFailure.class)
class CoreClusterTest {

    private LocalCluster cluster;
    private final List<Connection> connections = new ArrayList<>();

    @BeforeAll
    void startCluster(@TempDir Path dir) {
        cluster = LocalCluster.create(dir, 3, "").start();
    }

    @AfterAll
    void stopCluster() {
        cluster.close();
    }

    @AfterEach
    void closeClients() throws InterruptedException {
        for (Connection c : connections) {
            c.close();
        }
        connections.clear();
    }

    private Connection connect(NodeProcess node) throws Exception {
        Connection c = Nats.connect(new Options.Builder().server(node.clientUrl())
                .reconnectWait(Duration.ofMillis(100)).maxReconnects(-1).build());
        connections.add(c);
        return c;
    }

    /** Waits until every node's routes carry the interest (a remote subscription shows up in /routez?subs=1). */
    private void awaitRouteInterest(String subject, NodeProcess... on) {
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            for (NodeProcess n : on) {
                if (!n.json("/routez?subs=1").toString().contains("\"" + subject)) {
                    return false;
                }
            }
            return true;
        });
    }

    @Test
    void publishOnOneNodeSubscribeOnAnotherAndRequestReplyAcrossNodes() throws Exception {
        Connection sub = connect(cluster.node(1));
        Subscription s = sub.subscribe("across.nodes");
        Dispatcher d = sub.createDispatcher(m -> sub.publish(m.getReplyTo(), ("re:" + new String(m.getData()))
                .getBytes()));
        d.subscribe("svc.time");
        sub.flush(Duration.ofSeconds(5));
        awaitRouteInterest("across.nodes", cluster.node(2), cluster.node(3));
        awaitRouteInterest("svc.time", cluster.node(2), cluster.node(3));

        Connection pub = connect(cluster.node(2));
        for (int i = 0; i < 100; i++) {
            pub.publish("across.nodes", Integer.toString(i).getBytes());
        }
        pub.flush(Duration.ofSeconds(5));
        for (int i = 0; i < 100; i++) {
            Message m = s.nextMessage(Duration.ofSeconds(5));
            assertThat(m).isNotNull();
            assertThat(new String(m.getData())).isEqualTo(Integer.toString(i));
        }
        assertThat(s.nextMessage(Duration.ofMillis(300))).isNull();

        Connection requester = connect(cluster.node(3));
        Message reply = requester.request("svc.time", "now".getBytes(), Duration.ofSeconds(5));
        assertThat(new String(reply.getData())).isEqualTo("re:now");
    }

    @Test
    void aQueueGroupSpreadOverNodesGetsEachMessageOnce() throws Exception {
        Map<String, AtomicInteger> perNode = new ConcurrentHashMap<>();
        List<String> all = new CopyOnWriteArrayList<>();
        for (int n : new int[] {2, 3}) {
            Connection c = connect(cluster.node(n));
            AtomicInteger count = perNode.computeIfAbsent("n" + n, k -> new AtomicInteger());
            Dispatcher d = c.createDispatcher(m -> {
                count.incrementAndGet();
                all.add(new String(m.getData()));
            });
            d.subscribe("orders.work", "workers");
            c.flush(Duration.ofSeconds(5));
        }
        awaitRouteInterest("orders.work", cluster.node(1));
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
                cluster.node(1).json("/routez?subs=1").toString().split("orders.work workers", -1).length - 1 == 2);
        Connection pub = connect(cluster.node(1));
        int total = 500;
        for (int i = 0; i < total; i++) {
            pub.publish("orders.work", Integer.toString(i).getBytes());
        }
        pub.flush(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(15)).until(() -> all.size() >= total);
        assertThat(all).hasSize(total).doesNotHaveDuplicates();
        assertThat(perNode.get("n2").get()).isPositive();
        assertThat(perNode.get("n3").get()).isPositive();
    }

    @Test
    void aClientFailsOverToAnotherNodeWhenItsNodeIsKilled() throws Exception {
        NodeProcess victim = cluster.node(3);
        Connection sub = connect(cluster.node(1));
        Subscription s = sub.subscribe("survives.kill");
        sub.flush(Duration.ofSeconds(5));
        awaitRouteInterest("survives.kill", cluster.node(2), victim);

        Connection pub = connect(victim);
        await().atMost(Duration.ofSeconds(10)).until(() -> pub.getServers().size() >= 3);
        victim.kill9();
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> pub.getStatus() == Connection.Status.CONNECTED
                    && !pub.getConnectedUrl().endsWith(":" + victim.clientPort()));
            // a flush may time out while the client is still settling on its new node: try again
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
                pub.publish("survives.kill", "after-kill".getBytes());
                pub.flush(Duration.ofSeconds(2));
                Message m = s.nextMessage(Duration.ofSeconds(1));
                assertThat(m).isNotNull();
                assertThat(new String(m.getData())).isEqualTo("after-kill");
            });
        } finally {
            // the other tests share this cluster: bring the node back whatever happened above
            victim.start().awaitHealthy(Duration.ofSeconds(60));
            cluster.awaitMeshed(Duration.ofSeconds(30));
        }
    }

    @Test
    void sigtermStopsANodeGracefullyAndItRejoinsOnRestart() throws Exception {
        NodeProcess node = cluster.node(2);
        node.signal("TERM");
        assertThat(node.awaitExit(Duration.ofSeconds(30))).isZero();
        assertThat(node.logText()).contains("Trapped \"terminated\" signal").contains("Server Exiting..");
        node.start().awaitHealthy(Duration.ofSeconds(60));
        cluster.awaitMeshed(Duration.ofSeconds(30));
    }
}
