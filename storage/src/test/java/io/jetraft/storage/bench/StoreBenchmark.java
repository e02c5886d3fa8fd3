package io.jetraft.storage.bench;

import io.jetraft.config.ByteSize;
import io.jetraft.storage.Append;
import io.jetraft.storage.AppliedIndex;
import io.jetraft.storage.NodeStore;
import io.jetraft.storage.StoreOptions;
import io.jetraft.storage.StreamLimits;
import io.jetraft.storage.StreamStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The store's hot paths as the Raft apply thread and the readers use them: batched appends (one WriteBatch and one
 * applied index per batch of {@value #BATCH}, as one publish entry is applied), load by sequence and last message of
 * a subject among 100,000. Not part of the test suite; run by hand (see {@link StreamAppendBenchmark} for the
 * classpath), e.g. {@code org.openjdk.jmh.Main StoreBenchmark}. Scores are operations (messages or reads) per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(1)
public class StoreBenchmark {

    static final int BATCH = 256;
    static final int SUBJECTS = 100_000;

    @Param({"128", "4096"})
    public int size;

    private Path dir;
    private NodeStore node;
    private StreamStore appendStream;
    private StreamStore readStream;
    private List<Append> batch;
    private long index;
    private long readLast;
    private final SplittableRandom random = new SplittableRandom(7);

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path base = Path.of(System.getProperty("jetraft.bench.dir", System.getProperty("java.io.tmpdir")));
        dir = Files.createTempDirectory(base, "jetraft-store-bench-");
        node = NodeStore.open(new StoreOptions(dir, ByteSize.ofMebibytes(256), ByteSize.ofMebibytes(64), false));
        appendStream = node.createStream("APPEND", StreamLimits.unlimited()).value();
        readStream = node.createStream("READ", StreamLimits.unlimited()).value();
        byte[] payload = new byte[size];
        batch = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            batch.add(Append.of("bench.append." + (i % 16), null, payload, 1));
        }
        // the read stream: one message on each of 100,000 subjects, then a second round on every tenth
        List<Append> load = new ArrayList<>(BATCH);
        long at = 0;
        for (int round = 0; round < 2; round++) {
            for (int s = 0; s < SUBJECTS; s += round == 0 ? 1 : 10) {
                load.add(Append.of("bench.read." + s, null, payload, s));
                if (load.size() == BATCH) {
                    readStream.appendBatch(AppliedIndex.of(1, ++at), load);
                    load.clear();
                }
            }
        }
        if (!load.isEmpty()) {
            readStream.appendBatch(AppliedIndex.of(1, ++at), load);
        }
        readLast = readStream.state().lastSeq();
    }

    /** Messages appended per second, in batches of {@value #BATCH} with one applied index each. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int appendBatch() {
        return appendStream.appendBatch(AppliedIndex.of(1, ++index), batch).value().size();
    }

    /** Messages loaded per second by a random sequence. */
    @Benchmark
    public Object loadBySequence() {
        return readStream.message(1 + random.nextLong(readLast)).orElseThrow();
    }

    /** The last message of a random one of 100,000 subjects, per second. */
    @Benchmark
    public Object lastBySubject() {
        return readStream.lastMessage("bench.read." + random.nextInt(SUBJECTS)).orElseThrow();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        node.close();
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
