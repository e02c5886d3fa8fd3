package io.jetraft.storage;

import java.nio.file.Path;
import java.util.List;

/** What a stream group's snapshot holds: its group, applied index, streams, key count, size and SHA-256 (hex). */
public record GroupSnapshotInfo(String groupId, AppliedIndex applied, List<String> streams, long keys, long sizeBytes,
                                String sha256, Path file) {

    public GroupSnapshotInfo {
        streams = List.copyOf(streams);
    }
}
