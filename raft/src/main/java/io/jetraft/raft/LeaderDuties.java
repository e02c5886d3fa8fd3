package io.jetraft.raft;

import io.jetraft.raft.codec.EntryCodec;
import io.jetraft.raft.proto.AttachStream;
import io.jetraft.raft.proto.ConsumerRecord;
import io.jetraft.raft.proto.CreateConsumer;
import io.jetraft.raft.proto.DeleteConsumer;
import io.jetraft.raft.proto.DetachStream;
import io.jetraft.raft.proto.GroupRecord;
import io.jetraft.raft.proto.StreamEntry;
import io.jetraft.raft.proto.StreamRecord;
import io.jetraft.raft.proto.UpdateLimits;
import io.jetraft.raft.stream.StreamGroupStateMachine;
import io.jetraft.storage.StreamStore;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the leader of a stream group does besides leading: brings the group in line with the meta state (a stream the
 * meta state has but the group lacks joins it; one the meta state deleted leaves it; limits and consumers follow), as
 * a node may have failed between a meta entry and the group entry that follows it; and proposes the removal of
 * messages past max_age through the log (with the leader's time stamped in), so every replica removes the same.
 */
final class LeaderDuties {

    private static final Logger LOG = LoggerFactory.getLogger(LeaderDuties.class);
    /** A meta record younger than this is left to whoever proposed it (its group entry is probably on its way). */
    private static final Duration GRACE = Duration.ofSeconds(5);

    private final String node;
    private final Divisions divisions;
    private final StreamLocator locator;
    private final StreamGroups streams;
    private final BooleanSupplier metaCaughtUp;
    private final Supplier<CompletableFuture<Long>> metaBarrier;
    private final Clock clock;
    private final Set<String> expiring = ConcurrentHashMap.newKeySet();
    /** Groups whose deletions wait for a meta read barrier: one at a time per group. */
    private final Set<GroupName> confirming = ConcurrentHashMap.newKeySet();

    /** A consumer of a stream (by its store name) that the meta state seemed to lack. */
    private record ConsumerOf(String storeName, String consumer) {
    }

    LeaderDuties(String node, Divisions divisions, StreamLocator locator, StreamGroups streams,
                 BooleanSupplier metaCaughtUp, Supplier<CompletableFuture<Long>> metaBarrier, Clock clock) {
        this.node = node;
        this.divisions = divisions;
        this.locator = locator;
        this.streams = streams;
        this.metaCaughtUp = metaCaughtUp;
        this.metaBarrier = metaBarrier;
        this.clock = clock;
    }

    /** Every stream group this node leads, brought in line with the meta state. */
    void reconcile() {
        for (Map.Entry<GroupName, StreamGroupStateMachine> e : led().entrySet()) {
            try {
                reconcile(e.getKey(), e.getValue());
            } catch (RuntimeException ex) {
                LOG.debug("{}: leader duties of {} failed: {}", node, e.getKey(), ex.toString());
            }
        }
    }

    private void reconcile(GroupName g, StreamGroupStateMachine sm) {
        Optional<GroupRecord> group = locator.group(g);
        if (group.isEmpty()) {
            return;
        }
        long youngerThan = EntryCodec.nanos(clock.instant()) - GRACE.toNanos();
        Set<String> attached = new HashSet<>(sm.streamNames());
        Set<String> inMeta = new HashSet<>();
        List<ConsumerOf> consumersGone = new ArrayList<>();
        for (StreamRecord r : locator.streamsOf(g)) {
            inMeta.add(r.getStoreName());
            StreamLocator.Located at = new StreamLocator.Located(r, group.get());
            Optional<StreamStore> store = sm.stream(r.getStoreName());
            if (store.isEmpty()) {
                if (r.getCreatedNanos() < youngerThan) {
                    LOG.info("{}: stream '{}' is missing in its {}; attaching it", node, r.getName(), g);
                    propose(at, StreamEntry.newBuilder().setAttachStream(AttachStream.newBuilder()
                            .setLimits(r.getInitialLimits())));
                }
                continue;
            }
            if (!store.get().limits().equals(EntryCodec.limits(r.getLimits()))) {
                LOG.info("{}: stream '{}' has other limits than the meta state; proposing them", node, r.getName());
                propose(at, StreamEntry.newBuilder().setUpdateLimits(UpdateLimits.newBuilder()
                        .setLimits(r.getLimits())));
            }
            consumers(at, r, store.get(), youngerThan, consumersGone);
        }
        if (!metaCaughtUp.getAsBoolean()) {
            return;
        }
        List<String> streamsGone = attached.stream().filter(s -> !inMeta.contains(s)).toList();
        if ((streamsGone.isEmpty() && consumersGone.isEmpty()) || !confirming.add(g)) {
            return;
        }
        metaBarrier.get().whenComplete((applied, t) -> {
            try {
                if (t != null) {
                    LOG.debug("{}: the meta read barrier failed; deletions in {} wait: {}", node, g, t.toString());
                } else {
                    deleteWhatIsStillGone(g, sm, streamsGone, consumersGone);
                }
            } catch (RuntimeException e) {
                LOG.debug("{}: leader duties of {} failed: {}", node, g, e.toString());
            } finally {
                confirming.remove(g);
            }
        });
    }

    /** After the meta read barrier: what the meta state still lacks leaves the group. */
    private void deleteWhatIsStillGone(GroupName g, StreamGroupStateMachine sm, List<String> streamsGone,
                                       List<ConsumerOf> consumersGone) {
        Optional<GroupRecord> group = locator.group(g);
        if (group.isEmpty() || !led().containsKey(g)) {
            return;
        }
        for (String storeName : streamsGone) {
            if (locator.byStoreName(storeName).isEmpty() && sm.stream(storeName).isPresent()) {
                LOG.info("{}: stream '{}' was deleted in the meta state; detaching it from {}", node, storeName, g);
                StreamRecord gone = StreamRecord.newBuilder().setStoreName(storeName).build();
                propose(new StreamLocator.Located(gone, group.get()),
                        StreamEntry.newBuilder().setDetachStream(DetachStream.getDefaultInstance()));
            }
        }
        for (ConsumerOf c : consumersGone) {
            Optional<StreamRecord> r = locator.byStoreName(c.storeName());
            Optional<StreamStore> store = sm.stream(c.storeName());
            if (r.isEmpty() || store.isEmpty() || !store.get().consumerNames().contains(c.consumer())
                    || r.get().getConsumersList().stream().anyMatch(x -> x.getName().equals(c.consumer()))) {
                continue;
            }
            LOG.info("{}: consumer '{}' of stream '{}' was deleted in the meta state; deleting it", node,
                    c.consumer(), r.get().getName());
            propose(new StreamLocator.Located(r.get(), group.get()), StreamEntry.newBuilder()
                    .setDeleteConsumer(DeleteConsumer.newBuilder().setName(c.consumer())));
        }
    }

    private void consumers(StreamLocator.Located at, StreamRecord r, StreamStore store, long youngerThan,
                           List<ConsumerOf> gone) {
        Set<String> inStore = store.consumerNames();
        Set<String> inMeta = new HashSet<>();
        for (ConsumerRecord c : r.getConsumersList()) {
            inMeta.add(c.getName());
            if (!inStore.contains(c.getName()) && c.getCreatedNanos() < youngerThan) {
                LOG.info("{}: consumer '{}' of stream '{}' is missing in its group; creating it", node, c.getName(),
                        r.getName());
                propose(at, StreamEntry.newBuilder().setCreateConsumer(CreateConsumer.newBuilder()
                        .setName(c.getName()).setSettings(c.getSettings()).setStart(c.getStart())));
            }
        }
        for (String c : inStore) {
            if (!inMeta.contains(c)) {
                gone.add(new ConsumerOf(r.getStoreName(), c));
            }
        }
    }

    /** For each stream led here with max_age whose oldest message is due: one removal at a time per stream. */
    void expire() {
        long now = EntryCodec.nanos(clock.instant());
        for (StreamGroupStateMachine sm : led().values()) {
            for (String storeName : sm.streamNames()) {
                Optional<StreamRecord> r = locator.byStoreName(storeName);
                Optional<StreamStore> s = sm.stream(storeName);
                if (r.isEmpty() || s.isEmpty() || expiring.contains(storeName)) {
                    continue;
                }
                OptionalLong due = s.get().nextExpiryNanos();
                if (due.isPresent() && due.getAsLong() <= now) {
                    expiring.add(storeName);
                    streams.removeExpired(r.get().getName()).whenComplete((x, t) -> {
                        expiring.remove(storeName);
                        if (t != null) {
                            LOG.debug("{}: expiring stream '{}' failed: {}", node, r.get().getName(), t.toString());
                        }
                    });
                }
            }
        }
    }

    private Map<GroupName, StreamGroupStateMachine> led() {
        Map<GroupName, StreamGroupStateMachine> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<GroupName, RaftServer.Division> e : divisions.all().entrySet()) {
            try {
                if (!e.getKey().isMeta() && e.getValue().getInfo().isLeaderReady()
                        && e.getValue().getStateMachine() instanceof StreamGroupStateMachine sm) {
                    out.put(e.getKey(), sm);
                }
            } catch (RuntimeException closing) {
                // a division closing while looked at is skipped
            }
        }
        return out;
    }

    private void propose(StreamLocator.Located at, StreamEntry.Builder e) {
        streams.propose(at, e).whenComplete((r, t) -> {
            if (t != null) {
                LOG.debug("{}: a leader-duty entry for '{}' failed: {}", node, at.storeName(), t.toString());
            }
        });
    }
}
