package io.jetraft.storage;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * One message to append. The timestamp is stamped by the leader into the Raft entry (never read from the clock during
 * apply), so every replica stores and expires the same thing. {@code msgId} is the {@code Nats-Msg-Id} header value
 * (null when absent); the expectations are {@code Nats-Expected-Last-Sequence} and
 * {@code Nats-Expected-Last-Subject-Sequence}, checked atomically with the append.
 */
public record Append(
        String subject,
        byte[] headers,
        byte[] payload,
        long timestampNanos,
        String msgId,
        OptionalLong expectedLastSequence,
        OptionalLong expectedLastSubjectSequence) {

    private static final byte[] EMPTY = new byte[0];

    public Append {
        Objects.requireNonNull(subject, "subject");
        headers = headers == null ? EMPTY : headers;
        payload = payload == null ? EMPTY : payload;
        if (timestampNanos < 0) {
            throw new IllegalArgumentException("timestamp cannot be negative: " + timestampNanos);
        }
        msgId = msgId == null || msgId.isEmpty() ? null : msgId;
        expectedLastSequence = expectedLastSequence == null ? OptionalLong.empty() : expectedLastSequence;
        expectedLastSubjectSequence =
                expectedLastSubjectSequence == null ? OptionalLong.empty() : expectedLastSubjectSequence;
    }

    public static Append of(String subject, byte[] headers, byte[] payload, long timestampNanos) {
        return new Append(subject, headers, payload, timestampNanos, null, OptionalLong.empty(), OptionalLong.empty());
    }

    public Append withMsgId(String id) {
        return new Append(subject, headers, payload, timestampNanos, id, expectedLastSequence,
                expectedLastSubjectSequence);
    }

    public Append withExpectedLastSequence(long seq) {
        return new Append(subject, headers, payload, timestampNanos, msgId, OptionalLong.of(seq),
                expectedLastSubjectSequence);
    }

    public Append withExpectedLastSubjectSequence(long seq) {
        return new Append(subject, headers, payload, timestampNanos, msgId, expectedLastSequence,
                OptionalLong.of(seq));
    }
}
