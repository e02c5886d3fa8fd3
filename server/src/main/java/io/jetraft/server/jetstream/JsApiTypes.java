package io.jetraft.server.jetstream;

import static io.jetraft.server.jetstream.gojson.GoType.BOOL;
import static io.jetraft.server.jetstream.gojson.GoType.DURATION;
import static io.jetraft.server.jetstream.gojson.GoType.INT;
import static io.jetraft.server.jetstream.gojson.GoType.INT32;
import static io.jetraft.server.jetstream.gojson.GoType.INT64;
import static io.jetraft.server.jetstream.gojson.GoType.STRING;
import static io.jetraft.server.jetstream.gojson.GoType.UINT64;
import static io.jetraft.server.jetstream.gojson.GoType.embedded;
import static io.jetraft.server.jetstream.gojson.GoType.field;
import static io.jetraft.server.jetstream.gojson.GoType.mapOf;
import static io.jetraft.server.jetstream.gojson.GoType.pointerTo;
import static io.jetraft.server.jetstream.gojson.GoType.sliceOf;
import static io.jetraft.server.jetstream.gojson.GoType.struct;

import io.jetraft.server.jetstream.gojson.GoEnum;
import io.jetraft.server.jetstream.gojson.GoTime;
import io.jetraft.server.jetstream.gojson.GoType;
import java.util.List;
import java.util.Map;

/**
 * The Go types nats-server 2.10 decodes $JS.API request bodies into (server/stream.go, consumer.go,
 * jetstream_api.go), field by field with their JSON names: what a body may hold and in which JSON type. A field that
 * nats-server adds later is not here, so it is kept and ignored as an unknown field, as 2.10 ignores it.
 */
final class JsApiTypes {

    static final GoType RETENTION = GoEnum.raw("server.RetentionPolicy",
            same("limits", "interest", "workqueue"), GoEnum::cannotUnmarshal);
    static final GoType DISCARD = GoEnum.rawIgnoringCase("server.DiscardPolicy",
            same("old", "new"), GoEnum::cannotUnmarshal);
    /** "any" is a storage type nats-server decodes (and jetraft then refuses). */
    static final GoType STORAGE = GoEnum.raw("server.StorageType",
            same("file", "memory", "any"), GoEnum::cannotUnmarshal);
    static final GoType COMPRESSION = GoEnum.string("server.StoreCompression",
            same("none", "s2"), raw -> "unknown compression algorithm");
    static final GoType DELIVER_POLICY = GoEnum.raw("server.DeliverPolicy",
            Map.of("all", "all", "undefined", "all", "last", "last", "new", "new",
                    "by_start_sequence", "by_start_sequence", "by_start_time", "by_start_time",
                    "last_per_subject", "last_per_subject"), GoEnum::cannotUnmarshal);
    static final GoType ACK_POLICY = GoEnum.raw("server.AckPolicy",
            same("none", "all", "explicit"), GoEnum::cannotUnmarshal);
    static final GoType REPLAY_POLICY = GoEnum.raw("server.ReplayPolicy",
            same("instant", "original"), GoEnum::cannotUnmarshal);
    static final GoType CONSUMER_ACTION = GoEnum.raw("server.ConsumerAction",
            same("create", "update", ""), raw -> "unknown consumer action: " + raw);

    static final GoType METADATA = mapOf(STRING);

    /** {@code preferred} is 2.11's, for leader step-downs. */
    static final GoType.Struct PLACEMENT = struct("server.Placement",
            field("cluster", STRING), field("tags", sliceOf(STRING)), field("preferred", STRING));
    static final GoType.Struct SUBJECT_TRANSFORM = struct("server.SubjectTransformConfig",
            field("src", STRING), field("dest", STRING));
    static final GoType.Struct EXTERNAL_STREAM = struct("server.ExternalStream",
            field("api", STRING), field("deliver", STRING));
    static final GoType.Struct STREAM_SOURCE = struct("server.StreamSource",
            field("name", STRING),
            field("opt_start_seq", UINT64),
            field("opt_start_time", pointerTo(GoTime.TYPE)),
            field("filter_subject", STRING),
            field("subject_transforms", sliceOf(SUBJECT_TRANSFORM)),
            field("external", pointerTo(EXTERNAL_STREAM)));
    static final GoType.Struct REPUBLISH = struct("server.RePublish",
            field("src", STRING), field("dest", STRING), field("headers_only", BOOL));
    static final GoType.Struct STREAM_CONSUMER_LIMITS = struct("server.StreamConsumerLimits",
            field("inactive_threshold", DURATION), field("max_ack_pending", INT));

    static final GoType.Struct STREAM_CONFIG = struct("server.StreamConfig",
            field("name", STRING),
            field("description", STRING),
            field("subjects", sliceOf(STRING)),
            field("retention", RETENTION),
            field("max_consumers", INT),
            field("max_msgs", INT64),
            field("max_bytes", INT64),
            field("max_age", DURATION),
            field("max_msgs_per_subject", INT64),
            field("max_msg_size", INT32),
            field("discard", DISCARD),
            field("storage", STORAGE),
            field("num_replicas", INT),
            field("no_ack", BOOL),
            field("template_owner", STRING),
            field("duplicate_window", DURATION),
            field("placement", pointerTo(PLACEMENT)),
            field("mirror", pointerTo(STREAM_SOURCE)),
            field("sources", sliceOf(pointerTo(STREAM_SOURCE))),
            field("compression", COMPRESSION),
            field("first_seq", UINT64),
            field("subject_transform", pointerTo(SUBJECT_TRANSFORM)),
            field("republish", pointerTo(REPUBLISH)),
            field("allow_direct", BOOL),
            field("mirror_direct", BOOL),
            field("discard_new_per_subject", BOOL),
            field("sealed", BOOL),
            field("deny_delete", BOOL),
            field("deny_purge", BOOL),
            field("allow_rollup_hdrs", BOOL),
            field("consumer_limits", STREAM_CONSUMER_LIMITS),
            field("metadata", METADATA));

    static final GoType.Struct CONSUMER_CONFIG = struct("server.ConsumerConfig",
            field("durable_name", STRING),
            field("name", STRING),
            field("description", STRING),
            field("deliver_policy", DELIVER_POLICY),
            field("opt_start_seq", UINT64),
            field("opt_start_time", pointerTo(GoTime.TYPE)),
            field("ack_policy", ACK_POLICY),
            field("ack_wait", DURATION),
            field("max_deliver", INT),
            field("backoff", sliceOf(DURATION)),
            field("filter_subject", STRING),
            field("filter_subjects", sliceOf(STRING)),
            field("replay_policy", REPLAY_POLICY),
            field("rate_limit_bps", UINT64),
            field("sample_freq", STRING),
            field("max_waiting", INT),
            field("max_ack_pending", INT),
            field("idle_heartbeat", DURATION),
            field("flow_control", BOOL),
            field("headers_only", BOOL),
            field("max_batch", INT),
            field("max_expires", DURATION),
            field("max_bytes", INT),
            field("deliver_subject", STRING),
            field("deliver_group", STRING),
            field("inactive_threshold", DURATION),
            field("num_replicas", INT),
            field("mem_storage", BOOL),
            field("direct", BOOL),
            field("metadata", METADATA));

    static final GoType.Struct CREATE_CONSUMER_REQUEST = struct("server.CreateConsumerRequest",
            field("stream_name", STRING),
            field("config", CONSUMER_CONFIG),
            field("action", CONSUMER_ACTION));

    private static final List<GoType.Field> PAGED = embedded("ApiPagedRequest", field("offset", INT));

    static final GoType.Struct STREAM_INFO_REQUEST = struct("server.JSApiStreamInfoRequest", PAGED,
            field("deleted_details", BOOL), field("subjects_filter", STRING));
    static final GoType.Struct STREAM_NAMES_REQUEST = struct("server.JSApiStreamNamesRequest", PAGED,
            field("subject", STRING));
    static final GoType.Struct STREAM_LIST_REQUEST = struct("server.JSApiStreamListRequest", PAGED,
            field("subject", STRING));
    static final GoType.Struct CONSUMERS_REQUEST = struct("server.JSApiConsumersRequest", PAGED);
    static final GoType.Struct STREAM_PURGE_REQUEST = struct("server.JSApiStreamPurgeRequest",
            field("seq", UINT64), field("filter", STRING), field("keep", UINT64));
    static final GoType.Struct MSG_GET_REQUEST = struct("server.JSApiMsgGetRequest",
            field("seq", UINT64), field("last_by_subj", STRING), field("next_by_subj", STRING));
    static final GoType.Struct MSG_DELETE_REQUEST = struct("server.JSApiMsgDeleteRequest",
            field("seq", UINT64), field("no_erase", BOOL));
    static final GoType.Struct LEADER_STEPDOWN_REQUEST = struct("server.JSApiLeaderStepdownRequest",
            field("placement", pointerTo(PLACEMENT)));

    private JsApiTypes() {
    }

    /** Spellings kept as they are sent. */
    private static Map<String, String> same(String... spellings) {
        Map<String, String> m = new java.util.HashMap<>();
        for (String s : spellings) {
            m.put(s, s);
        }
        return m;
    }
}
