package io.jetraft.raft.meta;

import io.jetraft.raft.codec.EntryCodec;
import io.jetraft.raft.proto.AssignConsumer;
import io.jetraft.raft.proto.ConsumerRecord;
import io.jetraft.raft.proto.CreateStream;
import io.jetraft.raft.proto.GroupRecord;
import io.jetraft.raft.proto.MetaEntry;
import io.jetraft.raft.proto.MetaReply;
import io.jetraft.raft.proto.PeerAddress;
import io.jetraft.raft.proto.SetPreferredLeader;
import io.jetraft.raft.proto.StreamRecord;
import io.jetraft.raft.proto.UpdateStream;
import io.jetraft.storage.AppliedIndex;
import io.jetraft.storage.JsError;
import io.jetraft.storage.StreamLimits;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What one meta entry changes, decided from the applied meta state and the entry alone (so every node decides the
 * same): the new state, the records to put and delete in the store, and the reply. User errors are refusals in the
 * reply, never exceptions.
 */
final class MetaChanges {

    /** Room the store name of a stream needs after the stream name ({@code #} and 12 hex digits). */
    static final int MAX_STREAM_NAME = 255 - 13;
    static final int MAX_REPLICAS = 5;

    record Change(MetaState state, Map<String, byte[]> puts, List<String> deletes, MetaReply reply) {
        static Change refused(MetaState s, JsError e) {
            return new Change(s, Map.of(), List.of(), MetaReply.newBuilder().setError(EntryCodec.error(e)).build());
        }

        static Change none(MetaState s, MetaReply reply) {
            return new Change(s, Map.of(), List.of(), reply);
        }
    }

    private MetaChanges() {
    }

    static Change decide(MetaState s, MetaEntry entry, AppliedIndex at) {
        return switch (entry.getKindCase()) {
            case CREATE_STREAM -> createStream(s, entry.getCreateStream(), at);
            case UPDATE_STREAM -> updateStream(s, entry.getUpdateStream());
            case DELETE_STREAM -> deleteStream(s, entry.getDeleteStream().getName());
            case ASSIGN_CONSUMER -> assignConsumer(s, entry.getAssignConsumer());
            case UNASSIGN_CONSUMER -> unassignConsumer(s, entry.getUnassignConsumer().getStream(),
                    entry.getUnassignConsumer().getName());
            case SET_PREFERRED_LEADER -> setPreferredLeader(s, entry.getSetPreferredLeader());
            default -> throw new IllegalStateException("unhandled meta entry " + entry.getKindCase());
        };
    }

    private static Change createStream(MetaState s, CreateStream c, AppliedIndex at) {
        String name = c.getName();
        if (!isValidName(name)) {
            return Change.refused(s, JsError.invalidStreamConfig(
                    "stream name is required and can not contain '.', '*', '>', '/', '\\', whitespace or controls"));
        }
        if (name.length() > MAX_STREAM_NAME) {
            return Change.refused(s, JsError.invalidStreamConfig("stream name is too long, maximum allowed is "
                    + MAX_STREAM_NAME));
        }
        int replicas = Math.max(1, c.getReplicas());
        if (replicas > MAX_REPLICAS) {
            return Change.refused(s, JsError.invalidStreamConfig("maximum replicas is " + MAX_REPLICAS));
        }
        StreamLimits.Validated v = EntryCodec.limits(c.getLimits()).validate();
        if (v.error() != null) {
            return Change.refused(s, v.error());
        }
        StreamRecord existing = s.stream(name).orElse(null);
        if (existing != null) {
            boolean same = EntryCodec.limits(existing.getLimits()).equals(v.limits())
                    && existing.getPeersCount() == replicas && existing.getConfig().equals(c.getConfig());
            return same ? Change.none(s, reply(s, existing).build()) : Change.refused(s, JsError.streamNameInUse());
        }
        if (c.getPeersCount() < replicas) {
            return Change.refused(s, new JsError(400, 10005, "no suitable peers for placement"));
        }
        List<PeerAddress> peers = c.getPeersList().subList(0, replicas);
        GroupPlacement.Placed placed = GroupPlacement.place(s, peers, c.getPreferredLeader(), c.getGroupsPerSet(),
                at, c.getNowNanos());
        StreamRecord r = StreamRecord.newBuilder()
                .setName(name)
                .setGroupId(placed.group().getGroupId())
                .addAllPeers(placed.group().getPeersList())
                .setInitialLimits(EntryCodec.limits(v.limits()))
                .setLimits(EntryCodec.limits(v.limits()))
                .setConfig(c.getConfig())
                .setCreatedNanos(c.getNowNanos())
                .setStoreName(storeName(name, at))
                .build();
        MetaState next = s.withGroups(placed.created()).with(r);
        Map<String, byte[]> puts = new HashMap<>();
        puts.put(MetaState.key(name), r.toByteArray());
        for (GroupRecord g : placed.created()) {
            puts.put(MetaState.groupKey(g.getGroupId()), g.toByteArray());
        }
        return new Change(next, puts, List.of(), reply(next, r).setCreated(true).build());
    }

    private static Change updateStream(MetaState s, UpdateStream u) {
        StreamRecord r = s.stream(u.getName()).orElse(null);
        if (r == null) {
            return Change.refused(s, streamNotFound());
        }
        if (u.getReplicas() != 0 && u.getReplicas() != r.getPeersCount()) {
            return Change.refused(s, JsError.invalidStreamConfig(
                    "changing the number of replicas of a stream is not supported by this jetraft"));
        }
        StreamLimits.Validated v = EntryCodec.limits(u.getLimits()).validate();
        if (v.error() != null) {
            return Change.refused(s, v.error());
        }
        if (v.limits().retention() != EntryCodec.limits(r.getLimits()).retention()) {
            return Change.refused(s, JsError.invalidStreamConfig(
                    "stream configuration update can not change retention policy"));
        }
        StreamRecord updated = r.toBuilder().setLimits(EntryCodec.limits(v.limits())).setConfig(u.getConfig())
                .build();
        return put(s, updated);
    }

    private static Change deleteStream(MetaState s, String name) {
        StreamRecord r = s.stream(name).orElse(null);
        if (r == null) {
            return Change.refused(s, streamNotFound());
        }
        return new Change(s.without(name), Map.of(), List.of(MetaState.key(name)), reply(s, r).build());
    }

    private static Change assignConsumer(MetaState s, AssignConsumer a) {
        StreamRecord r = s.stream(a.getStream()).orElse(null);
        if (r == null) {
            return Change.refused(s, streamNotFound());
        }
        if (!isValidName(a.getName())) {
            return Change.refused(s, new JsError(400, 10103, "durable name can not contain '.', '*', '>'"));
        }
        int i = consumerIndex(r, a.getName());
        if (i >= 0) {
            ConsumerRecord old = r.getConsumers(i);
            ConsumerRecord updated = old.toBuilder().setSettings(a.getSettings()).setConfig(a.getConfig()).build();
            if (updated.equals(old)) {
                return Change.none(s, reply(s, r).setConsumer(old).build());
            }
            StreamRecord nr = r.toBuilder().setConsumers(i, updated).build();
            Change c = put(s, nr);
            return new Change(c.state(), c.puts(), c.deletes(), c.reply().toBuilder().setConsumer(updated).build());
        }
        ConsumerRecord c = ConsumerRecord.newBuilder()
                .setName(a.getName())
                .setSettings(a.getSettings())
                .setStart(a.getStart())
                .setConfig(a.getConfig())
                .setCreatedNanos(a.getNowNanos())
                .build();
        StreamRecord nr = r.toBuilder().addConsumers(c).build();
        Change ch = put(s, nr);
        return new Change(ch.state(), ch.puts(), ch.deletes(),
                ch.reply().toBuilder().setConsumer(c).setCreated(true).build());
    }

    private static Change unassignConsumer(MetaState s, String stream, String name) {
        StreamRecord r = s.stream(stream).orElse(null);
        if (r == null) {
            return Change.refused(s, streamNotFound());
        }
        int i = consumerIndex(r, name);
        if (i < 0) {
            return Change.refused(s, JsError.consumerNotFound());
        }
        ConsumerRecord gone = r.getConsumers(i);
        Change c = put(s, r.toBuilder().removeConsumers(i).build());
        return new Change(c.state(), c.puts(), c.deletes(), c.reply().toBuilder().setConsumer(gone).build());
    }

    private static Change setPreferredLeader(MetaState s, SetPreferredLeader p) {
        GroupRecord g = s.group(p.getGroupId()).orElse(null);
        if (g == null) {
            return Change.refused(s, new JsError(404, 10059, "stream group not found"));
        }
        if (g.getPeersList().stream().noneMatch(a -> a.getName().equals(p.getPeer()))) {
            return Change.refused(s, new JsError(400, 10040, "peer not a member"));
        }
        if (g.getPreferredLeader().equals(p.getPeer())) {
            return Change.none(s, MetaReply.newBuilder().setGroup(g).build());
        }
        GroupRecord updated = g.toBuilder().setPreferredLeader(p.getPeer()).build();
        return new Change(s.withGroups(List.of(updated)),
                Map.of(MetaState.groupKey(updated.getGroupId()), updated.toByteArray()), List.of(),
                MetaReply.newBuilder().setGroup(updated).build());
    }

    private static Change put(MetaState s, StreamRecord r) {
        MetaState next = s.with(r);
        return new Change(next, Map.of(MetaState.key(r.getName()), r.toByteArray()), List.of(),
                reply(next, r).build());
    }

    private static MetaReply.Builder reply(MetaState s, StreamRecord r) {
        MetaReply.Builder b = MetaReply.newBuilder().setStream(r);
        s.group(r.getGroupId()).ifPresent(b::setGroup);
        return b;
    }

    /**
     * A stream's name in its group's entries and in the store: its name and 12 hex digits of the meta entry that
     * created it, new for every creation (a stream deleted and created again never meets the old one's data).
     */
    static String storeName(String stream, AppliedIndex createdAt) {
        UUID id = UUID.nameUUIDFromBytes(("jetraft/stream/" + stream + "/" + createdAt.term() + "/"
                + createdAt.index()).getBytes(StandardCharsets.UTF_8));
        return stream + "#" + id.toString().replace("-", "").substring(0, 12);
    }

    private static int consumerIndex(StreamRecord r, String name) {
        for (int i = 0; i < r.getConsumersCount(); i++) {
            if (r.getConsumers(i).getName().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static JsError streamNotFound() {
        return new JsError(404, 10059, "stream not found");
    }

    /** nats-server's rule for stream and consumer names: no subject tokens, path separators, spaces or controls. */
    static boolean isValidName(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            if (ch == '.' || ch == '*' || ch == '>' || ch == '/' || ch == '\\' || Character.isWhitespace(ch)
                    || Character.isISOControl(ch)) {
                return false;
            }
        }
        return true;
    }
}
