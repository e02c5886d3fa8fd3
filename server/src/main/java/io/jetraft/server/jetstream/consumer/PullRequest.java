package io.jetraft.server.jetstream.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * A pull request ({@code $JS.API.CONSUMER.MSG.NEXT}): how many messages, until when (ns, 0 = no expiry), how many
 * bytes at most (0 = no limit), whether to wait at all, and how often to send idle heartbeats (0 = never).
 */
public record PullRequest(int batch, long expiresNanos, long maxBytes, boolean noWait, long heartbeatNanos) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Reads a request body as nats-server does: empty means batch 1, a bare integer is the batch, otherwise JSON.
     *
     * @throws IllegalArgumentException for a body that is none of these
     */
    public static PullRequest parse(byte[] body) {
        String text = new String(body, java.nio.charset.StandardCharsets.UTF_8).trim();
        if (text.isEmpty()) {
            return new PullRequest(1, 0, 0, false, 0);
        }
        if (text.chars().allMatch(Character::isDigit)) {
            try {
                return new PullRequest(Math.max(1, Integer.parseInt(text)), 0, 0, false, 0);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("batch too large: " + text);
            }
        }
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getMessage());
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("invalid JSON: expected an object");
        }
        int batch = n.path("batch").asInt(1);
        return new PullRequest(batch <= 0 ? 1 : batch, n.path("expires").asLong(0), n.path("max_bytes").asLong(0),
                n.path("no_wait").asBoolean(false), n.path("idle_heartbeat").asLong(0));
    }
}
