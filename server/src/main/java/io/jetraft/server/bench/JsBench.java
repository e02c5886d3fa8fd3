package io.jetraft.server.bench;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A JetStream run with jnats against any NATS server with JetStream (jetraft or nats-server), in the spirit of
 * {@code nats bench --js}: a file stream of R replicas; synchronous publishes (each waits for its PubAck: rate and
 * latency), asynchronous publishes (a window of PubAcks outstanding: rate), then one pull consumer reading the
 * stream back (rate), the same with an explicit ack per message, and last asynchronous publishes spread over many
 * streams at once (their aggregate rate: on jetraft the streams share their replica set's few Raft groups, and so
 * their fsyncs). The streams are deleted at the end.
 */
public final class JsBench {

    /** What to run. */
    public record Plan(String serverUrl, String stream, int replicas, long syncMessages, long asyncMessages,
                       int window, int size, int batch, Duration timeout, int streams) {

        /** The same plan against another server. */
        public Plan withServer(String url) {
            return new Plan(url, stream, replicas, syncMessages, asyncMessages, window, size, batch, timeout, streams);
        }
    }

    /** One phase's outcome; latencies only for the synchronous publishes. */
    public record Phase(String name, long messages, long nanos, double p50Millis, double p99Millis) {
        public double messagesPerSecond() {
            return nanos == 0 ? 0 : messages * 1e9 / nanos;
        }
    }

    /** The five phases (the last one empty when the plan asks for no extra streams). */
    public record Result(Phase sync, Phase async, Phase consume, Phase consumeAck, Phase manyStreams) {
    }

    private JsBench() {
    }

    public static Result run(Plan plan, PrintStream out) throws Exception {
        out.printf("Starting JetStream benchmark [stream=%s, R%d, msgsize=%d B, sync msgs=%,d, async msgs=%,d "
                        + "(window %d), pull batch %d, server=%s]%n", plan.stream(), plan.replicas(), plan.size(),
                plan.syncMessages(), plan.asyncMessages(), plan.window(), plan.batch(), plan.serverUrl());
        Options options = new Options.Builder().server(plan.serverUrl()).connectionName("jetraft-bench-js")
                .connectionTimeout(Duration.ofSeconds(5)).maxMessagesInOutgoingQueue(200_000)
                .bufferSize(256 * 1024).build();
        try (Connection nc = Nats.connect(options)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            String subject = plan.stream().toLowerCase() + ".bench";
            try {
                jsm.deleteStream(plan.stream());
            } catch (JetStreamApiException e) {
                // not there
            }
            jsm.addStream(StreamConfiguration.builder().name(plan.stream()).subjects(subject)
                    .storageType(StorageType.File).replicas(plan.replicas()).build());
            JetStream js = nc.jetStream();
            byte[] payload = new byte[plan.size()];
            // warm up the path (and the JIT) a little before timing
            for (int i = 0; i < 200; i++) {
                js.publish(subject, payload);
            }

            long[] latencies = new long[(int) plan.syncMessages()];
            long t0 = System.nanoTime();
            for (int i = 0; i < latencies.length; i++) {
                long t = System.nanoTime();
                js.publish(subject, payload);
                latencies[i] = System.nanoTime() - t;
            }
            long syncNanos = System.nanoTime() - t0;
            Arrays.sort(latencies);
            Phase sync = new Phase("sync publish", latencies.length, syncNanos, percentile(latencies, 0.50),
                    percentile(latencies, 0.99));
            print(out, sync);

            ArrayDeque<CompletableFuture<PublishAck>> inFlight = new ArrayDeque<>();
            t0 = System.nanoTime();
            for (long i = 0; i < plan.asyncMessages(); i++) {
                inFlight.add(js.publishAsync(subject, payload));
                if (inFlight.size() >= plan.window()) {
                    inFlight.poll().get(plan.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                }
            }
            while (!inFlight.isEmpty()) {
                inFlight.poll().get(plan.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            Phase async = new Phase("async publish", plan.asyncMessages(), System.nanoTime() - t0, 0, 0);
            print(out, async);

            long total = 200 + plan.syncMessages() + plan.asyncMessages();
            jsm.addOrUpdateConsumer(plan.stream(), ConsumerConfiguration.builder().durable("bench")
                    .ackPolicy(AckPolicy.None).build());
            JetStreamSubscription sub = js.subscribe(null, PullSubscribeOptions.bind(plan.stream(), "bench"));
            long received = 0;
            long deadline = System.nanoTime() + plan.timeout().toNanos();
            t0 = System.nanoTime();
            while (received < total && System.nanoTime() < deadline) {
                List<Message> got = sub.fetch(plan.batch(), Duration.ofSeconds(2));
                received += got.size();
            }
            Phase consume = new Phase("pull consume", received, System.nanoTime() - t0, 0, 0);
            print(out, consume);
            if (received < total) {
                out.printf(" (the consumer read %,d of %,d messages before the timeout)%n", received, total);
            }

            // the same with an explicit ack for every message: the last one is an AckSync, answered once it is
            // replicated, and acks are replicated in order, so the phase ends when the server has recorded them all
            jsm.addOrUpdateConsumer(plan.stream(), ConsumerConfiguration.builder().durable("bench-ack")
                    .ackPolicy(AckPolicy.Explicit).maxAckPending(-1).ackWait(plan.timeout().multipliedBy(2))
                    .build());
            JetStreamSubscription acking = js.subscribe(null, PullSubscribeOptions.bind(plan.stream(), "bench-ack"));
            long acked = 0;
            deadline = System.nanoTime() + plan.timeout().toNanos();
            t0 = System.nanoTime();
            while (acked < total && System.nanoTime() < deadline) {
                for (Message m : acking.fetch(plan.batch(), Duration.ofSeconds(2))) {
                    if (++acked == total) {
                        m.ackSync(plan.timeout());
                    } else {
                        m.ack();
                    }
                }
            }
            Phase consumeAck = new Phase("pull consume + ack", acked, System.nanoTime() - t0, 0, 0);
            print(out, consumeAck);
            if (acked < total) {
                out.printf(" (the acking consumer read %,d of %,d messages before the timeout)%n", acked, total);
            }
            jsm.deleteStream(plan.stream());
            Phase many = plan.streams() > 0 ? manyStreams(plan, jsm, js, payload, out)
                    : new Phase("async publish to 0 streams", 0, 0, 0, 0);
            return new Result(sync, async, consume, consumeAck, many);
        }
    }

    /** Asynchronous publishes round-robin over {@code plan.streams()} new streams, one window over all of them. */
    private static Phase manyStreams(Plan plan, JetStreamManagement jsm, JetStream js, byte[] payload,
                                     PrintStream out) throws Exception {
        String prefix = plan.stream().toLowerCase() + ".many.";
        for (int i = 0; i < plan.streams(); i++) {
            String name = plan.stream() + "_M" + i;
            try {
                jsm.deleteStream(name);
            } catch (JetStreamApiException e) {
                // not there
            }
            jsm.addStream(StreamConfiguration.builder().name(name).subjects(prefix + i)
                    .storageType(StorageType.File).replicas(plan.replicas()).build());
        }
        ArrayDeque<CompletableFuture<PublishAck>> inFlight = new ArrayDeque<>();
        long t0 = System.nanoTime();
        for (long i = 0; i < plan.asyncMessages(); i++) {
            inFlight.add(js.publishAsync(prefix + (i % plan.streams()), payload));
            if (inFlight.size() >= plan.window()) {
                inFlight.poll().get(plan.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        }
        while (!inFlight.isEmpty()) {
            inFlight.poll().get(plan.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        Phase many = new Phase("async publish to " + plan.streams() + " streams", plan.asyncMessages(),
                System.nanoTime() - t0, 0, 0);
        print(out, many);
        for (int i = 0; i < plan.streams(); i++) {
            jsm.deleteStream(plan.stream() + "_M" + i);
        }
        return many;
    }

    /** Runs of one plan against two servers, in turns. */
    public record Comparison(String firstUrl, String secondUrl, List<Result> first, List<Result> second) {

        /** The median rate of phase {@code i} (0: sync ... 4: many streams) over one server's runs. */
        static double medianRate(List<Result> runs, int i) {
            return median(runs.stream().mapToDouble(r -> phases(r).get(i).messagesPerSecond()).toArray());
        }

        /** The first server's median rate of phase {@code i} divided by the second's (0 when the second's is 0). */
        public double ratio(int i) {
            double second = medianRate(this.second, i);
            return second == 0 ? 0 : medianRate(first, i) / second;
        }
    }

    /**
     * Runs {@code plan} against its server and against {@code otherUrl} in turns (first, second, first, ...),
     * {@code rounds} times each, then prints every phase's median rate on both and their ratio, first / second: the
     * same client, the same machine, the same minutes, as a side-by-side comparison needs.
     */
    public static Comparison compare(Plan plan, String otherUrl, int rounds, PrintStream out) throws Exception {
        Plan other = plan.withServer(otherUrl);
        List<Result> first = new java.util.ArrayList<>();
        List<Result> second = new java.util.ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            first.add(run(plan, out));
            second.add(run(other, out));
        }
        Comparison c = new Comparison(plan.serverUrl(), otherUrl, first, second);
        printComparison(out, c, rounds);
        return c;
    }

    private static void printComparison(PrintStream out, Comparison c, int rounds) {
        out.printf("%nSide by side, median of %d run%s each, in turns (ratio = first / second):%n", rounds,
                rounds == 1 ? "" : "s");
        int width = Math.max(16, Math.max(c.firstUrl().length(), c.secondUrl().length())) + 2;
        String row = " %-28s %" + width + "s %" + width + "s %7s%n";
        out.printf(row, "phase", c.firstUrl(), c.secondUrl(), "ratio");
        List<Phase> names = phases(c.first().get(0));
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).messages() == 0 && names.get(i).nanos() == 0) {
                continue;
            }
            out.printf(row, names.get(i).name(), String.format("%,.0f msgs/sec", Comparison.medianRate(c.first(), i)),
                    String.format("%,.0f msgs/sec", Comparison.medianRate(c.second(), i)),
                    String.format("%.2f", c.ratio(i)));
        }
        double p50First = median(c.first().stream().mapToDouble(r -> r.sync().p50Millis()).toArray());
        double p50Second = median(c.second().stream().mapToDouble(r -> r.sync().p50Millis()).toArray());
        out.printf(row, "sync publish latency p50", String.format("%.2f ms", p50First),
                String.format("%.2f ms", p50Second), p50Second == 0 ? "-" : String.format("%.2f", p50First / p50Second));
    }

    private static List<Phase> phases(Result r) {
        return List.of(r.sync(), r.async(), r.consume(), r.consumeAck(), r.manyStreams());
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n == 0 ? 0 : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.min(sorted.length - 1, Math.floor(p * sorted.length));
        return sorted[i] / 1e6;
    }

    private static void print(PrintStream out, Phase p) {
        if (p.p50Millis() > 0) {
            out.printf(" %s: %,.0f msgs/sec; latency p50 %.2f ms, p99 %.2f ms%n", p.name(), p.messagesPerSecond(),
                    p.p50Millis(), p.p99Millis());
        } else {
            out.printf(" %s: %,.0f msgs/sec%n", p.name(), p.messagesPerSecond());
        }
    }
}
