package io.jetraft.storage;

/** One acknowledgement of a consumer: consumer sequence {@code dseq}, stream sequence {@code sseq}. */
public record Ack(long dseq, long sseq) {
}
