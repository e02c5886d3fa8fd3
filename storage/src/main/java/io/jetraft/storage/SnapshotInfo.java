package io.jetraft.storage;

import java.nio.file.Path;

/** What an exported stream snapshot holds: its stream, applied index, key count, size and SHA-256 (hex). */
public record SnapshotInfo(String stream, AppliedIndex applied, long keys, long sizeBytes, String sha256, Path file) {
}
