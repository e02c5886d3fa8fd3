package io.jetraft.server.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.server.subject.Subjects;
import io.jetraft.storage.StreamLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A stream's configuration as nats-server checks and completes it (checkStreamCfg): name rules, subjects, limits with
 * their defaults, replicas; and what of it the store enforces ({@link StreamLimits}).
 */
final class StreamConfigs {

    static final int MAX_NAME_LENGTH = 255;
    static final long DEFAULT_DUPLICATE_WINDOW_NANOS = Duration.ofMinutes(2).toNanos();

    private StreamConfigs() {
    }

    /** The stream name rules of nats-server's isValidName: no whitespace, '.', '*', '>'; no path separators. */
    static boolean isValidName(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.' || c == '*' || c == '>' || Character.isWhitespace(c) || c == '/' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    static ApiException invalid(String why) {
        return new ApiException(500, 10052, why);
    }

    /**
     * Checks a requested configuration (decoded by {@link JsRequest#STREAM_CONFIG}, so every field has its type) and
     * fills in nats-server's defaults.
     *
     * @param otherStreamsSubjects the subjects of every other stream (overlap is refused)
     * @param clusterSize the number of meta peers (0 when not clustered)
     * @param maxPayload the server's max_payload (max_msg_size may not exceed it)
     */
    static ObjectNode normalize(JsonNode request, Collection<String> otherStreamsSubjects, int clusterSize,
                                long maxPayload) {
        if (request == null || !request.isObject()) {
            throw new ApiException(JsErrors.BAD_REQUEST);
        }
        ObjectNode c = ((ObjectNode) request).deepCopy();
        String name = c.path("name").asText("");
        if (name.isEmpty()) {
            throw invalid("stream name required");
        }
        if (!isValidName(name)) {
            throw invalid("stream name is required and can not contain '.', '*', '>'");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw invalid("stream name is too long, maximum allowed is " + MAX_NAME_LENGTH);
        }
        if (c.hasNonNull("mirror") || (c.has("sources") && c.get("sources").size() > 0)) {
            throw invalid("stream mirrors and sources are not supported by jetraft");
        }
        word(c, "retention", "limits", "limits", "interest", "workqueue");
        word(c, "discard", "old", "old", "new");
        word(c, "storage", "file", "file", "memory");
        word(c, "compression", "none", "none", "s2");
        defaultLong(c, "max_consumers", -1);
        defaultLong(c, "max_msgs", -1);
        defaultLong(c, "max_bytes", -1);
        defaultLong(c, "max_msgs_per_subject", -1);
        defaultLong(c, "max_msg_size", -1);
        for (String f : List.of("max_consumers", "max_msgs", "max_bytes", "max_msgs_per_subject", "max_msg_size")) {
            if (c.get(f).asLong() < -1) {
                throw invalid(f + " can not be less than -1");
            }
        }
        long maxAge = c.path("max_age").asLong(0);
        if (maxAge < 0) {
            throw invalid("max age needs to be >= 0");
        }
        c.put("max_age", maxAge);
        long window = c.path("duplicate_window").asLong(0);
        if (window < 0) {
            throw invalid("duplicates window can not be negative");
        }
        if (window == 0) {
            window = maxAge > 0 && maxAge < DEFAULT_DUPLICATE_WINDOW_NANOS ? maxAge : DEFAULT_DUPLICATE_WINDOW_NANOS;
        } else if (maxAge > 0 && window > maxAge) {
            throw invalid("duplicates window can not be larger then max age");
        }
        c.put("duplicate_window", window);
        long maxMsgSize = c.get("max_msg_size").asLong();
        if (maxMsgSize > maxPayload) {
            throw invalid("max message size [" + maxMsgSize + "] is larger than the server's max_payload ["
                    + maxPayload + "]");
        }
        int replicas = c.path("num_replicas").asInt(1);
        if (replicas == 0) {
            replicas = 1;
        }
        if (replicas < 0 || replicas > 5) {
            throw invalid("maximum replicas is 5");
        }
        if (clusterSize == 0 && replicas > 1) {
            throw new ApiException(500, 10074, "replicas > 1 not supported in non-clustered mode");
        }
        if (clusterSize > 0 && replicas > clusterSize) {
            throw new ApiException(503, 10023, "insufficient resources");
        }
        c.put("num_replicas", replicas);
        if (c.path("discard_new_per_subject").asBoolean(false)
                && (!c.get("discard").asText().equals("new") || c.get("max_msgs_per_subject").asLong() <= 0)) {
            throw invalid("discard new per subject requires discard new policy to be set and "
                    + "max msgs per subject > 0");
        }
        ArrayNode subjects = JsonNodeFactory.instance.arrayNode();
        if (!c.has("subjects") || c.get("subjects").size() == 0) {
            subjects.add(name);
        } else {
            Set<String> seen = new HashSet<>();
            for (JsonNode s : c.get("subjects")) {
                String subject = s.asText("");
                if (!Subjects.isValidSubscriptionSubject(subject)) {
                    throw invalid("invalid subject");
                }
                if (subject.startsWith("$JS.") || subject.startsWith("$JSC.") || subject.startsWith("$SYS.")
                        || subject.startsWith("$JSR.") || subject.equals(">")) {
                    throw invalid("subjects that overlap with jetstream api require no-ack to be true");
                }
                if (!seen.add(subject)) {
                    throw invalid("duplicate subjects detected");
                }
                subjects.add(subject);
            }
            for (String a : seen) {
                for (String b : seen) {
                    if (!a.equals(b) && Subjects.matches(a, b)) {
                        throw invalid("subject '" + b + "' is already covered by '" + a + "'");
                    }
                }
            }
        }
        c.set("subjects", subjects);
        for (JsonNode s : subjects) {
            for (String other : otherStreamsSubjects) {
                if (overlap(s.asText(), other)) {
                    throw new ApiException(400, 10065, "subjects overlap with an existing stream");
                }
            }
        }
        for (String flag : List.of("sealed", "deny_delete", "deny_purge", "allow_rollup_hdrs", "allow_direct",
                "mirror_direct", "no_ack", "discard_new_per_subject")) {
            if (!c.has(flag)) {
                c.put(flag, false);
            }
        }
        if (c.path("sealed").asBoolean()) {
            throw invalid("stream configuration for create can not be sealed");
        }
        if (!c.has("consumer_limits")) {
            c.putObject("consumer_limits");
        }
        c.remove("mirror");
        c.remove("sources");
        return c;
    }

    /** Whether two subscription subjects can match a common literal subject. */
    static boolean overlap(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        int n = Math.min(x.length, y.length);
        for (int i = 0; i < n; i++) {
            if (x[i].equals(">") || y[i].equals(">")) {
                return true;
            }
            if (!x[i].equals("*") && !y[i].equals("*") && !x[i].equals(y[i])) {
                return false;
            }
        }
        return x.length == y.length;
    }

    /**
     * An enum field, decoded and spelled as nats-server spells it ({@link JsRequest}), with its default when absent;
     * a value nats-server knows but jetraft does not implement (storage "any") is refused.
     */
    private static void word(ObjectNode c, String field, String fallback, String... allowed) {
        String value = c.path(field).asText(fallback);
        if (!List.of(allowed).contains(value)) {
            throw invalid(field + " \"" + value + "\" is not supported by jetraft");
        }
        c.put(field, value);
    }

    private static void defaultLong(ObjectNode c, String field, long fallback) {
        JsonNode v = c.get(field);
        long value = v == null || v.isNull() || v.asLong() == 0 ? fallback : v.asLong();
        c.put(field, value);
    }

    static List<String> subjects(JsonNode config) {
        List<String> out = new ArrayList<>();
        config.path("subjects").forEach(s -> out.add(s.asText()));
        return out;
    }

    /** What the store enforces of a (normalized) configuration. */
    static StreamLimits limits(JsonNode c) {
        StreamLimits.Retention retention = switch (c.path("retention").asText("limits")) {
            case "interest" -> StreamLimits.Retention.INTEREST;
            case "workqueue" -> StreamLimits.Retention.WORK_QUEUE;
            default -> StreamLimits.Retention.LIMITS;
        };
        StreamLimits.Discard discard = c.path("discard").asText("old").equals("new") ? StreamLimits.Discard.NEW
                : StreamLimits.Discard.OLD;
        return new StreamLimits(retention, discard, c.path("max_msgs").asLong(-1), c.path("max_bytes").asLong(-1),
                Duration.ofNanos(c.path("max_age").asLong(0)), c.path("max_msgs_per_subject").asLong(-1),
                (int) Math.min(Integer.MAX_VALUE, c.path("max_msg_size").asLong(-1)),
                Duration.ofNanos(c.path("duplicate_window").asLong(0)),
                c.path("discard_new_per_subject").asBoolean(false));
    }

    /**
     * What an update may not change (nats-server's checkStreamCfg for updates): storage, retention (except to and
     * from limits/interest), a sealed stream, and the name.
     */
    static void checkUpdate(JsonNode old, JsonNode next) {
        if (!old.path("storage").asText().equals(next.path("storage").asText())) {
            throw new ApiException(500, 10052, "stream configuration update can not change storage type");
        }
        String r1 = old.path("retention").asText();
        String r2 = next.path("retention").asText();
        if (!r1.equals(r2) && (r1.equals("workqueue") || r2.equals("workqueue"))) {
            throw new ApiException(500, 10052, "stream configuration update can not change retention policy to/from "
                    + "workqueue");
        }
        if (old.path("sealed").asBoolean() && !next.path("sealed").asBoolean()) {
            throw new ApiException(500, 10052, "stream configuration update can not unseal a sealed stream");
        }
        if (old.path("num_replicas").asInt() != next.path("num_replicas").asInt()) {
            throw new ApiException(500, 10052, "stream configuration update can not change the number of replicas "
                    + "in jetraft yet");
        }
    }
}
