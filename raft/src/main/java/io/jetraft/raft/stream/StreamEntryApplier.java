package io.jetraft.raft.stream;

import io.jetraft.raft.codec.EntryCodec;
import io.jetraft.raft.proto.PublishMessage;
import io.jetraft.raft.proto.PublishResult;
import io.jetraft.raft.proto.StreamEntry;
import io.jetraft.raft.proto.StreamReply;
import io.jetraft.storage.Ack;
import io.jetraft.storage.Append;
import io.jetraft.storage.AppliedIndex;
import io.jetraft.storage.Appended;
import io.jetraft.storage.Delivery;
import io.jetraft.storage.JsError;
import io.jetraft.storage.Outcome;
import io.jetraft.storage.PurgeRequest;
import io.jetraft.storage.StreamState;
import io.jetraft.storage.StreamStore;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Applies one stream entry (a publish batch, a delete, a purge, expiry, a limit change, a consumer's create, delete,
 * deliveries or acks) to its stream's {@link StreamStore} in one write with its applied index, and says what it did.
 * User errors (limits, expectations) are refusals in the reply, never exceptions.
 */
final class StreamEntryApplier {

    private StreamEntryApplier() {
    }

    static StreamReply apply(StreamStore s, StreamEntry entry, AppliedIndex at) {
        switch (entry.getKindCase()) {
            case PUBLISH -> {
                List<Append> appends = new ArrayList<>();
                for (PublishMessage m : entry.getPublish().getMessagesList()) {
                    appends.add(new Append(m.getSubject(), m.getHeaders().toByteArray(), m.getPayload().toByteArray(),
                            m.getTimestampNanos(), m.getMsgId(),
                            m.hasExpectedLastSequence() ? OptionalLong.of(m.getExpectedLastSequence())
                                    : OptionalLong.empty(),
                            m.hasExpectedLastSubjectSequence() ? OptionalLong.of(m.getExpectedLastSubjectSequence())
                                    : OptionalLong.empty()));
                }
                Outcome<List<Outcome<Appended>>> out = s.appendBatch(at, appends);
                if (out instanceof Outcome.Skipped<?>) {
                    return replayed();
                }
                StreamReply.Builder r = StreamReply.newBuilder();
                for (Outcome<Appended> one : out.value()) {
                    if (one instanceof Outcome.Rejected<Appended> rejected) {
                        r.addPublished(PublishResult.newBuilder().setError(EntryCodec.error(rejected.error())));
                    } else {
                        Appended a = one.value();
                        r.addPublished(PublishResult.newBuilder().setSequence(a.seq()).setDuplicate(a.duplicate()));
                    }
                }
                return r.build();
            }
            case DELETE_MESSAGE -> {
                return reply(s.deleteMessage(at, entry.getDeleteMessage().getSequence()),
                        (r, removed) -> r.setFlag(removed));
            }
            case PURGE -> {
                var p = entry.getPurge();
                PurgeRequest req;
                try {
                    req = new PurgeRequest(p.getFilter(), p.getSequence(), p.getKeep());
                } catch (IllegalArgumentException e) {
                    return refusedButRecorded(s, at, JsError.badRequest());
                }
                return reply(s.purge(at, req), (r, n) -> r.setCount(n));
            }
            case REMOVE_EXPIRED -> {
                return reply(s.removeExpired(at, entry.getRemoveExpired().getNowNanos()), (r, n) -> r.setCount(n));
            }
            case UPDATE_LIMITS -> {
                return reply(s.updateLimits(at, EntryCodec.limits(entry.getUpdateLimits().getLimits())),
                        (r, v) -> { });
            }
            case CREATE_CONSUMER -> {
                var c = entry.getCreateConsumer();
                long startSeq = startSequence(s.state(), EntryCodec.start(c.getStart()));
                return reply(s.createConsumer(at, c.getName(), EntryCodec.settings(c.getSettings()), startSeq),
                        (r, created) -> r.setFlag(created));
            }
            case DELETE_CONSUMER -> {
                return reply(s.deleteConsumer(at, entry.getDeleteConsumer().getName()), (r, v) -> { });
            }
            case DELIVERED -> {
                var d = entry.getDelivered();
                return reply(s.consumerDelivered(at, d.getConsumer(), d.getConsumerSequence(),
                        d.getStreamSequence(), d.getDeliveryCount(), d.getTimestampNanos()), (r, v) -> { });
            }
            case DELIVERED_BATCH -> {
                var b = entry.getDeliveredBatch();
                List<Delivery> ds = new ArrayList<>(b.getDeliveriesCount());
                for (var d : b.getDeliveriesList()) {
                    ds.add(new Delivery(d.getConsumerSequence(), d.getStreamSequence(), d.getDeliveryCount(),
                            b.getTimestampNanos()));
                }
                return reply(s.consumerDelivered(at, b.getConsumer(), ds), (r, v) -> { });
            }
            case ACKED_BATCH -> {
                var b = entry.getAckedBatch();
                List<Ack> acks = new ArrayList<>(b.getAcksCount());
                for (var a : b.getAcksList()) {
                    acks.add(new Ack(a.getConsumerSequence(), a.getStreamSequence()));
                }
                return reply(s.consumerAcked(at, b.getConsumer(), acks), (r, settled) -> r.setFlag(settled));
            }
            case ACKED -> {
                var a = entry.getAcked();
                return reply(s.consumerAcked(at, a.getConsumer(), a.getConsumerSequence(), a.getStreamSequence()),
                        (r, settled) -> r.setFlag(settled));
            }
            default -> throw new IllegalStateException("unhandled entry kind " + entry.getKindCase());
        }
    }

    private static long startSequence(StreamState st, io.jetraft.raft.StartPosition start) {
        return switch (start.policy()) {
            case ALL -> Math.max(1, st.firstSeq());
            case NEW -> st.lastSeq() + 1;
            case LAST -> Math.max(1, st.lastSeq());
            case SEQUENCE -> start.sequence();
        };
    }

    interface Fill<T> {
        void into(StreamReply.Builder reply, T value);
    }

    static <T> StreamReply reply(Outcome<T> out, Fill<T> fill) {
        if (out instanceof Outcome.Skipped<T>) {
            return replayed();
        }
        if (out instanceof Outcome.Rejected<T> rejected) {
            return StreamReply.newBuilder().setError(EntryCodec.error(rejected.error())).build();
        }
        StreamReply.Builder r = StreamReply.newBuilder();
        fill.into(r, out.value());
        return r.build();
    }

    private static StreamReply refusedButRecorded(StreamStore s, AppliedIndex at, JsError error) {
        Outcome<Void> recorded = s.recordApplied(at);
        return recorded instanceof Outcome.Skipped<Void> ? replayed()
                : StreamReply.newBuilder().setError(EntryCodec.error(error)).build();
    }

    static StreamReply replayed() {
        return StreamReply.newBuilder().setReplayed(true).build();
    }
}
