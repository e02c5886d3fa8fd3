package io.jetraft.server.bench;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A core NATS publish/subscribe throughput run with jnats, as {@code nats bench} does it: N publishers share the
 * message count, M subscribers each receive every message; each side is timed from its first to its last message.
 */
public final class CoreBench {

    /** What to run. */
    public record Plan(String serverUrl, String subject, int publishers, int subscribers, long messages, int size,
                       Duration timeout) {
    }

    /** Rates of one side (or both together). */
    public record Rate(long messages, long bytes, long nanos) {
        public double messagesPerSecond() {
            return nanos == 0 ? 0 : messages * 1e9 / nanos;
        }

        public double megabytesPerSecond() {
            return nanos == 0 ? 0 : bytes * 1e9 / nanos / (1024.0 * 1024.0);
        }
    }

    /** The outcome: publish side, subscribe side (null without subscribers) and both together. */
    public record Result(Rate publish, Rate subscribe, Rate total) {
    }

    private CoreBench() {
    }

    public static Result run(Plan plan, PrintStream out) throws Exception {
        out.printf("Starting Core NATS pub/sub benchmark [subject=%s, msgs=%,d, msgsize=%d B, pubs=%d, subs=%d, server=%s]%n",
                plan.subject(), plan.messages(), plan.size(), plan.publishers(), plan.subscribers(), plan.serverUrl());
        List<Connection> connections = new ArrayList<>();
        try {
            CountDownLatch subsDone = new CountDownLatch(plan.subscribers());
            List<long[]> subTimes = new ArrayList<>();
            for (int i = 0; i < plan.subscribers(); i++) {
                Connection nc = connect(plan);
                connections.add(nc);
                long[] times = new long[2];
                subTimes.add(times);
                AtomicLong received = new AtomicLong();
                Dispatcher d = nc.createDispatcher(m -> {
                    long n = received.incrementAndGet();
                    if (n == 1) {
                        times[0] = System.nanoTime();
                    }
                    if (n == plan.messages()) {
                        times[1] = System.nanoTime();
                        subsDone.countDown();
                    }
                });
                d.setPendingLimits(-1, -1);
                d.subscribe(plan.subject());
                nc.flush(Duration.ofSeconds(5));
            }

            byte[] payload = new byte[plan.size()];
            long perPublisher = plan.messages() / plan.publishers();
            long remainder = plan.messages() % plan.publishers();
            List<Thread> threads = new ArrayList<>();
            long[][] pubTimes = new long[plan.publishers()][2];
            CountDownLatch go = new CountDownLatch(1);
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int p = 0; p < plan.publishers(); p++) {
                Connection nc = connect(plan);
                connections.add(nc);
                long count = perPublisher + (p < remainder ? 1 : 0);
                int index = p;
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                        pubTimes[index][0] = System.nanoTime();
                        for (long i = 0; i < count; i++) {
                            nc.publish(plan.subject(), payload);
                        }
                        nc.flush(plan.timeout());
                        pubTimes[index][1] = System.nanoTime();
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }, "bench-pub-" + p);
                threads.add(t);
                t.start();
            }
            go.countDown();
            for (Thread t : threads) {
                t.join(plan.timeout().toMillis());
            }
            if (!errors.isEmpty()) {
                throw new IllegalStateException("a publisher failed: " + errors.get(0), errors.get(0));
            }
            if (!subsDone.await(plan.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("subscribers did not receive all " + plan.messages()
                        + " messages within " + plan.timeout() + " (slow consumer, or messages lost)");
            }
            long pubStart = Long.MAX_VALUE;
            long pubEnd = 0;
            for (long[] t : pubTimes) {
                pubStart = Math.min(pubStart, t[0]);
                pubEnd = Math.max(pubEnd, t[1]);
            }
            long bytes = plan.messages() * plan.size();
            Rate pub = new Rate(plan.messages(), bytes, pubEnd - pubStart);
            Rate sub = null;
            long end = pubEnd;
            if (plan.subscribers() > 0) {
                long subStart = Long.MAX_VALUE;
                long subEnd = 0;
                for (long[] t : subTimes) {
                    subStart = Math.min(subStart, t[0]);
                    subEnd = Math.max(subEnd, t[1]);
                }
                sub = new Rate(plan.messages() * plan.subscribers(), bytes * plan.subscribers(), subEnd - subStart);
                end = Math.max(end, subEnd);
            }
            long totalMessages = plan.messages() * (1 + plan.subscribers());
            Rate total = new Rate(totalMessages, bytes * (1 + plan.subscribers()), end - pubStart);
            if (sub != null) {
                out.printf("NATS Pub/Sub stats: %,.0f msgs/sec ~ %,.2f MB/sec%n", total.messagesPerSecond(),
                        total.megabytesPerSecond());
            }
            out.printf(" Pub stats: %,.0f msgs/sec ~ %,.2f MB/sec%n", pub.messagesPerSecond(), pub.megabytesPerSecond());
            if (sub != null) {
                out.printf(" Sub stats: %,.0f msgs/sec ~ %,.2f MB/sec%n", sub.messagesPerSecond(),
                        sub.megabytesPerSecond());
            }
            return new Result(pub, sub, total);
        } finally {
            for (Connection nc : connections) {
                nc.close();
            }
        }
    }

    private static Connection connect(Plan plan) throws Exception {
        Options options = new Options.Builder()
                .server(plan.serverUrl())
                .connectionName("jetraft-bench")
                .maxMessagesInOutgoingQueue(200_000)
                .bufferSize(256 * 1024)
                .connectionTimeout(Duration.ofSeconds(5))
                .build();
        return Nats.connect(options);
    }
}
