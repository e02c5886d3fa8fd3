package io.jetraft.raft;

import io.jetraft.storage.ConsumerState;
import io.jetraft.storage.StoredMessage;
import io.jetraft.storage.StreamStore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** What a replica holds of a stream (messages, times, state, applied index, consumers), to compare replicas. */
record StoreContents(List<String> messages, String state, String applied, List<String> consumers,
                     List<Long> timestamps) {

    static StoreContents of(StreamStore s) {
        List<String> msgs = new ArrayList<>();
        List<Long> ts = new ArrayList<>();
        long seq = s.state().firstSeq();
        while (true) {
            var m = s.nextMessage(">", seq);
            if (m.isEmpty()) {
                break;
            }
            StoredMessage sm = m.get();
            msgs.add(sm.seq() + " " + sm.subject() + " " + new String(sm.payload(), StandardCharsets.UTF_8));
            ts.add(sm.timestampNanos());
            seq = sm.seq() + 1;
        }
        List<String> consumers = new ArrayList<>();
        for (String c : new TreeSet<>(s.consumerNames())) {
            ConsumerState st = s.consumer(c).orElseThrow().state();
            consumers.add(c + " delivered=" + st.delivered() + " floor=" + st.ackFloor() + " pending="
                    + st.pending().keySet());
        }
        return new StoreContents(msgs, s.state().toString(), s.appliedIndex().toString(), consumers, ts);
    }

    /** Without the applied index (a replica restored from a snapshot may have recorded fewer no-op entries). */
    StoreContents data() {
        return new StoreContents(messages, state, "", consumers, timestamps);
    }
}
