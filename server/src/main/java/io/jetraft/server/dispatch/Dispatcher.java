package io.jetraft.server.dispatch;

import io.jetraft.server.protocol.InboundMessage;
import io.jetraft.server.subject.MatchResult;
import io.jetraft.server.subject.SubjectIndex;
import io.jetraft.server.subject.Subscriber;
import io.jetraft.server.subject.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hands a message to every subscription it reaches: each local plain subscription, one member of each queue group
 * across the cluster (a local member when there is one, as nats-server prefers), and each route whose peer has
 * interest, once per route. A message that came over a route goes to local subscribers only, so no message crosses
 * more than one route. Honours echo=false and auto-unsubscribe limits. Runs on the publisher's thread, never blocks.
 */
public final class Dispatcher {

    private final SubjectIndex index;

    public Dispatcher(SubjectIndex index) {
        this.index = index;
    }

    /**
     * Delivers a message published on this node (by a client or internally).
     *
     * @param publisher who sent it (null for internal publishers); its own subscriptions are skipped unless echo
     * @return the number of local subscriptions and routes that took it
     */
    public int dispatch(InboundMessage message, Publisher publisher, boolean echo) {
        MatchResult match = index.match(message.subject());
        if (match.isEmpty()) {
            return 0;
        }
        int delivered = 0;
        RouteFanout fanout = null;
        List<Subscription> last = null;
        for (Subscription sub : match.plain()) {
            Subscriber receiver = sub.subscriber();
            if (receiver instanceof RouteTarget route) {
                fanout = RouteFanout.add(fanout, route, null);
            } else if (receiver.countsOthers()) {
                if (last == null) {
                    last = new ArrayList<>(1);
                }
                last.add(sub);
            } else if ((echo || receiver != publisher) && deliver(sub, message, publisher)) {
                delivered++;
            }
        }
        for (Subscription[] group : match.queueGroups()) {
            if (deliverToLocalMember(group, message, publisher, echo, false)) {
                delivered++;
                continue;
            }
            RouteTarget route = randomRouteMember(group);
            if (route != null) {
                fanout = RouteFanout.add(fanout, route, group[0].queue());
            }
        }
        if (fanout != null) {
            delivered += fanout.send(message);
        }
        if (last != null) {
            int others = delivered;
            for (Subscription sub : last) {
                // internal subscriptions, never limited by an UNSUB max
                if ((echo || sub.subscriber() != publisher) && sub.subscriber().deliverAfter(sub, message, others)) {
                    delivered++;
                }
            }
        }
        return delivered;
    }

    /**
     * Delivers a message that arrived over a route: to every local plain subscription and to one local member of
     * each queue group the sending node named, never to a subscriber that does not take routed messages.
     */
    public int dispatchRouted(InboundMessage message, List<String> queues, Publisher route) {
        MatchResult match = index.match(message.subject());
        int delivered = 0;
        for (Subscription sub : match.plain()) {
            Subscriber receiver = sub.subscriber();
            if (!(receiver instanceof RouteTarget) && receiver.takesRouted() && deliver(sub, message, route)) {
                delivered++;
            }
        }
        for (String queue : queues) {
            boolean served = false;
            for (Subscription[] group : match.queueGroups()) {
                if (queue.equals(group[0].queue()) && deliverToLocalMember(group, message, route, true, true)) {
                    delivered++;
                    served = true;
                }
            }
            if (!served) {
                route.queueUnserved(message, queue);
            }
        }
        return delivered;
    }

    /**
     * Delivers a message to one member of one queue group only, here or through a route (a stream publish that the
     * node it was routed to could no longer serve, sent on to the stream's new leader): no plain subscription gets
     * it again.
     *
     * @return 1 when a member took it, else 0
     */
    public int dispatchToQueue(InboundMessage message, String queue) {
        MatchResult match = index.match(message.subject());
        for (Subscription[] group : match.queueGroups()) {
            if (!queue.equals(group[0].queue())) {
                continue;
            }
            if (deliverToLocalMember(group, message, null, true, false)) {
                return 1;
            }
            RouteTarget route = randomRouteMember(group);
            if (route != null && route.current().sendRouted(message, List.of(queue))) {
                return 1;
            }
        }
        return 0;
    }

    /** Whether a queue group of this name takes the subject, here or on another node. */
    public boolean queueServed(String subject, String queue) {
        for (Subscription[] group : index.match(subject).queueGroups()) {
            if (queue.equals(group[0].queue())) {
                for (Subscription sub : group) {
                    if (sub.subscriber().isOpen()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Whether another node has interest in this literal subject: a route's peer subscribed to it. */
    public boolean routeInterest(String subject) {
        MatchResult match = index.match(subject);
        for (Subscription sub : match.plain()) {
            if (sub.subscriber() instanceof RouteTarget && sub.subscriber().isOpen()) {
                return true;
            }
        }
        for (Subscription[] group : match.queueGroups()) {
            for (Subscription sub : group) {
                if (sub.subscriber() instanceof RouteTarget && sub.subscriber().isOpen()) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean deliverToLocalMember(Subscription[] group, InboundMessage message, Publisher publisher,
                                         boolean echo, boolean routed) {
        int n = group.length;
        int start = n == 1 ? 0 : ThreadLocalRandom.current().nextInt(n);
        for (int i = 0; i < n; i++) {
            Subscription sub = group[(start + i) % n];
            Subscriber receiver = sub.subscriber();
            if (receiver instanceof RouteTarget || (!echo && receiver == publisher)
                    || (routed && !receiver.takesRouted())) {
                continue;
            }
            if (receiver.isOpen() && deliver(sub, message, publisher)) {
                return true;
            }
        }
        return false;
    }

    private static RouteTarget randomRouteMember(Subscription[] group) {
        RouteTarget chosen = null;
        int seen = 0;
        for (Subscription sub : group) {
            if (sub.subscriber() instanceof RouteTarget route && sub.subscriber().isOpen()) {
                // reservoir sampling: each remote member equally likely, no allocation
                seen++;
                if (ThreadLocalRandom.current().nextInt(seen) == 0) {
                    chosen = route;
                }
            }
        }
        return chosen;
    }

    private boolean deliver(Subscription sub, InboundMessage message, Publisher publisher) {
        Subscription.Claim claim = sub.claimDelivery();
        if (claim == Subscription.Claim.EXHAUSTED) {
            return false;
        }
        Subscriber receiver = sub.subscriber();
        boolean taken = receiver.deliver(sub, message);
        if (claim == Subscription.Claim.DELIVER_LAST) {
            receiver.limitReached(sub);
        }
        if (taken && publisher != null && receiver.isCongested()) {
            publisher.stallUntilDrained(receiver);
        }
        return taken;
    }

    /** The routes one message goes to, each with the queue groups chosen for it; built only when routes match. */
    private static final class RouteFanout {
        private final List<RouteTarget> routes = new ArrayList<>(2);
        private final List<List<String>> queues = new ArrayList<>(2);

        static RouteFanout add(RouteFanout fanout, RouteTarget target, String queue) {
            RouteFanout f = fanout == null ? new RouteFanout() : fanout;
            RouteTarget route = target.current();
            int i = f.routes.indexOf(route);
            if (i < 0) {
                f.routes.add(route);
                f.queues.add(queue == null ? List.of() : new ArrayList<>(List.of(queue)));
            } else if (queue != null) {
                List<String> q = f.queues.get(i);
                if (q.isEmpty()) {
                    q = new ArrayList<>(2);
                    f.queues.set(i, q);
                }
                q.add(queue);
            }
            return f;
        }

        int send(InboundMessage message) {
            int sent = 0;
            for (int i = 0; i < routes.size(); i++) {
                if (routes.get(i).sendRouted(message, queues.get(i))) {
                    sent++;
                }
            }
            return sent;
        }
    }
}
