package io.jetraft.server.dispatch;

import io.jetraft.server.protocol.InboundMessage;
import io.jetraft.server.subject.MatchResult;
import io.jetraft.server.subject.SubjectIndex;
import io.jetraft.server.subject.Subscriber;
import io.jetraft.server.subject.Subscription;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hands a published message to every subscription it reaches on this node: each plain subscription, and one member
 * of each queue group (picked at random, skipping members that cannot take it). Honours echo=false and
 * auto-unsubscribe limits. Runs on the publisher's thread and never blocks.
 */
public final class Dispatcher {

    private final SubjectIndex index;

    public Dispatcher(SubjectIndex index) {
        this.index = index;
    }

    /**
     * Delivers the message.
     *
     * @param publisher who sent it (null for internal publishers); its own subscriptions are skipped unless echo
     * @param echo whether the publisher's own subscriptions may receive it
     * @return the number of subscriptions that took it
     */
    public int dispatch(InboundMessage message, Publisher publisher, boolean echo) {
        MatchResult match = index.match(message.subject());
        if (match.isEmpty()) {
            return 0;
        }
        int delivered = 0;
        for (Subscription sub : match.plain()) {
            if (!echo && sub.subscriber() == publisher) {
                continue;
            }
            if (deliver(sub, message, publisher)) {
                delivered++;
            }
        }
        for (Subscription[] group : match.queueGroups()) {
            if (deliverToOne(group, message, publisher, echo)) {
                delivered++;
            }
        }
        return delivered;
    }

    private boolean deliverToOne(Subscription[] group, InboundMessage message, Publisher publisher, boolean echo) {
        int n = group.length;
        int start = n == 1 ? 0 : ThreadLocalRandom.current().nextInt(n);
        for (int i = 0; i < n; i++) {
            Subscription sub = group[(start + i) % n];
            if (!echo && sub.subscriber() == publisher) {
                continue;
            }
            if (sub.subscriber().isOpen() && deliver(sub, message, publisher)) {
                return true;
            }
        }
        return false;
    }

    private boolean deliver(Subscription sub, InboundMessage message, Publisher publisher) {
        Subscription.Claim claim = sub.claimDelivery();
        if (claim == Subscription.Claim.EXHAUSTED) {
            return false;
        }
        Subscriber receiver = sub.subscriber();
        boolean taken = receiver.deliver(sub, message);
        if (taken && publisher != null && receiver.isCongested()) {
            publisher.stallUntilDrained(receiver);
        }
        if (claim == Subscription.Claim.DELIVER_LAST) {
            sub.subscriber().limitReached(sub);
        }
        return taken;
    }
}
