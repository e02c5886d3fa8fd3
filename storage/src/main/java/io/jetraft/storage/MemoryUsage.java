package io.jetraft.storage;

/**
 * The node store's native memory as RocksDB reports it: all memtables ({@code rocksdb.cur-size-all-mem-tables}), the
 * shared block cache's usage (memtables are charged to it too, through the write buffer manager) and its pinned part,
 * next to the configured budget.
 */
public record MemoryUsage(long memTableBytes, long blockCacheUsage, long blockCachePinned, long blockCacheCapacity,
                          long writeBufferBudget) {
}
