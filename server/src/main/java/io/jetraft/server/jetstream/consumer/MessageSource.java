package io.jetraft.server.jetstream.consumer;

import io.jetraft.storage.StoredMessage;
import java.util.List;
import java.util.Optional;

/** The stream as a consumer reads it: the leader's own, current copy. */
public interface MessageSource {

    /** The first message at or after {@code fromSeq} whose subject matches one of the filters (all when empty). */
    Optional<StoredMessage> next(List<String> filters, long fromSeq);

    Optional<StoredMessage> get(long seq);

    long firstSeq();

    long lastSeq();

    /** The first sequence stored at or after a time (ns since epoch); lastSeq + 1 when none. */
    long firstSeqAtOrAfter(long timeNanos);

    /** The last message of each subject matching the filters, in sequence order (deliver policy last_per_subject). */
    List<Long> lastPerSubject(List<String> filters);

    /** About how many matching messages come after {@code afterSeq}. */
    long pendingAfter(List<String> filters, long afterSeq);
}
