package io.jetraft.storage;

import java.time.Duration;
import java.util.Optional;

/**
 * The part of a JetStream StreamConfig that the store enforces. Counts and sizes use nats-server's convention:
 * -1 (or 0, normalised to -1) means unlimited; {@link Duration#ZERO} means no max age. A zero duplicate window means
 * nats-server's default: 2 minutes, or max_age when that is shorter.
 */
public record StreamLimits(
        Retention retention,
        Discard discard,
        long maxMsgs,
        long maxBytes,
        Duration maxAge,
        long maxMsgsPerSubject,
        int maxMsgSize,
        Duration duplicateWindow,
        boolean discardNewPerSubject) {

    /** nats-server's {@code StreamDefaultDuplicatesWindow}. */
    public static final Duration DEFAULT_DUPLICATE_WINDOW = Duration.ofMinutes(2);
    private static final Duration MIN_WINDOW = Duration.ofMillis(100);

    public enum Retention { LIMITS, INTEREST, WORK_QUEUE }

    public enum Discard { OLD, NEW }

    public StreamLimits {
        retention = retention == null ? Retention.LIMITS : retention;
        discard = discard == null ? Discard.OLD : discard;
        maxAge = maxAge == null ? Duration.ZERO : maxAge;
        duplicateWindow = duplicateWindow == null ? Duration.ZERO : duplicateWindow;
    }

    /** No limits, retention by limits, discard old. */
    public static StreamLimits unlimited() {
        return new StreamLimits(Retention.LIMITS, Discard.OLD, -1, -1, Duration.ZERO, -1, -1, Duration.ZERO, false);
    }

    public StreamLimits withRetention(Retention r) {
        return new StreamLimits(r, discard, maxMsgs, maxBytes, maxAge, maxMsgsPerSubject, maxMsgSize,
                duplicateWindow, discardNewPerSubject);
    }

    public StreamLimits withDiscard(Discard d) {
        return new StreamLimits(retention, d, maxMsgs, maxBytes, maxAge, maxMsgsPerSubject, maxMsgSize,
                duplicateWindow, discardNewPerSubject);
    }

    public StreamLimits withMaxMsgs(long n) {
        return new StreamLimits(retention, discard, n, maxBytes, maxAge, maxMsgsPerSubject, maxMsgSize,
                duplicateWindow, discardNewPerSubject);
    }

    public StreamLimits withMaxBytes(long n) {
        return new StreamLimits(retention, discard, maxMsgs, n, maxAge, maxMsgsPerSubject, maxMsgSize,
                duplicateWindow, discardNewPerSubject);
    }

    public StreamLimits withMaxAge(Duration d) {
        return new StreamLimits(retention, discard, maxMsgs, maxBytes, d, maxMsgsPerSubject, maxMsgSize,
                duplicateWindow, discardNewPerSubject);
    }

    public StreamLimits withMaxMsgsPerSubject(long n) {
        return new StreamLimits(retention, discard, maxMsgs, maxBytes, maxAge, n, maxMsgSize, duplicateWindow,
                discardNewPerSubject);
    }

    public StreamLimits withMaxMsgSize(int n) {
        return new StreamLimits(retention, discard, maxMsgs, maxBytes, maxAge, maxMsgsPerSubject, n,
                duplicateWindow, discardNewPerSubject);
    }

    public StreamLimits withDuplicateWindow(Duration d) {
        return new StreamLimits(retention, discard, maxMsgs, maxBytes, maxAge, maxMsgsPerSubject, maxMsgSize, d,
                discardNewPerSubject);
    }

    public StreamLimits withDiscardNewPerSubject(boolean b) {
        return new StreamLimits(retention, discard, maxMsgs, maxBytes, maxAge, maxMsgsPerSubject, maxMsgSize,
                duplicateWindow, b);
    }

    /**
     * Checks the limits as nats-server's {@code checkStreamCfg} does and returns them with its defaults applied
     * (0 → -1 for counts and sizes, the default duplicate window), or the error to report (10052).
     */
    public Validated validate() {
        if (maxMsgs < -1) {
            return Validated.error("max_msgs can not be less than -1 (-1 means unlimited): " + maxMsgs);
        }
        if (maxBytes < -1) {
            return Validated.error("max_bytes can not be less than -1 (-1 means unlimited): " + maxBytes);
        }
        if (maxMsgsPerSubject < -1) {
            return Validated.error("max_msgs_per_subject can not be less than -1 (-1 means unlimited): "
                    + maxMsgsPerSubject);
        }
        if (maxMsgSize < -1) {
            return Validated.error("max_msg_size can not be less than -1 (-1 means unlimited): " + maxMsgSize);
        }
        if (maxAge.isNegative()) {
            return Validated.error("max age can not be negative");
        }
        if (!maxAge.isZero() && maxAge.compareTo(MIN_WINDOW) < 0) {
            return Validated.error("max age needs to be >= 100ms");
        }
        if (duplicateWindow.isNegative()) {
            return Validated.error("duplicates window can not be negative");
        }
        Duration window = duplicateWindow;
        if (window.isZero()) {
            window = !maxAge.isZero() && maxAge.compareTo(DEFAULT_DUPLICATE_WINDOW) < 0
                    ? maxAge : DEFAULT_DUPLICATE_WINDOW;
        }
        if (!maxAge.isZero() && window.compareTo(maxAge) > 0) {
            return Validated.error("duplicates window can not be larger then max age");
        }
        if (window.compareTo(MIN_WINDOW) < 0) {
            return Validated.error("duplicates window needs to be >= 100ms");
        }
        long msgs = maxMsgs == 0 ? -1 : maxMsgs;
        long bytes = maxBytes == 0 ? -1 : maxBytes;
        long perSubject = maxMsgsPerSubject == 0 ? -1 : maxMsgsPerSubject;
        int size = maxMsgSize == 0 ? -1 : maxMsgSize;
        if (discardNewPerSubject) {
            if (discard != Discard.NEW) {
                return Validated.error("discard new per subject requires discard new policy to be set");
            }
            if (perSubject <= 0) {
                return Validated.error("discard new per subject requires max msgs per subject > 0");
            }
        }
        return new Validated(new StreamLimits(retention, discard, msgs, bytes, maxAge, perSubject, size, window,
                discardNewPerSubject), null);
    }

    /** Either normalised limits or the error that refuses them. */
    public record Validated(StreamLimits limits, JsError error) {
        static Validated error(String why) {
            return new Validated(null, JsError.invalidStreamConfig(why));
        }

        public Optional<JsError> failure() {
            return Optional.ofNullable(error);
        }
    }
}
