package io.jetraft.server.jetstream;

import java.util.ArrayList;
import java.util.List;

/**
 * The fields of nats-server 2.10's StreamConfig and ConsumerConfig (server/stream.go, consumer.go) with their Go types,
 * and for each kind of type the wrong JSON values and the reason Go's json.Unmarshal gives for each (Go 1.24's texts,
 * as nats-server 2.11 and later print them after "invalid JSON: ").
 */
final class GoFieldCases {

    private static final String TIME_LAYOUT = "\"2006-01-02T15:04:05Z07:00\"";

    private GoFieldCases() {
    }

    /** A Go field: its JSON name, its Go type as Go prints it, and the kind of that type. */
    record GoField(String json, String goType, Kind kind) {
    }

    enum Kind { STRING, BOOL, INT, INT32, UINT, STRING_SLICE, DURATION_SLICE, STRUCT, MAP, ENUM, STRING_ENUM,
        TIME, SOURCES }

    static final List<GoField> STREAM_CONFIG = List.of(
            new GoField("name", "string", Kind.STRING),
            new GoField("description", "string", Kind.STRING),
            new GoField("subjects", "[]string", Kind.STRING_SLICE),
            new GoField("retention", "server.RetentionPolicy", Kind.ENUM),
            new GoField("max_consumers", "int", Kind.INT),
            new GoField("max_msgs", "int64", Kind.INT),
            new GoField("max_bytes", "int64", Kind.INT),
            new GoField("max_age", "time.Duration", Kind.INT),
            new GoField("max_msgs_per_subject", "int64", Kind.INT),
            new GoField("max_msg_size", "int32", Kind.INT32),
            new GoField("discard", "server.DiscardPolicy", Kind.ENUM),
            new GoField("storage", "server.StorageType", Kind.ENUM),
            new GoField("num_replicas", "int", Kind.INT),
            new GoField("no_ack", "bool", Kind.BOOL),
            new GoField("template_owner", "string", Kind.STRING),
            new GoField("duplicate_window", "time.Duration", Kind.INT),
            new GoField("placement", "server.Placement", Kind.STRUCT),
            new GoField("mirror", "server.StreamSource", Kind.STRUCT),
            new GoField("sources", "[]*server.StreamSource", Kind.SOURCES),
            new GoField("compression", "server.StoreCompression", Kind.STRING_ENUM),
            new GoField("first_seq", "uint64", Kind.UINT),
            new GoField("subject_transform", "server.SubjectTransformConfig", Kind.STRUCT),
            new GoField("republish", "server.RePublish", Kind.STRUCT),
            new GoField("allow_direct", "bool", Kind.BOOL),
            new GoField("mirror_direct", "bool", Kind.BOOL),
            new GoField("discard_new_per_subject", "bool", Kind.BOOL),
            new GoField("sealed", "bool", Kind.BOOL),
            new GoField("deny_delete", "bool", Kind.BOOL),
            new GoField("deny_purge", "bool", Kind.BOOL),
            new GoField("allow_rollup_hdrs", "bool", Kind.BOOL),
            new GoField("consumer_limits", "server.StreamConsumerLimits", Kind.STRUCT),
            new GoField("metadata", "map[string]string", Kind.MAP));

    static final List<GoField> CONSUMER_CONFIG = List.of(
            new GoField("durable_name", "string", Kind.STRING),
            new GoField("name", "string", Kind.STRING),
            new GoField("description", "string", Kind.STRING),
            new GoField("deliver_policy", "server.DeliverPolicy", Kind.ENUM),
            new GoField("opt_start_seq", "uint64", Kind.UINT),
            new GoField("opt_start_time", "time.Time", Kind.TIME),
            new GoField("ack_policy", "server.AckPolicy", Kind.ENUM),
            new GoField("ack_wait", "time.Duration", Kind.INT),
            new GoField("max_deliver", "int", Kind.INT),
            new GoField("backoff", "[]time.Duration", Kind.DURATION_SLICE),
            new GoField("filter_subject", "string", Kind.STRING),
            new GoField("filter_subjects", "[]string", Kind.STRING_SLICE),
            new GoField("replay_policy", "server.ReplayPolicy", Kind.ENUM),
            new GoField("rate_limit_bps", "uint64", Kind.UINT),
            new GoField("sample_freq", "string", Kind.STRING),
            new GoField("max_waiting", "int", Kind.INT),
            new GoField("max_ack_pending", "int", Kind.INT),
            new GoField("idle_heartbeat", "time.Duration", Kind.INT),
            new GoField("flow_control", "bool", Kind.BOOL),
            new GoField("headers_only", "bool", Kind.BOOL),
            new GoField("max_batch", "int", Kind.INT),
            new GoField("max_expires", "time.Duration", Kind.INT),
            new GoField("max_bytes", "int", Kind.INT),
            new GoField("deliver_subject", "string", Kind.STRING),
            new GoField("deliver_group", "string", Kind.STRING),
            new GoField("inactive_threshold", "time.Duration", Kind.INT),
            new GoField("num_replicas", "int", Kind.INT),
            new GoField("mem_storage", "bool", Kind.BOOL),
            new GoField("direct", "bool", Kind.BOOL),
            new GoField("metadata", "map[string]string", Kind.MAP));

    /** A wrong value for a field and the reason Go gives (after "invalid JSON: "). */
    record Wrong(String json, String reason) {
    }

    /**
     * Every wrong value for one field.
     *
     * @param struct the Go struct that holds the field, as Go prints it before the field path
     * @param path the field's JSON path from the body's root
     */
    static List<Wrong> wrongValues(GoField f, String struct, String path) {
        String into = " into Go struct field " + struct + "." + path + " of type ";
        String typeError = "json: cannot unmarshal %s" + into + f.goType();
        List<Wrong> out = new ArrayList<>();
        switch (f.kind()) {
            case STRING -> {
                out.add(new Wrong("5", typeError.formatted("number")));
                out.add(new Wrong("true", typeError.formatted("bool")));
                out.add(new Wrong("{\"a\":\"b\"}", typeError.formatted("object")));
                out.add(new Wrong("[\"a\"]", typeError.formatted("array")));
            }
            case BOOL -> {
                out.add(new Wrong("\"true\"", typeError.formatted("string")));
                out.add(new Wrong("1", typeError.formatted("number")));
                out.add(new Wrong("{}", typeError.formatted("object")));
                out.add(new Wrong("[true]", typeError.formatted("array")));
            }
            case INT, INT32, UINT -> {
                out.add(new Wrong("\"5\"", typeError.formatted("string")));
                out.add(new Wrong("\"three\"", typeError.formatted("string")));
                out.add(new Wrong("true", typeError.formatted("bool")));
                out.add(new Wrong("{}", typeError.formatted("object")));
                out.add(new Wrong("[1]", typeError.formatted("array")));
                out.add(new Wrong("1.5", typeError.formatted("number 1.5")));
                out.add(new Wrong("1e3", typeError.formatted("number 1e3")));
                if (f.kind() == Kind.UINT) {
                    out.add(new Wrong("-1", typeError.formatted("number -1")));
                    out.add(new Wrong("18446744073709551616", typeError.formatted("number 18446744073709551616")));
                } else if (f.kind() == Kind.INT32) {
                    out.add(new Wrong("2147483648", typeError.formatted("number 2147483648")));
                } else {
                    out.add(new Wrong("9223372036854775808", typeError.formatted("number 9223372036854775808")));
                }
            }
            case STRING_SLICE -> {
                out.add(new Wrong("\"a.b\"", typeError.formatted("string")));
                out.add(new Wrong("5", typeError.formatted("number")));
                out.add(new Wrong("true", typeError.formatted("bool")));
                out.add(new Wrong("{\"a\":1}", typeError.formatted("object")));
                out.add(new Wrong("[5]", "json: cannot unmarshal number" + into + "string"));
                out.add(new Wrong("[\"a\",{}]", "json: cannot unmarshal object" + into + "string"));
            }
            case DURATION_SLICE -> {
                out.add(new Wrong("\"1s\"", typeError.formatted("string")));
                out.add(new Wrong("1000", typeError.formatted("number")));
                out.add(new Wrong("[\"1s\"]", "json: cannot unmarshal string" + into + "time.Duration"));
                out.add(new Wrong("[1.5]", "json: cannot unmarshal number 1.5" + into + "time.Duration"));
            }
            case STRUCT -> {
                out.add(new Wrong("\"x\"", typeError.formatted("string")));
                out.add(new Wrong("5", typeError.formatted("number")));
                out.add(new Wrong("true", typeError.formatted("bool")));
                out.add(new Wrong("[{}]", typeError.formatted("array")));
            }
            case SOURCES -> {
                out.add(new Wrong("\"x\"", typeError.formatted("string")));
                out.add(new Wrong("{\"name\":\"x\"}", typeError.formatted("object")));
                out.add(new Wrong("[\"x\"]", "json: cannot unmarshal string" + into + "server.StreamSource"));
            }
            case MAP -> {
                out.add(new Wrong("\"x\"", typeError.formatted("string")));
                out.add(new Wrong("[\"x\"]", typeError.formatted("array")));
                out.add(new Wrong("5", typeError.formatted("number")));
                out.add(new Wrong("{\"k\":5}", "json: cannot unmarshal number" + into + "string"));
            }
            case ENUM -> {
                for (String raw : List.of("\"bogus\"", "\"\"", "5", "true", "{}", "[\"all\"]", "null")) {
                    out.add(new Wrong(raw, "can not unmarshal " + goQuote(raw)));
                }
            }
            case STRING_ENUM -> {
                out.add(new Wrong("\"bogus\"", "unknown compression algorithm"));
                out.add(new Wrong("\"\"", "unknown compression algorithm"));
                out.add(new Wrong("5", "json: cannot unmarshal number" + into + "string"));
                out.add(new Wrong("{}", "json: cannot unmarshal object" + into + "string"));
            }
            case TIME -> {
                for (String raw : List.of("5", "true", "{}", "[]")) {
                    out.add(new Wrong(raw, "Time.UnmarshalJSON: input is not a JSON string"));
                }
                out.add(new Wrong("\"yesterday\"", "parsing time \"yesterday\" as " + TIME_LAYOUT
                        + ": cannot parse \"yesterday\" as \"2006\""));
                out.add(new Wrong("\"2024-13-01T00:00:00Z\"", "parsing time \"2024-13-01T00:00:00Z\": month out of range"));
                out.add(new Wrong("\"2024-02-30T00:00:00Z\"", "parsing time \"2024-02-30T00:00:00Z\": day out of range"));
                out.add(new Wrong("\"2024-01-01 00:00:00Z\"", "parsing time \"2024-01-01 00:00:00Z\" as "
                        + TIME_LAYOUT + ": cannot parse \" 00:00:00Z\" as \"T\""));
                out.add(new Wrong("\"2024-01-01T00:00:00\"", "parsing time \"2024-01-01T00:00:00\" as " + TIME_LAYOUT
                        + ": cannot parse \"\" as \"Z07:00\""));
            }
            default -> throw new IllegalStateException(f.kind().name());
        }
        return out;
    }

    /** Go's %q of ASCII text. */
    private static String goQuote(String raw) {
        return "\"" + raw.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
