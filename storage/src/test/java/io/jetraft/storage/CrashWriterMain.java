package io.jetraft.storage;

import io.jetraft.config.ByteSize;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A child process for the crash test: applies entries 1..N to stream LOAD, each entry's effect derived only from its
 * index and the state the previous entries produced, printing its progress, until it is killed.
 */
public final class CrashWriterMain {

    static final String STREAM = "LOAD";

    private CrashWriterMain() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        long upTo = Long.parseLong(args[1]);
        try (NodeStore node = open(dir)) {
            StreamStore s = node.createStream(STREAM, limits()).value();
            for (long i = s.appliedIndex().index() + 1; i <= upTo; i++) {
                apply(s, i);
                if (i % 250 == 0) {
                    System.out.println("applied " + i);
                    System.out.flush();
                }
            }
            System.out.println("done");
        }
    }

    static NodeStore open(Path dir) {
        return NodeStore.open(new StoreOptions(dir, ByteSize.ofMebibytes(8), ByteSize.ofMebibytes(4), false));
    }

    static StreamLimits limits() {
        return StreamLimits.unlimited().withMaxMsgsPerSubject(40).withMaxMsgs(400);
    }

    /** The entry with index {@code i}: a consumer, appends (some duplicates), deliveries, acks and purges. */
    static void apply(StreamStore s, long i) {
        AppliedIndex at = AppliedIndex.of(1 + i / 5000, i);
        if (i == 1) {
            s.createConsumer(at, "C", new ConsumerConfig(ConsumerConfig.AckPolicy.EXPLICIT, 3, List.of()), 1);
        } else if (i % 97 == 0) {
            s.purge(at, new PurgeRequest("load." + (i % 13), 0, 3));
        } else if (i % 7 == 0) {
            long sseq = Math.max(1, s.state().lastSeq() - (i % 5));
            s.consumerDelivered(at, "C", i / 7, sseq, 1 + (i % 3 == 0 ? 1 : 0), i * 1_000_000L);
        } else if (i % 11 == 0) {
            ConsumerState cs = s.consumer("C").orElseThrow().state();
            if (cs.pending().isEmpty()) {
                s.recordApplied(at);
            } else {
                long sseq = cs.pending().keySet().iterator().next();
                s.consumerAcked(at, "C", cs.pending().get(sseq).consumerSeq(), sseq);
            }
        } else {
            String payload = ("m" + i + "-").repeat(1 + (int) (i % 20));
            Append a = Append.of("load." + (i % 13), ("h" + i).getBytes(StandardCharsets.UTF_8),
                    payload.getBytes(StandardCharsets.UTF_8), i * 1_000_000L);
            if (i % 3 == 0) {
                a = a.withMsgId("id-" + (i / 6));
            }
            s.append(at, a);
        }
    }
}
