package io.jetraft.storage;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one owner of a node store's long-lived RocksDB objects: closes them in reverse order of opening. It also
 * counts every native object the storage module holds (long-lived ones here, short-lived scans and batches through
 * {@link #opened()}/{@link #closed()}), so that tests can prove that nothing leaks across open/close cycles.
 */
final class NativeResources implements AutoCloseable {

    private static final AtomicLong LIVE = new AtomicLong();

    private record Owned(String what, AutoCloseable resource) {
    }

    private final Deque<Owned> owned = new ArrayDeque<>();

    <T extends AutoCloseable> T own(String what, T resource) {
        owned.push(new Owned(what, resource));
        LIVE.incrementAndGet();
        return resource;
    }

    static void opened() {
        LIVE.incrementAndGet();
    }

    static void closed() {
        LIVE.decrementAndGet();
    }

    static long live() {
        return LIVE.get();
    }

    @Override
    public void close() {
        StoreException failure = null;
        while (!owned.isEmpty()) {
            Owned o = owned.pop();
            try {
                o.resource().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new StoreException("closing " + o.what() + " failed: " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            } finally {
                LIVE.decrementAndGet();
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
