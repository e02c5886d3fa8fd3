package io.jetraft.raft;

import io.jetraft.raft.transfer.TransferReport;
import io.jetraft.storage.StreamLimits;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;

/**
 * Raft figures for the notes, not part of the test suite. Real Ratis peers in this JVM on loopback, real RocksDB
 * stores and Raft logs (fsync before an index counts as written). Run by hand:
 *
 * <pre>
 * mvn -o -q -pl raft -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/raft.cp \
 *     -Dmdep.includeScope=test
 * java -Xmx2g -cp raft/target/test-classes:raft/target/classes:storage/target/classes:config/target/classes:$(cat \
 *     /tmp/raft.cp) io.jetraft.raft.RaftBench publish|transfer|idle
 * </pre>
 * {@code publish}: R3 publishes of one 128-byte message each from 1 and from 16 concurrent writers (rate, p50, p99);
 * {@code transfer}: leadership of 100 R3 groups moved off one node (within the 1 s bound, and to the end);
 * {@code idle}: heap and threads of one node hosting 1,000 idle R1 groups.
 */
public final class RaftBench {

    private RaftBench() {
    }

    public static void main(String[] args) throws Exception {
        String what = args.length > 0 ? args[0] : "publish";
        Path dir = Files.createTempDirectory("jetraft-raft-bench-");
        try {
            switch (what) {
                case "publish" -> publish(dir, Integer.getInteger("ops", 3000));
                case "transfer" -> transfer(dir, Integer.getInteger("groups", 100));
                case "idle" -> idle(dir, Integer.getInteger("groups", 1000));
                default -> throw new IllegalArgumentException("publish, transfer or idle");
            }
        } finally {
            TestCluster.deleteTree(dir);
        }
        System.exit(0);
    }

    private static TestCluster cluster(Path dir, int nodes) {
        // production timing (elections 1-2 s), not the tests' short one
        return new TestCluster(dir, nodes).withTiming(RaftTiming.defaults()).withLog(RaftLogSettings.defaults())
                .start();
    }

    static void publish(Path dir, int ops) throws Exception {
        try (TestCluster cluster = cluster(dir, 3)) {
            RaftNode n1 = cluster.node(0);
            n1.meta().createStream(StreamSpec.of("P", 3, StreamLimits.unlimited())).join().value();
            RaftNode leader = cluster.awaitLeader("P");
            byte[] payload = new byte[128];
            for (int i = 0; i < 300; i++) {
                leader.streams().publish("P", List.of(Publish.of("p.x", payload))).join();
            }
            for (int writers : new int[] {1, 16}) {
                long[] latencies = new long[ops];
                AtomicLong next = new AtomicLong();
                CountDownLatch done = new CountDownLatch(writers);
                long t0 = System.nanoTime();
                for (int w = 0; w < writers; w++) {
                    Thread t = new Thread(() -> {
                        long i;
                        while ((i = next.getAndIncrement()) < ops) {
                            long s = System.nanoTime();
                            leader.streams().publish("P", List.of(Publish.of("p.x", payload))).join().get(0).value();
                            latencies[(int) i] = System.nanoTime() - s;
                        }
                        done.countDown();
                    });
                    t.start();
                }
                done.await();
                long took = System.nanoTime() - t0;
                Arrays.sort(latencies);
                System.out.printf("R3 publish, %2d writer(s): %,d publishes in %d ms = %,.0f/s; latency p50 %.2f ms, "
                                + "p99 %.2f ms%n", writers, ops, took / 1_000_000, ops * 1e9 / took,
                        latencies[ops / 2] / 1e6, latencies[ops * 99 / 100] / 1e6);
            }
        }
    }

    static void transfer(Path dir, int groups) {
        try (TestCluster cluster = cluster(dir, 3)) {
            RaftNode n1 = cluster.node(0);
            cluster.node(1).leadership().pauseElections();
            cluster.node(2).leadership().pauseElections();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < groups; i++) {
                names.add("T" + i);
                n1.meta().createStream(StreamSpec.of("T" + i, 3, StreamLimits.unlimited())).join().value();
            }
            for (String name : names) {
                await().atMost(Duration.ofSeconds(60)).until(() -> n1.streams().isLeader(name));
            }
            cluster.node(1).leadership().resumeElections();
            cluster.node(2).leadership().resumeElections();
            for (String name : names) {
                await().atMost(Duration.ofSeconds(60)).until(() -> n1.streams().health(name).orElseThrow()
                        .replicas().stream().allMatch(r -> r.current()));
            }
            n1.leadership().pauseElections();
            Integer dumpAt = Integer.getInteger("dump");
            if (dumpAt != null) {
                Thread dumper = new Thread(() -> {
                    try {
                        Thread.sleep(dumpAt);
                    } catch (InterruptedException e) {
                        return;
                    }
                    dumpThreads();
                });
                dumper.setDaemon(true);
                dumper.start();
            }
            long t0 = System.nanoTime();
            TransferReport report = n1.leadership().transferAll(Duration.ofSeconds(1));
            System.out.printf("transfer of %d groups within the 1 s bound: %s%n", report.groups().size(), report);
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(10)).until(() -> names.stream()
                    .noneMatch(n -> n1.streams().isLeader(n) || n1.streams().leader(n).isEmpty()));
            System.out.printf("every group led by another node %d ms after the transfer started%n",
                    (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** -Ddump=MS: where the threads are MS into the transfer (top frames inside jetraft and Ratis, counted). */
    private static void dumpThreads() {
        java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
        for (java.lang.management.ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
            StringBuilder key = new StringBuilder(info.getThreadState().toString());
            int shown = 0;
            for (StackTraceElement e : info.getStackTrace()) {
                if (shown < Integer.getInteger("depth", 4)) {
                    key.append(" <- ").append(e.getClassName().replaceAll(".*\\.", "")).append('.')
                            .append(e.getMethodName());
                    shown++;
                }
            }
            counts.merge(info.getThreadName().replaceAll("[0-9]+", "N") + ": " + key, 1, Integer::sum);
        }
        counts.entrySet().stream().filter(e -> !e.getKey().contains("TIMED_WAITING <- Unsafe.park <- LockSupport.parkNanos")
                        || e.getKey().contains("transfer"))
                .forEach(e -> System.out.println("DUMP " + e.getValue() + " x " + e.getKey()));
    }

    static void idle(Path dir, int groups) {
        try (TestCluster cluster = cluster(dir, 1)) {
            RaftNode n1 = cluster.node(0);
            int before = Thread.activeCount();
            long t0 = System.nanoTime();
            for (int i = 0; i < groups; i++) {
                n1.meta().createStream(StreamSpec.of("I" + i, 1, StreamLimits.unlimited())).join().value();
            }
            System.out.printf("created %d R1 groups in %d ms%n", groups, (System.nanoTime() - t0) / 1_000_000);
            await().atMost(Duration.ofSeconds(120)).until(() -> n1.health().all().size() >= groups + 1);
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            System.out.printf("%d idle groups: heap used %d MiB after GC, non-heap %d MiB, threads %d (%d before)%n",
                    groups, memory.getHeapMemoryUsage().getUsed() >> 20, memory.getNonHeapMemoryUsage().getUsed() >> 20,
                    Thread.activeCount(), before);
        }
    }
}
