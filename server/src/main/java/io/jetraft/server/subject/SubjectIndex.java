package io.jetraft.server.subject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Every subscription on this node, indexed by subject token in a trie with '*' and '>' branches, so that a publish
 * finds its receivers without scanning all subscriptions. Matches are cached per literal subject; any change of
 * the index invalidates the cache by bumping a generation (readers compare it, so a stale entry is never used).
 * Thread-safe: many concurrent matchers, writers serialised.
 */
public final class SubjectIndex {

    private static final int MAX_CACHE_ENTRIES = 8192;

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Level root = new Level();
    private final ConcurrentHashMap<String, CachedMatch> cache = new ConcurrentHashMap<>();
    private volatile long generation;
    private int count;

    /**
     * Adds a subscription.
     *
     * @return false when its subject is not a valid subscription subject (nothing was added)
     */
    public boolean insert(Subscription subscription) {
        String subject = subscription.subject();
        if (!Subjects.isValidSubscriptionSubject(subject)) {
            return false;
        }
        String[] tokens = tokenize(subject);
        lock.writeLock().lock();
        try {
            Level level = root;
            Node node = null;
            for (String token : tokens) {
                node = level.nodeFor(token, true);
                if (node.next == null) {
                    node.next = new Level();
                }
                level = node.next;
            }
            node.add(subscription);
            count++;
            generation++;
        } finally {
            lock.writeLock().unlock();
        }
        return true;
    }

    /** Removes a subscription; returns false if it was not in the index. */
    public boolean remove(Subscription subscription) {
        String[] tokens = tokenize(subscription.subject());
        lock.writeLock().lock();
        try {
            Node[] path = new Node[tokens.length];
            Level[] levels = new Level[tokens.length];
            Level level = root;
            for (int i = 0; i < tokens.length; i++) {
                if (level == null) {
                    return false;
                }
                Node node = level.nodeFor(tokens[i], false);
                if (node == null) {
                    return false;
                }
                levels[i] = level;
                path[i] = node;
                level = node.next;
            }
            if (!path[tokens.length - 1].remove(subscription)) {
                return false;
            }
            // prune nodes left without subscriptions or children, deepest first
            for (int i = tokens.length - 1; i >= 0; i--) {
                Node node = path[i];
                if (!node.isEmpty() || (node.next != null && !node.next.isEmpty())) {
                    break;
                }
                levels[i].removeNode(tokens[i]);
            }
            count--;
            generation++;
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The subscriptions a message published to this literal subject reaches. */
    public MatchResult match(String subject) {
        long gen = generation;
        CachedMatch cached = cache.get(subject);
        if (cached != null && cached.generation == gen) {
            return cached.result;
        }
        String[] tokens = tokenize(subject);
        MatchResult result;
        lock.readLock().lock();
        try {
            gen = generation;
            Collector collector = new Collector();
            matchLevel(root, tokens, 0, collector);
            result = collector.result();
        } finally {
            lock.readLock().unlock();
        }
        if (cache.size() >= MAX_CACHE_ENTRIES) {
            cache.clear();
        }
        cache.put(subject, new CachedMatch(gen, result));
        return result;
    }

    /** Whether any subscription matches this literal subject. */
    public boolean hasInterest(String subject) {
        return !match(subject).isEmpty();
    }

    public int count() {
        lock.readLock().lock();
        try {
            return count;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Every subscription, for monitoring. */
    public List<Subscription> all() {
        List<Subscription> out = new ArrayList<>();
        lock.readLock().lock();
        try {
            collectAll(root, out);
        } finally {
            lock.readLock().unlock();
        }
        return out;
    }

    private static void collectAll(Level level, List<Subscription> out) {
        level.forEachNode(node -> {
            out.addAll(node.plain);
            node.queues.values().forEach(out::addAll);
            if (node.next != null) {
                collectAll(node.next, out);
            }
        });
    }

    private static void matchLevel(Level level, String[] tokens, int index, Collector collector) {
        boolean last = index == tokens.length - 1;
        if (level.fullWildcard != null) {
            collector.addAll(level.fullWildcard);
        }
        if (level.singleWildcard != null) {
            Node node = level.singleWildcard;
            if (last) {
                collector.addAll(node);
            } else if (node.next != null) {
                matchLevel(node.next, tokens, index + 1, collector);
            }
        }
        Node node = level.literal.get(tokens[index]);
        if (node != null) {
            if (last) {
                collector.addAll(node);
            } else if (node.next != null) {
                matchLevel(node.next, tokens, index + 1, collector);
            }
        }
    }

    static String[] tokenize(String subject) {
        int tokens = 1;
        for (int i = 0; i < subject.length(); i++) {
            if (subject.charAt(i) == '.') {
                tokens++;
            }
        }
        String[] out = new String[tokens];
        int start = 0;
        int t = 0;
        for (int i = 0; i < subject.length(); i++) {
            if (subject.charAt(i) == '.') {
                out[t++] = subject.substring(start, i);
                start = i + 1;
            }
        }
        out[t] = subject.substring(start);
        return out;
    }

    private record CachedMatch(long generation, MatchResult result) {
    }

    /** One level of the trie: literal tokens plus the two wildcard branches. */
    private static final class Level {
        final HashMap<String, Node> literal = new HashMap<>();
        Node singleWildcard;
        Node fullWildcard;

        Node nodeFor(String token, boolean create) {
            if (token.length() == 1 && token.charAt(0) == '*') {
                if (singleWildcard == null && create) {
                    singleWildcard = new Node();
                }
                return singleWildcard;
            }
            if (token.length() == 1 && token.charAt(0) == '>') {
                if (fullWildcard == null && create) {
                    fullWildcard = new Node();
                }
                return fullWildcard;
            }
            return create ? literal.computeIfAbsent(token, k -> new Node()) : literal.get(token);
        }

        void removeNode(String token) {
            if (token.equals("*")) {
                singleWildcard = null;
            } else if (token.equals(">")) {
                fullWildcard = null;
            } else {
                literal.remove(token);
            }
        }

        boolean isEmpty() {
            return literal.isEmpty() && singleWildcard == null && fullWildcard == null;
        }

        void forEachNode(java.util.function.Consumer<Node> action) {
            literal.values().forEach(action);
            if (singleWildcard != null) {
                action.accept(singleWildcard);
            }
            if (fullWildcard != null) {
                action.accept(fullWildcard);
            }
        }
    }

    /** The subscriptions whose subject ends at this trie position. */
    private static final class Node {
        Level next;
        final ArrayList<Subscription> plain = new ArrayList<>(2);
        final LinkedHashMap<String, ArrayList<Subscription>> queues = new LinkedHashMap<>(2);

        void add(Subscription subscription) {
            if (subscription.queue() == null) {
                plain.add(subscription);
            } else {
                queues.computeIfAbsent(subscription.queue(), q -> new ArrayList<>(2)).add(subscription);
            }
        }

        boolean remove(Subscription subscription) {
            if (subscription.queue() == null) {
                return plain.remove(subscription);
            }
            ArrayList<Subscription> members = queues.get(subscription.queue());
            if (members == null || !members.remove(subscription)) {
                return false;
            }
            if (members.isEmpty()) {
                queues.remove(subscription.queue());
            }
            return true;
        }

        boolean isEmpty() {
            return plain.isEmpty() && queues.isEmpty();
        }
    }

    /** Gathers one match; queue members of the same group name under different subjects are merged. */
    private static final class Collector {
        private final ArrayList<Subscription> plain = new ArrayList<>();
        private Map<String, List<Subscription>> queues;

        void addAll(Node node) {
            plain.addAll(node.plain);
            if (!node.queues.isEmpty()) {
                if (queues == null) {
                    queues = new LinkedHashMap<>();
                }
                node.queues.forEach((name, members) ->
                        queues.computeIfAbsent(name, k -> new ArrayList<>()).addAll(members));
            }
        }

        MatchResult result() {
            if (plain.isEmpty() && queues == null) {
                return MatchResult.EMPTY;
            }
            Subscription[][] groups;
            if (queues == null) {
                groups = MatchResult.EMPTY.queueGroups();
            } else {
                groups = new Subscription[queues.size()][];
                int i = 0;
                for (List<Subscription> members : queues.values()) {
                    groups[i++] = members.toArray(new Subscription[0]);
                }
            }
            return new MatchResult(plain.toArray(new Subscription[0]), groups);
        }
    }
}
