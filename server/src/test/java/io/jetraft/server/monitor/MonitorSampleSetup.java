package io.jetraft.server.monitor;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The JetStream setup behind the recorded nats-server 2.9 monitoring samples (test resources
 * {@code nats-server-2.9/}), made the same way against jetraft by {@link MonitoringShapeTest}: a stream with two
 * subjects, five messages, a durable pull consumer (3 fetched, 2 acked) and a durable push consumer (bound, 5
 * delivered, 3 acked). Depends on jnats and the JDK only, so that {@link #main} can record a real nats-server:
 * <pre>java -cp jnats.jar MonitorSampleSetup.java R nats://HOST:PORT OUT_DIR name=http://HOST:HTTP_PORT...</pre>
 */
public final class MonitorSampleSetup implements AutoCloseable {

    public static final String STREAM = "ORDERS";
    public static final List<String> SUBJECTS = List.of("orders.new", "orders.paid");
    public static final String PULL = "PULL";
    public static final String PUSH = "PUSH";
    public static final String DELIVER_SUBJECT = "deliver.push";

    /** What nats-server is asked for: the endpoint and the file its answer is recorded in. */
    public static final List<List<String>> ENDPOINTS = List.of(
            List.of("/varz", "varz.json"),
            List.of("/jsz?streams=true&consumers=true&config=true", "jsz-detail.json"),
            List.of("/jsz", "jsz.json"),
            List.of("/healthz", "healthz.json"),
            List.of("/routez", "routez.json"),
            List.of("/connz", "connz.json"));

    private final JetStreamSubscription pull;
    private final JetStreamSubscription push;

    private MonitorSampleSetup(JetStreamSubscription pull, JetStreamSubscription push) {
        this.pull = pull;
        this.push = push;
    }

    /** Makes the setup through {@code nc}; the push consumer stays bound until {@link #close}. */
    public static MonitorSampleSetup apply(Connection nc, int replicas) throws Exception {
        JetStreamManagement jsm = nc.jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name(STREAM).subjects(SUBJECTS).storageType(StorageType.File)
                .replicas(replicas).build());
        JetStream js = nc.jetStream();
        for (int i = 0; i < 5; i++) {
            js.publish(SUBJECTS.get(i < 3 ? 0 : 1), ("order " + i).getBytes(StandardCharsets.UTF_8));
        }
        jsm.addOrUpdateConsumer(STREAM, ConsumerConfiguration.builder().durable(PULL).ackPolicy(AckPolicy.Explicit)
                .build());
        JetStreamSubscription pull = js.subscribe(null, PullSubscribeOptions.bind(STREAM, PULL));
        List<Message> fetched = pull.fetch(3, Duration.ofSeconds(10));
        if (fetched.size() != 3) {
            throw new IllegalStateException("fetched " + fetched.size() + " of 3 messages from " + PULL);
        }
        fetched.get(0).ackSync(Duration.ofSeconds(5));
        fetched.get(1).ackSync(Duration.ofSeconds(5));

        jsm.addOrUpdateConsumer(STREAM, ConsumerConfiguration.builder().durable(PUSH).deliverSubject(DELIVER_SUBJECT)
                .ackPolicy(AckPolicy.Explicit).build());
        JetStreamSubscription push = js.subscribe(null, PushSubscribeOptions.bind(STREAM, PUSH));
        for (int i = 0; i < 5; i++) {
            Message m = push.nextMessage(Duration.ofSeconds(10));
            if (m == null) {
                throw new IllegalStateException("push consumer " + PUSH + " delivered only " + i + " of 5");
            }
            if (i < 3) {
                m.ackSync(Duration.ofSeconds(5));
            }
        }
        return new MonitorSampleSetup(pull, push);
    }

    @Override
    public void close() {
        pull.unsubscribe();
        push.unsubscribe();
    }

    /** Records a running nats-server: args = replicas, client URL, output dir, then name=monitor-URL per node. */
    public static void main(String[] args) throws Exception {
        int replicas = Integer.parseInt(args[0]);
        Path out = Path.of(args[2]);
        HttpClient http = HttpClient.newHttpClient();
        try (Connection nc = Nats.connect(args[1]); MonitorSampleSetup setup = apply(nc, replicas)) {
            Thread.sleep(2000); // recording only: let the followers' consumer state and raft activity settle
            for (int i = 3; i < args.length; i++) {
                String[] node = args[i].split("=", 2);
                Path dir = node[0].isEmpty() ? out : out.resolve(node[0]);
                Files.createDirectories(dir);
                for (List<String> e : ENDPOINTS) {
                    Files.writeString(dir.resolve(e.get(1)), get(http, node[1] + e.get(0)));
                }
            }
        }
    }

    private static String get(HttpClient http, String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
