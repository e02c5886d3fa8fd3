package io.jetraft.server.subject;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/** One SUB of one subscriber: subject (may hold wildcards), optional queue group, sid, auto-unsubscribe limit. */
public final class Subscription {

    private final Subscriber subscriber;
    private final String subject;
    private final String queue;
    private final String sid;
    private final byte[] sidBytes;
    private final AtomicLong delivered = new AtomicLong();
    private volatile long maxMessages;

    public Subscription(Subscriber subscriber, String subject, String queue, String sid) {
        this.subscriber = subscriber;
        this.subject = subject;
        this.queue = queue;
        this.sid = sid;
        this.sidBytes = sid.getBytes(StandardCharsets.US_ASCII);
    }

    public Subscriber subscriber() {
        return subscriber;
    }

    public String subject() {
        return subject;
    }

    /** The queue group, or null for a plain subscription. */
    public String queue() {
        return queue;
    }

    public String sid() {
        return sid;
    }

    public byte[] sidBytes() {
        return sidBytes;
    }

    public long deliveredCount() {
        return delivered.get();
    }

    /** Sets the auto-unsubscribe limit (0 = none). */
    public void setMaxMessages(long max) {
        this.maxMessages = max;
    }

    public long maxMessages() {
        return maxMessages;
    }

    /**
     * Claims the right to deliver one more message.
     *
     * @return {@link Claim#DELIVER}, {@link Claim#DELIVER_LAST} when this message reaches the limit (the caller
     *         removes the subscription), or {@link Claim#EXHAUSTED} when the limit was reached already
     */
    public Claim claimDelivery() {
        long max = maxMessages;
        if (max <= 0) {
            // no limit: the count only informs a later UNSUB max, so a racy increment is enough
            delivered.lazySet(delivered.get() + 1);
            return Claim.DELIVER;
        }
        long n = delivered.incrementAndGet();
        if (max <= 0 || n < max) {
            return Claim.DELIVER;
        }
        return n == max ? Claim.DELIVER_LAST : Claim.EXHAUSTED;
    }

    /** The outcome of {@link #claimDelivery()}. */
    public enum Claim {
        DELIVER,
        DELIVER_LAST,
        EXHAUSTED
    }

    @Override
    public String toString() {
        return "Subscription[" + subject + (queue == null ? "" : " " + queue) + " sid=" + sid + "]";
    }
}
