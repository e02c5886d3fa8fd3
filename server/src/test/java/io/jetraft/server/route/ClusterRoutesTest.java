package io.jetraft.server.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.Ports;
import io.jetraft.server.support.RawClient;
import io.jetraft.server.support.TestConfigs;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Three in-process nodes meshed by routes on loopback, driven by jnats. */
class ClusterRoutesTest {

    private final int[] clusterPorts = {Ports.free(), Ports.free(), Ports.free()};
    private final int[] clientPorts = {Ports.free(), Ports.free(), Ports.free()};
    private final JetraftNode[] nodes = new JetraftNode[3];
    private final List<Connection> connections = new ArrayList<>();

    @BeforeEach
    void startCluster() {
        for (int i = 0; i < 3; i++) {
            nodes[i] = start(i);
        }
        awaitMesh();
    }

    private JetraftNode start(int i) {
        return JetraftNode.start(TestConfigs.node().name("n" + (i + 1)).port(clientPorts[i])
                .cluster("c1", clusterPorts[i], clusterPorts).build());
    }

    private void awaitMesh() {
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            for (JetraftNode n : nodes) {
                if (n == null || n.routes().size() != 2) {
                    return false;
                }
            }
            return true;
        });
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (Connection c : connections) {
            c.close();
        }
        for (JetraftNode n : nodes) {
            if (n != null) {
                n.shutdown();
            }
        }
    }

    private Connection connect(int node) throws Exception {
        Connection c = Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + clientPorts[node])
                .reconnectWait(Duration.ofMillis(100)).build());
        connections.add(c);
        return c;
    }

    /** Subscribes and waits until every other node has learnt the interest. */
    private Subscription subscribeEverywhere(Connection c, String subject) throws Exception {
        Subscription s = c.subscribe(subject);
        c.flush(Duration.ofSeconds(2));
        awaitInterest(subject);
        return s;
    }

    private void awaitInterest(String subject) {
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            int nodesWithRouteInterest = 0;
            for (JetraftNode n : nodes) {
                if (n.routes().snapshots().stream().anyMatch(r -> r.subscriptions().stream()
                        .anyMatch(k -> k.equals(subject) || k.startsWith(subject + " ")))) {
                    nodesWithRouteInterest++;
                }
            }
            return nodesWithRouteInterest >= 2;
        });
    }

    @Test
    void aMessagePublishedOnOneNodeReachesSubscribersOnEveryNodeOnce() throws Exception {
        Subscription on1 = subscribeEverywhere(connect(0), "cross.>");
        Subscription on3 = subscribeEverywhere(connect(2), "cross.*");
        Connection pub = connect(1);
        for (int i = 0; i < 50; i++) {
            pub.publish("cross.x", Integer.toString(i).getBytes());
        }
        pub.flush(Duration.ofSeconds(2));
        for (Subscription s : List.of(on1, on3)) {
            for (int i = 0; i < 50; i++) {
                Message m = s.nextMessage(Duration.ofSeconds(5));
                assertThat(m).isNotNull();
                assertThat(new String(m.getData())).isEqualTo(Integer.toString(i));
            }
            assertThat(s.nextMessage(Duration.ofMillis(200))).as("no duplicates").isNull();
        }
    }

    @Test
    void varzAndRoutezDescribeTheMesh() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String varz = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                + nodes[0].httpPort() + "/varz")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        com.fasterxml.jackson.databind.JsonNode v = new com.fasterxml.jackson.databind.ObjectMapper().readTree(varz);
        assertThat(v.get("routes").asInt()).isEqualTo(2);
        assertThat(v.get("cluster").get("name").asText()).isEqualTo("c1");
        assertThat(v.get("cluster").get("cluster_port").asInt()).isEqualTo(clusterPorts[0]);
        assertThat(v.get("cluster").get("urls")).hasSize(3);
        String routez = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                + nodes[0].httpPort() + "/routez")).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
        com.fasterxml.jackson.databind.JsonNode r = new com.fasterxml.jackson.databind.ObjectMapper().readTree(routez);
        assertThat(r.get("num_routes").asInt()).isEqualTo(2);
        com.fasterxml.jackson.databind.JsonNode first = r.get("routes").get(0);
        for (String field : List.of("rid", "remote_id", "remote_name", "did_solicit", "is_configured", "ip", "port",
                "start", "last_activity", "rtt", "uptime", "idle", "pending_size", "in_msgs", "out_msgs",
                "in_bytes", "out_bytes", "subscriptions")) {
            assertThat(first.has(field)).as(field).isTrue();
        }
    }

    @Test
    void requestReplyWorksAcrossNodes() throws Exception {
        Connection responder = connect(2);
        Dispatcher d = responder.createDispatcher(m -> responder.publish(m.getReplyTo(), m.getData()));
        d.subscribe("svc.across");
        responder.flush(Duration.ofSeconds(2));
        awaitInterest("svc.across");
        Connection requester = connect(0);
        Message reply = requester.request("svc.across", "ping".getBytes(), Duration.ofSeconds(5));
        assertThat(new String(reply.getData())).isEqualTo("ping");
    }

    @Test
    void queueGroupsDeliverEachMessageOnceAcrossTheCluster() throws Exception {
        Map<String, AtomicInteger> perMember = new ConcurrentHashMap<>();
        List<String> received = new CopyOnWriteArrayList<>();
        for (int node : new int[] {1, 2, 2}) {
            Connection c = connect(node);
            String member = "node" + node + "-" + connections.size();
            perMember.put(member, new AtomicInteger());
            Dispatcher d = c.createDispatcher(m -> {
                perMember.get(member).incrementAndGet();
                received.add(new String(m.getData()));
            });
            d.subscribe("jobs", "workers");
            c.flush(Duration.ofSeconds(2));
        }
        // the publisher's node must know both members' nodes (the others seeing each other is not enough)
        await().atMost(Duration.ofSeconds(5)).until(() -> nodes[0].routes().snapshots().stream()
                .filter(r -> r.subscriptions().contains("jobs workers")).count() == 2);
        Connection pub = connect(0);
        int total = 300;
        for (int i = 0; i < total; i++) {
            pub.publish("jobs", Integer.toString(i).getBytes());
        }
        pub.flush(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() >= total);
        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertThat(received).hasSize(total).doesNotHaveDuplicates();
        assertThat(perMember.values()).allSatisfy(n -> assertThat(n.get()).isPositive());
    }

    @Test
    void everyNodeAdvertisesEveryLiveNodeAndUpdatesClientsWhenOneLeaves() throws Exception {
        List<String> all = List.of("127.0.0.1:" + clientPorts[0], "127.0.0.1:" + clientPorts[1],
                "127.0.0.1:" + clientPorts[2]);
        try (RawClient raw = RawClient.connect(clientPorts[0])) {
            for (String url : all) {
                assertThat(raw.info()).contains("\"" + url + "\"");
            }
            raw.send("CONNECT {\"verbose\":false,\"protocol\":1}\r\nPING\r\n");
            assertThat(raw.readLine()).isEqualTo("PONG");
            nodes[2].shutdown();
            String update = raw.readLine();
            assertThat(update).startsWith("INFO ").contains(all.get(0)).contains(all.get(1))
                    .doesNotContain(all.get(2));
        }
        Connection jnats = connect(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> jnats.getServers().size() >= 2);
        nodes[2] = start(2);
        awaitMesh();
    }

    @Test
    void aClientFailsOverToAnotherNodeWhenItsNodeStops() throws Exception {
        Connection sub = connect(0);
        Subscription s = subscribeEverywhere(sub, "failover");
        Connection pub = Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + clientPorts[1])
                .reconnectWait(Duration.ofMillis(100)).maxReconnects(-1).build());
        connections.add(pub);
        await().atMost(Duration.ofSeconds(5)).until(() -> pub.getServers().size() == 3);
        nodes[1].shutdown();
        await().atMost(Duration.ofSeconds(15)).until(() -> pub.getStatus() == Connection.Status.CONNECTED
                && pub.getConnectedUrl() != null && !pub.getConnectedUrl().endsWith(":" + clientPorts[1]));
        awaitInterestOn(pub.getConnectedUrl(), "failover");
        pub.publish("failover", "after".getBytes());
        // a flush right after a move can be lost in jnats's own reconnect bookkeeping: retry it
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> { pub.flush(Duration.ofSeconds(2)); return true; });
        Message m = s.nextMessage(Duration.ofSeconds(5));
        assertThat(m).isNotNull();
        assertThat(new String(m.getData())).isEqualTo("after");
        nodes[1] = start(1);
        awaitMesh();
    }

    /** Waits until the node behind url knows of the subscription on node 1 (nothing to wait for on node 1). */
    private void awaitInterestOn(String url, String subject) {
        for (int i = 1; i < 3; i++) {
            if (url.endsWith(":" + clientPorts[i])) {
                JetraftNode n = nodes[i];
                await().atMost(Duration.ofSeconds(5)).until(() -> n.routes().snapshots().stream()
                        .anyMatch(r -> r.subscriptions().contains(subject)));
            }
        }
    }

    @Test
    void routesReconnectAfterANodeRestarts() throws Exception {
        nodes[0].shutdown();
        await().atMost(Duration.ofSeconds(5)).until(() -> nodes[1].routes().size() == 1
                && nodes[2].routes().size() == 1);
        nodes[0] = start(0);
        awaitMesh();
        Subscription s = subscribeEverywhere(connect(0), "back.again");
        Connection pub = connect(2);
        pub.publish("back.again", "hello".getBytes());
        pub.flush(Duration.ofSeconds(2));
        assertThat(s.nextMessage(Duration.ofSeconds(5))).isNotNull();
    }

    @Test
    void aNodeOfAnotherClusterOrWithADuplicateNameIsRefusedAndTheClusterKeepsWorking() throws Exception {
        JetraftNode stranger = JetraftNode.start(TestConfigs.node().name("stranger").cluster("other", Ports.free(),
                clusterPorts[0]).build());
        JetraftNode impostor = JetraftNode.start(TestConfigs.node().name("n2").cluster("c1", Ports.free(),
                clusterPorts[0]).build());
        try {
            await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> true);
            assertThat(stranger.routes().size()).isZero();
            assertThat(impostor.routes().size()).isZero();
            assertThat(nodes[0].routes().size()).isEqualTo(2);
            assertThat(nodes[0].routes().snapshots()).extracting(RouteSnapshot::remoteName)
                    .containsExactlyInAnyOrder("n2", "n3");
        } finally {
            stranger.shutdown();
            impostor.shutdown();
        }
        Subscription s = subscribeEverywhere(connect(0), "still.working");
        Connection pub = connect(1);
        pub.publish("still.working", "yes".getBytes());
        pub.flush(Duration.ofSeconds(2));
        assertThat(s.nextMessage(Duration.ofSeconds(5))).isNotNull();
    }

    @Test
    void garbageOnTheClusterPortIsDroppedAndTheClusterKeepsWorking() throws Exception {
        try (Socket garbage = new Socket("127.0.0.1", clusterPorts[0])) {
            garbage.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            garbage.getOutputStream().flush();
            garbage.setSoTimeout(5000);
            byte[] buf = new byte[8192];
            int total = 0;
            int n;
            while ((n = garbage.getInputStream().read(buf)) >= 0) {
                total += n;
            }
            assertThat(total).as("the INFO sent before the garbage").isPositive();
        }
        assertThat(nodes[0].routes().size()).isEqualTo(2);
        Subscription s = subscribeEverywhere(connect(1), "after.garbage");
        Connection pub = connect(0);
        pub.publish("after.garbage", "ok".getBytes());
        pub.flush(Duration.ofSeconds(2));
        assertThat(s.nextMessage(Duration.ofSeconds(5))).isNotNull();
    }
}
