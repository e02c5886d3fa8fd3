package io.jetraft.raft;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * One message to publish to a stream. The stream leader stamps its time into the entry. {@code msgId} is the
 * {@code Nats-Msg-Id} header (null when absent); the expectations are {@code Nats-Expected-Last-Sequence} and
 * {@code Nats-Expected-Last-Subject-Sequence}.
 */
public record Publish(String subject, byte[] headers, byte[] payload, String msgId,
                      OptionalLong expectedLastSequence, OptionalLong expectedLastSubjectSequence) {

    private static final byte[] EMPTY = new byte[0];

    public Publish {
        Objects.requireNonNull(subject, "subject");
        headers = headers == null ? EMPTY : headers;
        payload = payload == null ? EMPTY : payload;
        msgId = msgId == null || msgId.isEmpty() ? null : msgId;
        expectedLastSequence = expectedLastSequence == null ? OptionalLong.empty() : expectedLastSequence;
        expectedLastSubjectSequence = expectedLastSubjectSequence == null ? OptionalLong.empty()
                : expectedLastSubjectSequence;
    }

    public static Publish of(String subject, byte[] payload) {
        return new Publish(subject, null, payload, null, OptionalLong.empty(), OptionalLong.empty());
    }

    public Publish withHeaders(byte[] h) {
        return new Publish(subject, h, payload, msgId, expectedLastSequence, expectedLastSubjectSequence);
    }

    public Publish withMsgId(String id) {
        return new Publish(subject, headers, payload, id, expectedLastSequence, expectedLastSubjectSequence);
    }

    public Publish withExpectedLastSequence(long seq) {
        return new Publish(subject, headers, payload, msgId, OptionalLong.of(seq), expectedLastSubjectSequence);
    }

    public Publish withExpectedLastSubjectSequence(long seq) {
        return new Publish(subject, headers, payload, msgId, expectedLastSequence, OptionalLong.of(seq));
    }
}
