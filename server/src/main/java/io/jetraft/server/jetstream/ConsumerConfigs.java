package io.jetraft.server.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.raft.StartPosition;
import io.jetraft.server.subject.Subjects;
import io.jetraft.storage.ConsumerConfig;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A consumer's configuration as nats-server checks and completes it (checkConsumerCfg and
 * setConsumerConfigDefaults), and what of it the store and the Raft layer need.
 */
final class ConsumerConfigs {

    private static final char[] NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            .toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private ConsumerConfigs() {
    }

    /** An ephemeral consumer's name, as nats-server makes one. */
    static String generatedName() {
        StringBuilder sb = new StringBuilder(8);
        for (int i = 0; i < 8; i++) {
            sb.append(NAME_CHARS[RANDOM.nextInt(NAME_CHARS.length)]);
        }
        return sb.toString();
    }

    static boolean isValidName(String name) {
        return StreamConfigs.isValidName(name);
    }

    /**
     * Checks a consumer configuration (decoded by {@link JsRequest#CONSUMER_CREATE}, so every field has its type)
     * against its stream's and fills in nats-server's defaults.
     *
     * @param name the consumer's name (durable, given or generated)
     * @param stream the stream's normalized configuration
     */
    static ObjectNode normalize(JsonNode requested, String name, JsonNode stream) {
        if (requested == null || !requested.isObject()) {
            throw new ApiException(400, 10025, "invalid JSON: consumer config missing");
        }
        ObjectNode c = ((ObjectNode) requested).deepCopy();
        String durable = c.path("durable_name").asText("");
        if (!durable.isEmpty() && !isValidName(durable)) {
            throw new ApiException(400, 10103, "durable name can not contain '.', '*', '>'");
        }
        if (!isValidName(name)) {
            throw new ApiException(400, 10103, "consumer name can not contain '.', '*', '>'");
        }
        c.put("name", name);
        String deliverPolicy = oneOf(c, "deliver_policy", "all");
        String ackPolicy = oneOf(c, "ack_policy", "explicit");
        oneOf(c, "replay_policy", "instant");
        String deliverSubject = c.path("deliver_subject").asText("");
        boolean push = !deliverSubject.isEmpty();
        if (push && Subjects.hasWildcard(deliverSubject)) {
            throw new ApiException(400, 10079, "consumer deliver subject has wildcards");
        }
        if (c.hasNonNull("filter_subject") && !c.get("filter_subject").asText().isEmpty()
                && c.has("filter_subjects") && c.get("filter_subjects").size() > 0) {
            throw new ApiException(400, 10136, "consumer cannot have both FilterSubject and FilterSubjects specified");
        }
        List<String> filters = new ArrayList<>();
        if (!c.path("filter_subject").asText("").isEmpty()) {
            filters.add(c.get("filter_subject").asText());
        }
        c.path("filter_subjects").forEach(f -> filters.add(f.asText()));
        for (String f : filters) {
            if (!Subjects.isValidSubscriptionSubject(f)) {
                throw new ApiException(400, 10093,
                        "consumer filter subject is not a valid subset of the interest subjects");
            }
            boolean within = false;
            for (JsonNode s : stream.path("subjects")) {
                if (StreamConfigs.overlap(s.asText(), f)) {
                    within = true;
                    break;
                }
            }
            if (!within) {
                throw new ApiException(400, 10093,
                        "consumer filter subject is not a valid subset of the interest subjects");
            }
        }
        switch (deliverPolicy) {
            case "by_start_sequence" -> {
                if (c.path("opt_start_seq").asLong(0) <= 0) {
                    throw new ApiException(400, 10094, "consumer delivery policy is deliver by start sequence, but "
                            + "optional start sequence is not set");
                }
                if (c.hasNonNull("opt_start_time")) {
                    throw new ApiException(400, 10094, "consumer delivery policy is deliver by start sequence, but "
                            + "optional start time is also set");
                }
            }
            case "by_start_time" -> {
                if (!c.hasNonNull("opt_start_time")) {
                    throw new ApiException(400, 10094, "consumer delivery policy is deliver by start time, but "
                            + "optional start time is not set");
                }
                if (c.path("opt_start_seq").asLong(0) > 0) {
                    throw new ApiException(400, 10094, "consumer delivery policy is deliver by start time, but "
                            + "optional start sequence is also set");
                }
            }
            default -> {
                if (c.path("opt_start_seq").asLong(0) > 0) {
                    throw new ApiException(400, 10094, "consumer delivery policy is deliver " + deliverPolicy
                            + ", but optional start sequence is also set");
                }
                if (c.hasNonNull("opt_start_time")) {
                    throw new ApiException(400, 10094, "consumer delivery policy is deliver " + deliverPolicy
                            + ", but optional start time is also set");
                }
            }
        }
        if (push) {
            if (c.path("max_waiting").asInt(0) > 0) {
                throw new ApiException(400, 10080, "consumer in push mode can not set max waiting");
            }
            if (c.path("max_batch").asInt(0) > 0 || c.path("max_expires").asLong(0) > 0
                    || c.path("max_bytes").asLong(0) > 0) {
                throw new ApiException(400, 10090, "consumer in push mode can not set max batch, max expires or "
                        + "max bytes");
            }
        } else {
            if (c.path("flow_control").asBoolean(false)) {
                throw new ApiException(400, 10089, "consumer flow control requires a push based consumer");
            }
            if (c.path("idle_heartbeat").asLong(0) > 0) {
                throw new ApiException(400, 10088, "consumer idle heartbeat requires a push based consumer");
            }
            if (!c.path("deliver_group").asText("").isEmpty()) {
                throw new ApiException(400, 10078, "consumer in pull mode can not have a deliver group");
            }
            if (c.path("max_waiting").asInt(512) < 0) {
                throw new ApiException(400, 10087, "consumer max waiting needs to be positive");
            }
            if (!c.has("max_waiting") || c.get("max_waiting").asInt() == 0) {
                c.put("max_waiting", 512);
            }
        }
        if (ackPolicy.equals("none") && c.path("max_ack_pending").asInt(0) > 0) {
            throw new ApiException(400, 10082, "consumer requires ack policy for max ack pending");
        }
        if (!c.has("ack_wait") || c.get("ack_wait").asLong() <= 0) {
            c.put("ack_wait", Duration.ofSeconds(30).toNanos());
        }
        int maxDeliver = c.path("max_deliver").asInt(0);
        if (maxDeliver == 0 || maxDeliver < -1) {
            maxDeliver = -1;
        }
        c.put("max_deliver", maxDeliver);
        if (c.has("backoff") && c.get("backoff").size() > 0) {
            if (maxDeliver != -1 && maxDeliver <= c.get("backoff").size()) {
                throw new ApiException(400, 10116, "max deliver is required to be > length of backoff values");
            }
            c.put("ack_wait", c.get("backoff").get(0).asLong());
        }
        if (!ackPolicy.equals("none") && (!c.has("max_ack_pending") || c.get("max_ack_pending").asInt() == 0)) {
            c.put("max_ack_pending", 1000);
        }
        if (c.path("inactive_threshold").asLong(0) < 0) {
            throw new ApiException(400, 10052 + 0, "consumer inactive threshold can not be negative");
        }
        String retention = stream.path("retention").asText("limits");
        if (retention.equals("workqueue") && !ackPolicy.equals("explicit")) {
            throw new ApiException(400, 10098, "workqueue stream requires explicit ack");
        }
        c.put("num_replicas", c.path("num_replicas").asInt(0));
        if (!c.has("deliver_policy")) {
            c.put("deliver_policy", deliverPolicy);
        }
        if (c.has("filter_subjects") && c.get("filter_subjects").size() == 0) {
            c.remove("filter_subjects");
        }
        return c;
    }

    /** Work-queue streams: a new consumer must not overlap any existing one (nats-server's rules). */
    static void checkWorkQueue(JsonNode consumer, List<JsonNode> others) {
        List<String> mine = filters(consumer);
        for (JsonNode other : others) {
            List<String> theirs = filters(other);
            if (mine.isEmpty() || theirs.isEmpty()) {
                if (mine.isEmpty() && theirs.isEmpty()) {
                    throw new ApiException(400, 10099, "multiple non-filtered consumers not allowed on workqueue "
                            + "stream");
                }
                throw new ApiException(400, 10100, "filtered consumer not unique on workqueue stream");
            }
            for (String a : mine) {
                for (String b : theirs) {
                    if (StreamConfigs.overlap(a, b)) {
                        throw new ApiException(400, 10100, "filtered consumer not unique on workqueue stream");
                    }
                }
            }
        }
    }

    static List<String> filters(JsonNode c) {
        List<String> out = new ArrayList<>();
        if (!c.path("filter_subject").asText("").isEmpty()) {
            out.add(c.get("filter_subject").asText());
        }
        c.path("filter_subjects").forEach(f -> out.add(f.asText()));
        return out;
    }

    /** An enum field, decoded and spelled as nats-server spells it ({@link JsRequest}), with its default. */
    private static String oneOf(ObjectNode c, String field, String fallback) {
        String value = c.path(field).asText(fallback);
        c.put(field, value);
        return value;
    }

    /** What the store needs: ack policy, max deliver, filters. */
    static ConsumerConfig storeSettings(JsonNode c) {
        ConsumerConfig.AckPolicy ack = switch (c.path("ack_policy").asText("explicit")) {
            case "none" -> ConsumerConfig.AckPolicy.NONE;
            case "all" -> ConsumerConfig.AckPolicy.ALL;
            default -> ConsumerConfig.AckPolicy.EXPLICIT;
        };
        return new ConsumerConfig(ack, c.path("max_deliver").asInt(-1), filters(c));
    }

    /** Where the consumer starts; time and last-per-subject starts are resolved by the stream leader's engine. */
    static StartPosition start(JsonNode c) {
        return switch (c.path("deliver_policy").asText("all")) {
            case "new" -> StartPosition.newOnly();
            case "last" -> StartPosition.last();
            case "by_start_sequence" -> StartPosition.sequence(c.path("opt_start_seq").asLong(1));
            default -> StartPosition.all();
        };
    }

    /** The filters in a form for a list response. */
    static ArrayNode filterArray(JsonNode c, ArrayNode into) {
        filters(c).forEach(into::add);
        return into;
    }
}
