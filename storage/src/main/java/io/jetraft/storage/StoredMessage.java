package io.jetraft.storage;

/** A message as stored: its stream sequence, subject, raw header block, payload and timestamp (ns since epoch). */
public record StoredMessage(long seq, String subject, byte[] headers, byte[] payload, long timestampNanos) {
}
