package io.jetraft.raft.codec;

import com.google.protobuf.ByteString;
import io.jetraft.raft.ConsumerAssignment;
import io.jetraft.raft.Peer;
import io.jetraft.raft.StartPosition;
import io.jetraft.raft.StreamAssignment;
import io.jetraft.raft.proto.AckPolicy;
import io.jetraft.raft.proto.ApiError;
import io.jetraft.raft.proto.ConsumerRecord;
import io.jetraft.raft.proto.ConsumerSettings;
import io.jetraft.raft.proto.Discard;
import io.jetraft.raft.proto.Limits;
import io.jetraft.raft.proto.PeerAddress;
import io.jetraft.raft.proto.Retention;
import io.jetraft.raft.proto.StreamRecord;
import io.jetraft.storage.ConsumerConfig;
import io.jetraft.storage.JsError;
import io.jetraft.storage.StreamLimits;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Converts between the protobuf messages of the Raft log and the storage and API types. No logic beyond that. */
public final class EntryCodec {

    private EntryCodec() {
    }

    // ---- limits

    public static Limits limits(StreamLimits l) {
        return Limits.newBuilder()
                .setRetention(switch (l.retention()) {
                    case LIMITS -> Retention.RETENTION_LIMITS;
                    case INTEREST -> Retention.RETENTION_INTEREST;
                    case WORK_QUEUE -> Retention.RETENTION_WORK_QUEUE;
                })
                .setDiscard(l.discard() == StreamLimits.Discard.NEW ? Discard.DISCARD_NEW : Discard.DISCARD_OLD)
                .setMaxMsgs(l.maxMsgs())
                .setMaxBytes(l.maxBytes())
                .setMaxAgeNanos(l.maxAge().toNanos())
                .setMaxMsgsPerSubject(l.maxMsgsPerSubject())
                .setMaxMsgSize(l.maxMsgSize())
                .setDuplicateWindowNanos(l.duplicateWindow().toNanos())
                .setDiscardNewPerSubject(l.discardNewPerSubject())
                .build();
    }

    public static StreamLimits limits(Limits l) {
        StreamLimits.Retention retention = switch (l.getRetention()) {
            case RETENTION_INTEREST -> StreamLimits.Retention.INTEREST;
            case RETENTION_WORK_QUEUE -> StreamLimits.Retention.WORK_QUEUE;
            default -> StreamLimits.Retention.LIMITS;
        };
        StreamLimits.Discard discard = l.getDiscard() == Discard.DISCARD_NEW ? StreamLimits.Discard.NEW
                : StreamLimits.Discard.OLD;
        return new StreamLimits(retention, discard, l.getMaxMsgs(), l.getMaxBytes(),
                Duration.ofNanos(l.getMaxAgeNanos()), l.getMaxMsgsPerSubject(), l.getMaxMsgSize(),
                Duration.ofNanos(l.getDuplicateWindowNanos()), l.getDiscardNewPerSubject());
    }

    // ---- consumers

    public static ConsumerSettings settings(ConsumerConfig c) {
        return ConsumerSettings.newBuilder()
                .setAckPolicy(switch (c.ackPolicy()) {
                    case NONE -> AckPolicy.ACK_NONE;
                    case ALL -> AckPolicy.ACK_ALL;
                    case EXPLICIT -> AckPolicy.ACK_EXPLICIT;
                })
                .setMaxDeliver(c.maxDeliver())
                .addAllFilterSubjects(c.filterSubjects())
                .build();
    }

    public static ConsumerConfig settings(ConsumerSettings s) {
        ConsumerConfig.AckPolicy ack = switch (s.getAckPolicy()) {
            case ACK_NONE -> ConsumerConfig.AckPolicy.NONE;
            case ACK_ALL -> ConsumerConfig.AckPolicy.ALL;
            default -> ConsumerConfig.AckPolicy.EXPLICIT;
        };
        return new ConsumerConfig(ack, s.getMaxDeliver(), s.getFilterSubjectsList());
    }

    public static io.jetraft.raft.proto.StartPosition start(StartPosition p) {
        return io.jetraft.raft.proto.StartPosition.newBuilder()
                .setPolicy(switch (p.policy()) {
                    case ALL -> io.jetraft.raft.proto.StartPosition.Policy.ALL;
                    case NEW -> io.jetraft.raft.proto.StartPosition.Policy.NEW;
                    case LAST -> io.jetraft.raft.proto.StartPosition.Policy.LAST;
                    case SEQUENCE -> io.jetraft.raft.proto.StartPosition.Policy.SEQUENCE;
                })
                .setSequence(p.sequence())
                .build();
    }

    public static StartPosition start(io.jetraft.raft.proto.StartPosition p) {
        return switch (p.getPolicy()) {
            case NEW -> StartPosition.newOnly();
            case LAST -> StartPosition.last();
            case SEQUENCE -> StartPosition.sequence(Math.max(1, p.getSequence()));
            default -> StartPosition.all();
        };
    }

    // ---- errors

    public static ApiError error(JsError e) {
        return ApiError.newBuilder().setCode(e.code()).setErrCode(e.errCode()).setDescription(e.description()).build();
    }

    public static JsError error(ApiError e) {
        return new JsError(e.getCode(), e.getErrCode(), e.getDescription());
    }

    // ---- peers and assignments

    public static PeerAddress peer(Peer p) {
        return PeerAddress.newBuilder().setName(p.name()).setAddress(p.address()).build();
    }

    public static Peer peer(PeerAddress p) {
        return new Peer(p.getName(), p.getAddress());
    }

    public static List<Peer> peers(List<PeerAddress> peers) {
        return peers.stream().map(EntryCodec::peer).toList();
    }

    public static StreamAssignment assignment(StreamRecord r) {
        return new StreamAssignment(r.getName(), r.getGroupId(), peers(r.getPeersList()), limits(r.getLimits()),
                r.getConfig().toByteArray(), instant(r.getCreatedNanos()),
                r.getConsumersList().stream().map(EntryCodec::consumer).toList());
    }

    public static ConsumerAssignment consumer(ConsumerRecord r) {
        return new ConsumerAssignment(r.getName(), settings(r.getSettings()), start(r.getStart()),
                r.getConfig().toByteArray(), instant(r.getCreatedNanos()));
    }

    public static ByteString bytes(byte[] b) {
        return ByteString.copyFrom(b);
    }

    public static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    public static Instant instant(long nanos) {
        return Instant.ofEpochSecond(0, nanos);
    }
}
