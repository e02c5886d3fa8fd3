package io.jetraft.raft.meta;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jetraft.raft.proto.GroupRecord;
import io.jetraft.raft.proto.StreamRecord;
import io.jetraft.storage.MetaRecords;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * This node's view of the applied meta state: written only by the meta state machine (on its apply thread), read by
 * anyone. Loaded from the store at start, so stream groups found on disk can be matched to their streams before the
 * meta group has caught up.
 */
public final class MetaView {

    private final AtomicReference<MetaState> state = new AtomicReference<>(MetaState.EMPTY);

    public MetaState get() {
        return state.get();
    }

    void set(MetaState s) {
        state.set(s);
    }

    /** Reads the records the meta state machine wrote. */
    public void load(MetaRecords records) {
        set(decode(records.records()));
    }

    static MetaState decode(Map<String, byte[]> records) {
        List<StreamRecord> streams = new ArrayList<>();
        List<GroupRecord> groups = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : records.entrySet()) {
            try {
                if (e.getKey().startsWith(MetaState.STREAM_PREFIX)) {
                    streams.add(StreamRecord.parseFrom(e.getValue()));
                } else if (e.getKey().startsWith(MetaState.GROUP_PREFIX)) {
                    groups.add(GroupRecord.parseFrom(e.getValue()));
                }
            } catch (InvalidProtocolBufferException ex) {
                throw new IllegalStateException("the meta record '" + e.getKey() + "' in the store cannot be decoded ("
                        + ex.getMessage() + "); the store was damaged or written by another program", ex);
            }
        }
        return MetaState.of(streams, groups);
    }
}
