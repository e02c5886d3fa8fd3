package io.jetraft.storage;

import io.jetraft.config.ByteSize;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small helpers shared by the storage tests. */
final class TestStores {

    private TestStores() {
    }

    static NodeStore open(Path dir) {
        return NodeStore.open(options(dir));
    }

    static StoreOptions options(Path dir) {
        return new StoreOptions(dir, ByteSize.ofMebibytes(8), ByteSize.ofMebibytes(4), false);
    }

    static StreamStore stream(NodeStore node, String name, StreamLimits limits) {
        return node.createStream(name, limits).value();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static long append(StreamStore s, Entries e, String subject, String payload, long ts) {
        return s.append(e.next(), Append.of(subject, null, bytes(payload), ts)).value().seq();
    }

    /** Every stored message in sequence order, as "seq subject payload". */
    static List<String> contents(StreamStore s) {
        List<String> out = new ArrayList<>();
        StreamState st = s.state();
        long seq = st.firstSeq();
        while (true) {
            var m = s.nextMessage(">", seq);
            if (m.isEmpty()) {
                break;
            }
            out.add(m.get().seq() + " " + m.get().subject() + " " + text(m.get().payload()));
            seq = m.get().seq() + 1;
        }
        return out;
    }
}
