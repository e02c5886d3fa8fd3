package io.jetraft.storage;

import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which streams and stream groups the node's store holds: stream name to stream id, the open {@link StreamStore}
 * handles, and each group's members and applied index. Every change to it is one synchronous RocksDB write.
 *
 * <p>Thread-safety: every method is serialised on this object; a stream's own mutations are not (they take the
 * stream's lock).
 */
final class StreamCatalog {

    private static final Logger LOG = LoggerFactory.getLogger(StreamCatalog.class);

    private final NodeStore node;
    private final Map<String, Long> ids = new TreeMap<>();
    private final Map<String, StreamStore> handles = new HashMap<>();
    private final Map<String, GroupStore> groups = new TreeMap<>();
    private final Map<String, TreeSet<String>> members = new HashMap<>();
    private final Map<String, String> groupOfStream = new HashMap<>();

    StreamCatalog(NodeStore node) {
        this.node = node;
    }

    /** Reads the catalog from the store (at open). */
    synchronized void load() {
        byte[] prefix = Keys.global(Keys.GLOBAL_STREAM);
        try (Scan s = Scan.prefix(node.db(), node.meta(), prefix).seekToFirst()) {
            for (; s.valid(); s.next()) {
                ids.put(text(s.key(), prefix.length, s.key().length), Keys.u64(s.value()));
            }
        }
        byte[] gp = Keys.global(Keys.GLOBAL_GROUP_APPLIED);
        try (Scan s = Scan.prefix(node.db(), node.meta(), gp).seekToFirst()) {
            for (; s.valid(); s.next()) {
                String id = text(s.key(), gp.length, s.key().length);
                groups.put(id, new GroupStore(node, id, Codec.decodeApplied(s.value())));
                members.put(id, new TreeSet<>());
            }
        }
        byte[] mp = Keys.global(Keys.GLOBAL_GROUP_STREAM);
        try (Scan s = Scan.prefix(node.db(), node.meta(), mp).seekToFirst()) {
            for (; s.valid(); s.next()) {
                byte[] k = s.key();
                int zero = indexOfZero(k, mp.length);
                String group = text(k, mp.length, zero);
                String stream = text(k, zero + 1, k.length);
                members.computeIfAbsent(group, g -> new TreeSet<>()).add(stream);
                groupOfStream.put(stream, group);
            }
        }
    }

    synchronized int size() {
        return ids.size();
    }

    // ------------------------------------------------------------------ streams of no group

    synchronized Outcome<StreamStore> createStream(String name, StreamLimits limits) {
        return create(null, null, name, limits);
    }

    synchronized Optional<StreamStore> stream(String name) {
        StreamStore s = handles.get(name);
        if (s != null) {
            return Optional.of(s);
        }
        Long sid = ids.get(name);
        if (sid == null) {
            return Optional.empty();
        }
        String g = groupOfStream.get(name);
        s = new StreamStore(node, name, sid, g == null ? null : groups.get(g));
        handles.put(name, s);
        return Optional.of(s);
    }

    synchronized List<String> streamNames() {
        return List.copyOf(ids.keySet());
    }

    synchronized boolean deleteStream(String name) {
        Long sid = ids.get(name);
        if (sid == null) {
            return false;
        }
        String g = groupOfStream.get(name);
        remove(g == null ? null : groups.get(g), null, name, sid);
        return true;
    }

    synchronized long sid(String name) {
        Long sid = ids.get(name);
        if (sid == null) {
            throw new IllegalArgumentException("no stream '" + name + "'");
        }
        return sid;
    }

    /** Points {@code name} at a freshly restored stream id (the caller wrote the catalog key). */
    synchronized StreamStore switched(String name, long newSid) {
        ids.put(name, newSid);
        StreamStore handle = handles.get(name);
        if (handle != null) {
            handle.reload(newSid);
            return handle;
        }
        return stream(name).orElseThrow();
    }

    synchronized Set<Long> liveIds() {
        return Set.copyOf(ids.values());
    }

    // ------------------------------------------------------------------ groups

    synchronized GroupStore group(String id) {
        GroupStore g = groups.get(id);
        if (g != null) {
            return g;
        }
        if (id == null || id.isEmpty() || id.indexOf(0) >= 0) {
            throw new IllegalArgumentException("a group id must be a non-empty string without NUL: '" + id + "'");
        }
        try (WriteBatch b = new WriteBatch()) {
            b.put(node.meta(), Keys.groupApplied(id), Codec.applied(AppliedIndex.NONE));
            node.writeSync(b);
        } catch (RocksDBException e) {
            throw new StoreException("cannot create stream group '" + id + "': " + e.getMessage(), e);
        }
        g = new GroupStore(node, id, AppliedIndex.NONE);
        groups.put(id, g);
        members.put(id, new TreeSet<>());
        return g;
    }

    synchronized List<String> groupIds() {
        return List.copyOf(groups.keySet());
    }

    synchronized boolean hasGroup(String id) {
        return groups.containsKey(id);
    }

    /** Deletes a group with every stream it holds. */
    synchronized boolean deleteGroup(String id) {
        GroupStore g = groups.get(id);
        if (g == null) {
            return false;
        }
        for (String stream : List.copyOf(members.get(id))) {
            remove(g, null, stream, ids.get(stream));
        }
        try (WriteBatch b = new WriteBatch()) {
            b.delete(node.meta(), g.appliedKey());
            node.writeSync(b);
        } catch (RocksDBException e) {
            throw new StoreException("cannot delete stream group '" + id + "': " + e.getMessage(), e);
        }
        groups.remove(id);
        members.remove(id);
        LOG.info("Deleted stream group '{}'", id);
        return true;
    }

    synchronized List<String> streamsOf(GroupStore g) {
        TreeSet<String> m = members.get(g.id());
        return m == null ? List.of() : List.copyOf(m);
    }

    synchronized Optional<StreamStore> streamIn(GroupStore g, String name) {
        return g.id().equals(groupOfStream.get(name)) ? stream(name) : Optional.empty();
    }

    synchronized Outcome<StreamStore> attach(GroupStore g, AppliedIndex at, String name, StreamLimits limits) {
        if (g.covers(at)) {
            return new Outcome.Skipped<>(g.appliedIndex());
        }
        if (g.id().equals(groupOfStream.get(name))) {
            recordApplied(g, at);
            return new Outcome.Done<>(stream(name).orElseThrow());
        }
        Outcome<StreamStore> created = create(g, at, name, limits);
        if (!created.isDone()) {
            recordApplied(g, at);
        }
        return created;
    }

    synchronized Outcome<Boolean> detach(GroupStore g, AppliedIndex at, String name) {
        if (g.covers(at)) {
            return new Outcome.Skipped<>(g.appliedIndex());
        }
        if (!g.id().equals(groupOfStream.get(name))) {
            recordApplied(g, at);
            return new Outcome.Done<>(false);
        }
        remove(g, at, name, ids.get(name));
        return new Outcome.Done<>(true);
    }

    synchronized Outcome<Void> recordApplied(GroupStore g, AppliedIndex at) {
        if (g.covers(at)) {
            return new Outcome.Skipped<>(g.appliedIndex());
        }
        try (WriteBatch b = new WriteBatch()) {
            b.put(node.meta(), g.appliedKey(), Codec.applied(at));
            node.write(b);
        } catch (RocksDBException e) {
            throw new StoreException("recording the applied index of group '" + g.id() + "' failed: "
                    + e.getMessage(), e);
        }
        g.applied(at);
        return new Outcome.Done<>(null);
    }

    /**
     * After a group restore: the catalog keys were written by the caller in one batch; bring the memory in line
     * (streams switched to their new ids, streams gone dropped, the group's applied index).
     */
    synchronized void restored(GroupStore g, Map<String, Long> streams, List<String> gone, AppliedIndex at) {
        for (String name : gone) {
            StreamStore h = handles.remove(name);
            if (h != null) {
                h.markDeleted();
            }
            ids.remove(name);
            groupOfStream.remove(name);
        }
        TreeSet<String> m = members.computeIfAbsent(g.id(), k -> new TreeSet<>());
        m.clear();
        m.addAll(streams.keySet());
        for (Map.Entry<String, Long> e : streams.entrySet()) {
            groupOfStream.put(e.getKey(), g.id());
            switched(e.getKey(), e.getValue());
        }
        g.applied(at);
    }

    synchronized void closeAll() {
        for (StreamStore s : handles.values()) {
            s.markClosed();
        }
        handles.clear();
    }

    // ------------------------------------------------------------------ internals

    private Outcome<StreamStore> create(GroupStore g, AppliedIndex at, String name, StreamLimits limits) {
        if (!NodeStore.isValidName(name)) {
            return new Outcome.Rejected<>(JsError.invalidStreamConfig(
                    "stream name is required and can not contain '.', '*', '>'"));
        }
        StreamLimits.Validated v = limits.validate();
        if (v.error() != null) {
            return new Outcome.Rejected<>(v.error());
        }
        Optional<StreamStore> existing = stream(name);
        if (existing.isPresent()) {
            if (g == null && groupOfStream.get(name) == null && existing.get().limits().equals(v.limits())) {
                return new Outcome.Done<>(existing.get());
            }
            return new Outcome.Rejected<>(JsError.streamNameInUse());
        }
        long sid = node.allocateStreamId();
        try (WriteBatch b = new WriteBatch()) {
            b.put(node.meta(), Keys.global(Keys.GLOBAL_NEXT_SID), Keys.u64(sid + 1));
            b.put(node.meta(), Keys.globalStream(name), Keys.u64(sid));
            b.put(node.meta(), Keys.kind(sid, Keys.META_CONFIG), Codec.streamConfig(name, v.limits()));
            b.put(node.meta(), Keys.kind(sid, Keys.META_STATE), Codec.counters(new Counters()));
            b.put(node.meta(), Keys.kind(sid, Keys.META_APPLIED), Codec.applied(at == null ? AppliedIndex.NONE : at));
            if (g != null) {
                b.put(node.meta(), Keys.groupStream(g.id(), name), new byte[0]);
                b.put(node.meta(), g.appliedKey(), Codec.applied(at));
            }
            node.writeSync(b);
        } catch (RocksDBException e) {
            throw new StoreException("cannot create stream '" + name + "': " + e.getMessage(), e);
        }
        ids.put(name, sid);
        if (g != null) {
            members.get(g.id()).add(name);
            groupOfStream.put(name, g.id());
            g.applied(at);
        }
        StreamStore s = new StreamStore(node, name, sid, g);
        handles.put(name, s);
        LOG.info("Created stream '{}' (id {}{})", name, sid, g == null ? "" : ", group " + g.id());
        return new Outcome.Done<>(s);
    }

    /** Deletes one stream's keys and catalog entries in one write (with the group's applied index, if given). */
    private void remove(GroupStore g, AppliedIndex at, String name, long sid) {
        long started = System.nanoTime();
        StreamStore handle = handles.remove(name);
        if (handle != null) {
            handle.markDeleted();
        }
        try (WriteBatch b = new WriteBatch()) {
            b.delete(node.meta(), Keys.globalStream(name));
            if (g != null) {
                b.delete(node.meta(), Keys.groupStream(g.id(), name));
                if (at != null) {
                    b.put(node.meta(), g.appliedKey(), Codec.applied(at));
                }
            }
            node.deleteStreamRange(b, sid);
            node.writeSync(b);
        } catch (RocksDBException e) {
            throw new StoreException("cannot delete stream '" + name + "': " + e.getMessage(), e);
        }
        ids.remove(name);
        if (g != null) {
            members.get(g.id()).remove(name);
            groupOfStream.remove(name);
            if (at != null) {
                g.applied(at);
            }
        }
        node.reclaim(sid);
        LOG.info("Deleted stream '{}' (id {}) in {} ms", name, sid, (System.nanoTime() - started) / 1_000_000);
    }

    private static String text(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.UTF_8);
    }

    private static int indexOfZero(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        throw new StoreException("a damaged group membership key in the store's catalog");
    }
}
