package io.jetraft.server.jetstream.consumer;

import java.time.Duration;
import java.util.List;

/**
 * What a consumer's engine needs of its configuration, with nats-server's defaults already filled in: where it
 * starts, how acknowledgements work, when messages are redelivered, which subjects it wants, and how it delivers
 * (push to a subject, or pull on request).
 */
public record DeliveryRules(
        String stream,
        String consumer,
        DeliverPolicy deliverPolicy,
        long optStartSeq,
        long optStartTimeNanos,
        AckPolicy ackPolicy,
        Duration ackWait,
        int maxDeliver,
        List<Duration> backoff,
        List<String> filters,
        int maxAckPending,
        int maxWaiting,
        boolean headersOnly,
        String deliverSubject,
        Duration idleHeartbeat,
        boolean flowControl,
        int maxBatch,
        Duration maxExpires,
        long maxBytes) {

    /** Where a new consumer starts in its stream. */
    public enum DeliverPolicy { ALL, LAST, NEW, BY_START_SEQUENCE, BY_START_TIME, LAST_PER_SUBJECT }

    /** How deliveries are acknowledged. */
    public enum AckPolicy { NONE, ALL, EXPLICIT }

    public DeliveryRules {
        backoff = backoff == null ? List.of() : List.copyOf(backoff);
        filters = filters == null ? List.of() : List.copyOf(filters);
        idleHeartbeat = idleHeartbeat == null ? Duration.ZERO : idleHeartbeat;
        maxExpires = maxExpires == null ? Duration.ZERO : maxExpires;
    }

    /**
     * Reads the rules from a consumer's configuration document (nats-server's ConsumerConfig JSON), with
     * nats-server's defaults for what it leaves out.
     */
    public static DeliveryRules fromConfig(String stream, String consumer, com.fasterxml.jackson.databind.JsonNode c) {
        DeliverPolicy deliver = switch (c.path("deliver_policy").asText("all")) {
            case "last" -> DeliverPolicy.LAST;
            case "new" -> DeliverPolicy.NEW;
            case "by_start_sequence" -> DeliverPolicy.BY_START_SEQUENCE;
            case "by_start_time" -> DeliverPolicy.BY_START_TIME;
            case "last_per_subject" -> DeliverPolicy.LAST_PER_SUBJECT;
            default -> DeliverPolicy.ALL;
        };
        AckPolicy ack = switch (c.path("ack_policy").asText("explicit")) {
            case "none" -> AckPolicy.NONE;
            case "all" -> AckPolicy.ALL;
            default -> AckPolicy.EXPLICIT;
        };
        java.util.List<String> filters = new java.util.ArrayList<>();
        if (!c.path("filter_subject").asText("").isEmpty()) {
            filters.add(c.path("filter_subject").asText());
        }
        c.path("filter_subjects").forEach(f -> filters.add(f.asText()));
        java.util.List<Duration> backoff = new java.util.ArrayList<>();
        c.path("backoff").forEach(b -> backoff.add(Duration.ofNanos(b.asLong())));
        String deliverSubject = c.path("deliver_subject").asText("");
        long ackWait = c.path("ack_wait").asLong(0);
        long startTime = 0;
        String optStartTime = c.path("opt_start_time").asText("");
        if (!optStartTime.isEmpty()) {
            try {
                java.time.Instant t = java.time.Instant.parse(optStartTime);
                startTime = t.getEpochSecond() * 1_000_000_000L + t.getNano();
            } catch (java.time.format.DateTimeParseException e) {
                startTime = 0;
            }
        }
        int maxAckPending = c.has("max_ack_pending") ? c.get("max_ack_pending").asInt() : 1000;
        return new DeliveryRules(stream, consumer, deliver, c.path("opt_start_seq").asLong(0), startTime, ack,
                ackWait > 0 ? Duration.ofNanos(ackWait) : Duration.ofSeconds(30),
                c.path("max_deliver").asInt(-1), backoff, filters, maxAckPending == 0 ? 1000 : maxAckPending,
                c.path("max_waiting").asInt(deliverSubject.isEmpty() ? 512 : 0), c.path("headers_only").asBoolean(),
                deliverSubject.isEmpty() ? null : deliverSubject, Duration.ofNanos(c.path("idle_heartbeat").asLong(0)),
                c.path("flow_control").asBoolean(), c.path("max_batch").asInt(0),
                Duration.ofNanos(c.path("max_expires").asLong(0)), c.path("max_bytes").asLong(0));
    }

    public boolean isPush() {
        return deliverSubject != null && !deliverSubject.isEmpty();
    }

    public boolean tracksAcks() {
        return ackPolicy != AckPolicy.NONE;
    }

    /** How long the {@code deliveryCount}-th delivery waits for its ack: backoff[n-1] (last repeats) or ack_wait. */
    public Duration ackWaitFor(long deliveryCount) {
        if (backoff.isEmpty()) {
            return ackWait;
        }
        int i = (int) Math.min(Math.max(deliveryCount - 1, 0), backoff.size() - 1);
        return backoff.get(i);
    }
}
