package io.jetraft.storage;

import org.rocksdb.AbstractWriteBatch;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Snapshot;
import org.rocksdb.StatsLevel;
import org.rocksdb.Statistics;
import org.rocksdb.TickerType;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBatchWithIndex;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The node's one RocksDB: all streams of this node in a few column families, one shared LRU block cache and one
 * write buffer manager (the memory budget), one owner that closes every native object in reverse order of opening.
 * Streams are created, found, deleted, exported and restored by name; each has a numeric id, never reused, that
 * prefixes all of its keys.
 *
 * <p>Thread-safety: catalog operations (create, delete, export, restore) are serialised on the {@link StreamCatalog};
 * each {@link StreamStore} has its own writer lock; reads are concurrent.
 */
public final class NodeStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeStore.class);

    /** The store format this build writes and the newest it reads. */
    public static final int FORMAT_VERSION = 2;
    /** The format of stores written with one Raft group per stream (before stream groups): never read. */
    static final int FORMAT_ONE_GROUP_PER_STREAM = 1;

    static final String CF_MSGS = "msgs";
    static final String CF_INDEX = "index";
    static final String CF_META = "meta";
    private static final List<String> COLUMN_FAMILIES = List.of("default", CF_MSGS, CF_INDEX, CF_META);
    static final String RESTORE_DIR = "restore-tmp";

    static {
        RocksDB.loadLibrary();
    }

    private final StoreOptions options;
    private final NativeResources natives;
    private final RocksDB db;
    private final ColumnFamilyHandle msgs;
    private final ColumnFamilyHandle index;
    private final ColumnFamilyHandle meta;
    private final WriteOptions writeOptions;
    private final WriteOptions syncWriteOptions;
    private final ReadOptions readOptions;
    private final LRUCache cache;
    private final Statistics statistics;
    private final StreamCatalog catalog = new StreamCatalog(this);
    private final MetaRecords metaRecords;
    private volatile boolean closed;
    /**
     * Reclaims deleted streams' space off the caller's thread (a delete is applied on a group's Raft apply thread,
     * and compacting a range flushes memtables: hundreds of ms that every stream of the group would wait for).
     * Stream ids are never reused, so compacting a deleted id's range races with no write.
     */
    private final ExecutorService reclaimer = Executors
            .newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "jetraft-store-reclaim");
                t.setDaemon(true);
                return t;
            });
    private final ConcurrentLinkedQueue<Long> toReclaim =
            new ConcurrentLinkedQueue<>();
    private final CompactRangeOptions reclaimOptions;
    /** Tests only: runs after a restore's files are ingested and before it is switched in. */
    volatile Runnable restoreFault = () -> { };

    private NodeStore(StoreOptions options, NativeResources natives, RocksDB db, List<ColumnFamilyHandle> cfs,
                      WriteOptions writeOptions, WriteOptions syncWriteOptions, ReadOptions readOptions,
                      LRUCache cache, Statistics statistics) {
        this.options = options;
        this.natives = natives;
        this.db = db;
        this.msgs = cfs.get(1);
        this.index = cfs.get(2);
        this.meta = cfs.get(3);
        this.writeOptions = writeOptions;
        this.syncWriteOptions = syncWriteOptions;
        this.readOptions = readOptions;
        this.cache = cache;
        this.statistics = statistics;
        this.reclaimOptions = natives.own("reclaim compaction options", new CompactRangeOptions());
        this.metaRecords = new MetaRecords(this);
    }

    /**
     * Opens (creating if needed) the store in {@code options.directory()}.
     *
     * @throws StoreLockedException when another process holds the store
     * @throws StoreFormatException when the store was written by a newer jetraft
     * @throws StoreException when the directory cannot be created or opened
     */
    public static NodeStore open(StoreOptions options) {
        return open(options, null);
    }

    /**
     * Opens, read-only, a store another process has open and goes on writing: RocksDB's secondary instance, which
     * sees what the owner had written (its write-ahead log included) when this call ran, and takes no lock. For
     * checking a running node's replicas from outside, as the rolling-restart drill does; every write fails.
     *
     * @param workDir a directory of this reader's own (RocksDB keeps its info log there)
     * @throws StoreException when there is no store in {@code options.directory()}
     */
    public static NodeStore openSecondary(StoreOptions options, Path workDir) {
        if (!Files.exists(options.directory().resolve("CURRENT"))) {
            throw new StoreException("there is no store in " + options.directory().toAbsolutePath());
        }
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new StoreException("cannot create " + workDir + ": " + e.getMessage(), e);
        }
        return open(options, workDir.toAbsolutePath());
    }

    private static NodeStore open(StoreOptions options, Path secondaryDir) {
        boolean secondary = secondaryDir != null;
        long started = System.nanoTime();
        Path dir = options.directory().toAbsolutePath();
        if (!secondary) {
            prepareDirectory(dir);
        }
        NativeResources natives = new NativeResources();
        try {
            long cacheBytes = options.blockCacheSize().bytes();
            long wbBytes = options.writeBufferSize().bytes();
            LRUCache cache = natives.own("block cache", new LRUCache(cacheBytes));
            // memtables are charged to the block cache, and writes stall briefly (until a flush) rather than let all
            // memtables together grow past the budget
            WriteBufferManager wbm = natives.own("write buffer manager",
                    new WriteBufferManager(wbBytes, cache, true));
            BloomFilter bloom = natives.own("bloom filter", new BloomFilter(10));
            BlockBasedTableConfig table = new BlockBasedTableConfig()
                    .setBlockCache(cache)
                    .setFilterPolicy(bloom)
                    .setCacheIndexAndFilterBlocks(true)
                    .setPinL0FilterAndIndexBlocksInCache(true)
                    .setBlockSize(16 * 1024);
            // a column family's memtable may use up to half the budget; the manager flushes when all together
            // pass it, so the sum stays bounded however many streams there are
            long perCf = Math.max(256 * 1024, Math.min(64L * 1024 * 1024, wbBytes / 2));
            ColumnFamilyOptions cfOptions = natives.own("column family options", new ColumnFamilyOptions()
                    .setTableFormatConfig(table)
                    .setWriteBufferSize(perCf)
                    .setMaxWriteBufferNumber(3)
                    .setCompressionType(CompressionType.LZ4_COMPRESSION)
                    .setBottommostCompressionType(CompressionType.ZSTD_COMPRESSION)
                    .setLevelCompactionDynamicLevelBytes(true));
            Statistics statistics = natives.own("statistics", new Statistics());
            statistics.setStatsLevel(StatsLevel.EXCEPT_DETAILED_TIMERS);
            DBOptions dbOptions = natives.own("db options", new DBOptions()
                    .setStatistics(statistics)
                    .setCreateIfMissing(true)
                    .setCreateMissingColumnFamilies(true)
                    .setWriteBufferManager(wbm)
                    .setMaxBackgroundJobs(2)
                    .setBytesPerSync(1024 * 1024)
                    .setKeepLogFileNum(5));
            if (secondary) {
                // a secondary instance must keep every file open: the owner may delete them meanwhile
                dbOptions.setCreateIfMissing(false).setCreateMissingColumnFamilies(false).setMaxOpenFiles(-1);
            }
            WriteOptions writeOptions = natives.own("write options",
                    new WriteOptions().setSync(options.syncWrites()));
            WriteOptions syncWrites = natives.own("sync write options", new WriteOptions().setSync(true));
            ReadOptions readOptions = natives.own("read options", new ReadOptions());

            if (!secondary) {
                refuseUnknownColumnFamilies(dir);
            }
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            for (String name : COLUMN_FAMILIES) {
                descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), cfOptions));
            }
            List<ColumnFamilyHandle> cfs = new ArrayList<>();
            RocksDB db;
            try {
                db = secondary
                        ? RocksDB.openAsSecondary(dbOptions, dir.toString(), secondaryDir.toString(), descriptors, cfs)
                        : RocksDB.open(dbOptions, dir.toString(), descriptors, cfs);
            } catch (RocksDBException e) {
                throw openFailure(dir, e);
            }
            RocksDB opened = db;
            natives.own("database", () -> {
                opened.cancelAllBackgroundWork(true);
                opened.closeE();
            });
            for (int i = 0; i < cfs.size(); i++) {
                natives.own("column family " + COLUMN_FAMILIES.get(i), cfs.get(i));
            }
            NodeStore store = new NodeStore(options, natives, db, cfs, writeOptions, syncWrites, readOptions, cache,
                    statistics);
            if (secondary) {
                store.checkFormatReadOnly(dir);
                store.catalog.load();
                LOG.info("Opened store {} read-only as a secondary ({} streams) in {} ms", dir, store.catalog.size(),
                        (System.nanoTime() - started) / 1_000_000);
                return store;
            }
            store.checkFormat(dir);
            store.catalog.load();
            store.dropAbandonedRestores(dir);
            LOG.info("Opened store {} ({} streams, block cache {}, write buffers {}, sync writes {}) in {} ms", dir,
                    store.catalog.size(), options.blockCacheSize(), options.writeBufferSize(), options.syncWrites(),
                    (System.nanoTime() - started) / 1_000_000);
            return store;
        } catch (RuntimeException e) {
            try {
                natives.close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private static void prepareDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (FileSystemException e) {
            throw new StoreException("cannot create the store directory " + dir + ": " + describe(e)
                    + "; set jetstream { store_dir } to a writable directory", e);
        } catch (IOException e) {
            throw new StoreException("cannot create the store directory " + dir + ": " + e.getMessage(), e);
        }
        if (!Files.isDirectory(dir)) {
            throw new StoreException("the store directory " + dir + " is not a directory");
        }
        if (!Files.isWritable(dir)) {
            throw new StoreException("the store directory " + dir + " is not writable by this process");
        }
    }

    private static String describe(FileSystemException e) {
        String reason = e.getReason() == null ? e.getClass().getSimpleName() : e.getReason();
        return e.getFile() + ": " + reason;
    }

    private static StoreException openFailure(Path dir, RocksDBException e) {
        String msg = String.valueOf(e.getMessage());
        if (msg.toLowerCase().contains("lock")) {
            return new StoreLockedException("the store directory " + dir + " is locked: another jetraft process may "
                    + "be using it (stop it, or give this one another jetstream { store_dir }); RocksDB said: " + msg,
                    e);
        }
        return new StoreException("cannot open the store in " + dir + ": " + msg, e);
    }

    private static void refuseUnknownColumnFamilies(Path dir) {
        if (!Files.exists(dir.resolve("CURRENT"))) {
            return;
        }
        try (Options o = new Options()) {
            List<byte[]> existing = RocksDB.listColumnFamilies(o, dir.toString());
            for (byte[] cf : existing) {
                String name = new String(cf, StandardCharsets.UTF_8);
                if (!COLUMN_FAMILIES.contains(name)) {
                    throw new StoreFormatException("the store in " + dir + " has a column family '" + name
                            + "' this jetraft does not know: it was written by a newer jetraft; run that version or "
                            + "restore the streams from snapshots");
                }
            }
        } catch (RocksDBException e) {
            throw new StoreException("cannot read the store in " + dir + ": " + e.getMessage(), e);
        }
    }

    private void checkFormatReadOnly(Path dir) {
        if (get(meta, Keys.global(Keys.GLOBAL_FORMAT)) == null) {
            throw new StoreException("the store in " + dir + " is not initialised yet");
        }
        checkFormat(dir);
    }

    private void checkFormat(Path dir) {
        byte[] v = get(meta, Keys.global(Keys.GLOBAL_FORMAT));
        if (v == null) {
            try (WriteBatch b = new WriteBatch()) {
                b.put(meta, Keys.global(Keys.GLOBAL_FORMAT), ByteBuffer.allocate(4).putInt(FORMAT_VERSION).array());
                if (get(meta, Keys.global(Keys.GLOBAL_NEXT_SID)) == null) {
                    b.put(meta, Keys.global(Keys.GLOBAL_NEXT_SID), Keys.u64(1));
                }
                db.write(syncWriteOptions, b);
            } catch (RocksDBException e) {
                throw new StoreException("cannot initialise the store in " + dir + ": " + e.getMessage(), e);
            }
            return;
        }
        int version = ByteBuffer.wrap(v).getInt();
        if (version == FORMAT_ONE_GROUP_PER_STREAM) {
            throw new StoreFormatException("the store in " + dir + " has format version 1, written by a jetraft that "
                    + "gave every stream a Raft group of its own (before December 2026); this jetraft keeps many "
                    + "streams in each Raft group (format " + FORMAT_VERSION + ") and cannot read it. Nothing was "
                    + "changed. Either run the older jetraft on it, or move the store directory (and its raft "
                    + "directory) aside and start with an empty one, then create the streams again or restore them "
                    + "from backups");
        }
        if (version > FORMAT_VERSION) {
            throw new StoreFormatException("the store in " + dir + " has format version " + version
                    + ", written by a newer jetraft; this jetraft reads format versions up to " + FORMAT_VERSION
                    + ". Run the newer jetraft (nothing was changed), or restore the streams from snapshots");
        }
    }

    /** A restore that crashed half-way left keys under a stream id nothing points to: drop them. */
    private void dropAbandonedRestores(Path dir) {
        byte[] prefix = Keys.global(Keys.GLOBAL_RESTORING);
        List<Long> abandoned = new ArrayList<>();
        try (Scan s = Scan.prefix(db, meta, prefix).seekToFirst()) {
            for (; s.valid(); s.next()) {
                abandoned.add(Keys.trailingLong(s.key()));
            }
        }
        for (long sid : abandoned) {
            LOG.warn("Dropping the keys of an interrupted stream restore (stream id {})", sid);
            try (WriteBatch b = new WriteBatch()) {
                deleteStreamRange(b, sid);
                b.delete(meta, Keys.globalRestoring(sid));
                db.write(syncWriteOptions, b);
            } catch (RocksDBException e) {
                throw new StoreException("cannot clean up an interrupted restore in " + dir + ": " + e.getMessage(),
                        e);
            }
        }
        deleteRecursively(dir.resolve(RESTORE_DIR));
    }

    // ------------------------------------------------------------------ streams

    /**
     * Creates a stream of no group, or returns the existing one when it has the same limits (so a replayed create is
     * harmless). Refused (as a result) when the name or limits are invalid (10052) or the name is taken with other
     * limits (10058).
     */
    public Outcome<StreamStore> createStream(String name, StreamLimits limits) {
        ensureOpen();
        return catalog.createStream(name, limits);
    }

    /** The stream with this name, if this node holds it (in a group or not). */
    public Optional<StreamStore> stream(String name) {
        ensureOpen();
        return catalog.stream(name);
    }

    public List<String> streamNames() {
        ensureOpen();
        return catalog.streamNames();
    }

    /**
     * Deletes a stream with all its messages, indexes, consumers and de-duplication entries (one atomic write of
     * range deletions), then reclaims the disk space. Returns false when there was no such stream.
     */
    public boolean deleteStream(String name) {
        ensureOpen();
        return catalog.deleteStream(name);
    }

    // ------------------------------------------------------------------ stream groups

    /** The stream group {@code id}, created (empty, nothing applied) when the store has none by that id. */
    public GroupStore group(String id) {
        ensureOpen();
        return catalog.group(id);
    }

    /** Whether the store holds the stream group {@code id}. */
    public boolean hasGroup(String id) {
        ensureOpen();
        return catalog.hasGroup(id);
    }

    public List<String> groupIds() {
        ensureOpen();
        return catalog.groupIds();
    }

    /** Deletes a stream group with every stream it holds; false when there was none. */
    public boolean deleteGroup(String id) {
        ensureOpen();
        return catalog.deleteGroup(id);
    }

    Outcome<StreamStore> attach(GroupStore g, AppliedIndex at, String name, StreamLimits limits) {
        ensureOpen();
        return catalog.attach(g, at, name, limits);
    }

    Outcome<Boolean> detach(GroupStore g, AppliedIndex at, String name) {
        ensureOpen();
        return catalog.detach(g, at, name);
    }

    Outcome<Void> recordGroupApplied(GroupStore g, AppliedIndex at) {
        ensureOpen();
        return catalog.recordApplied(g, at);
    }

    List<String> streamsOf(GroupStore g) {
        ensureOpen();
        return catalog.streamsOf(g);
    }

    Optional<StreamStore> streamIn(GroupStore g, String name) {
        ensureOpen();
        return catalog.streamIn(g, name);
    }

    GroupSnapshotInfo exportGroup(GroupStore g, Path file) {
        Snapshot snapshot;
        Map<String, Long> streams = new TreeMap<>();
        synchronized (catalog) {
            ensureOpen();
            for (String name : catalog.streamsOf(g)) {
                streams.put(name, catalog.sid(name));
            }
            snapshot = db.getSnapshot();
        }
        try {
            return GroupSnapshots.export(this, g.id(), streams, snapshot, file);
        } finally {
            db.releaseSnapshot(snapshot);
            snapshot.close();
        }
    }

    GroupSnapshotInfo restoreGroup(GroupStore g, Path file) {
        synchronized (catalog) {
            ensureOpen();
            return GroupSnapshots.restore(this, catalog, g, file);
        }
    }

    void deleteStreamRange(AbstractWriteBatch b, long sid) throws RocksDBException {
        for (ColumnFamilyHandle cf : List.of(msgs, index, meta)) {
            b.deleteRange(cf, Keys.streamStart(sid), Keys.streamEnd(sid));
        }
    }

    /**
     * Drops whole SST files inside a deleted stream's range and compacts the rest of it away, in the background:
     * the range deletion is already written, so readers see nothing of the stream either way. Deletes that come
     * together are reclaimed together (one memtable flush for all of them).
     */
    void reclaim(long sid) {
        toReclaim.add(sid);
        try {
            reclaimer.execute(this::reclaimPending);
        } catch (RejectedExecutionException closing) {
            // the store is closing: RocksDB's own compactions reclaim the range later
        }
    }

    private void reclaimPending() {
        List<Long> sids = new ArrayList<>();
        for (Long sid = toReclaim.poll(); sid != null; sid = toReclaim.poll()) {
            sids.add(sid);
        }
        if (sids.isEmpty() || closed) {
            return;
        }
        long started = System.nanoTime();
        List<byte[]> ranges = new ArrayList<>();
        for (long sid : sids) {
            ranges.add(Keys.streamStart(sid));
            ranges.add(Keys.streamEnd(sid));
        }
        for (ColumnFamilyHandle cf : List.of(msgs, index, meta)) {
            try {
                db.deleteFilesInRanges(cf, ranges, false);
                for (int i = 0; i < ranges.size() && !closed; i += 2) {
                    db.compactRange(cf, ranges.get(i), ranges.get(i + 1), reclaimOptions);
                }
            } catch (RocksDBException e) {
                if (!closed) {
                    LOG.warn("Reclaiming the space of deleted stream ids {} failed (it will be reclaimed by later "
                            + "compactions): {}", sids, e.getMessage());
                }
            }
        }
        LOG.debug("Reclaimed the space of {} deleted stream(s) in {} ms", sids.size(),
                (System.nanoTime() - started) / 1_000_000);
    }

    /** Waits until the space of every stream deleted so far is reclaimed (tests, and before measuring space). */
    public void awaitReclaimed() {
        try {
            reclaimer.submit(() -> { }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | RejectedExecutionException e) {
            // closed: nothing more will be reclaimed
        }
    }

    long allocateStreamId() {
        byte[] v = get(meta, Keys.global(Keys.GLOBAL_NEXT_SID));
        return v == null ? 1 : Keys.u64(v);
    }

    static boolean isValidName(String name) {
        if (name == null || name.isEmpty() || name.length() > 255) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            if (ch == '.' || ch == '*' || ch == '>' || ch == '/' || ch == '\\' || ch == 0 || Character.isWhitespace(ch)) {
                return false;
            }
        }
        return true;
    }

    /** The cluster metadata the Raft meta group replicates, with its applied index. */
    public MetaRecords metaRecords() {
        ensureOpen();
        return metaRecords;
    }

    // ------------------------------------------------------------------ snapshots

    /**
     * Writes all keys of one stream (messages, indexes, consumers, de-duplication, limits, applied index) as of one
     * consistent RocksDB snapshot to {@code file}, with a SHA-256 over its content.
     */
    public SnapshotInfo exportStream(String name, Path file) {
        Snapshot snapshot;
        long sid;
        synchronized (catalog) {
            ensureOpen();
            sid = catalog.sid(name);
            snapshot = db.getSnapshot();
        }
        try {
            return StreamSnapshots.export(this, name, sid, snapshot, file);
        } finally {
            db.releaseSnapshot(snapshot);
            snapshot.close();
        }
    }

    /**
     * Checks a snapshot file completely (checksum and structure) without changing anything, and says what it holds.
     *
     * @throws SnapshotRejectedException when it is corrupt, truncated or not a jetraft stream snapshot
     */
    public static SnapshotInfo verifySnapshot(Path file) {
        return StreamSnapshots.inspect(file);
    }

    /**
     * Checks a stream group's snapshot file completely (checksum and structure) without changing anything.
     *
     * @throws SnapshotRejectedException when it is corrupt, truncated or not a jetraft group snapshot
     */
    public static GroupSnapshotInfo verifyGroupSnapshot(Path file) {
        return GroupSnapshots.verify(file);
    }

    /**
     * Replaces (or creates) the stream {@code name} with the content of a snapshot file. The file is verified in full
     * (checksum, format, stream name) before anything changes; the data is ingested under a fresh stream id and
     * switched in by one atomic write, so a failure at any point leaves the old copy as it was.
     *
     * @throws SnapshotRejectedException when the file is corrupt, truncated or of another stream (nothing changed)
     */
    public StreamStore restoreStream(String name, Path file) {
        synchronized (catalog) {
            ensureOpen();
            return restoreStreamLocked(name, file);
        }
    }

    private StreamStore restoreStreamLocked(String name, Path file) {
        long started = System.nanoTime();
        StreamSnapshots.Header header = StreamSnapshots.verify(file);
        if (!header.stream().equals(name)) {
            throw new SnapshotRejectedException("snapshot " + file + " holds stream '" + header.stream()
                    + "', not '" + name + "': refused, nothing changed");
        }
        long newSid = allocateStreamId();
        try (WriteBatch b = new WriteBatch()) {
            b.put(meta, Keys.global(Keys.GLOBAL_NEXT_SID), Keys.u64(newSid + 1));
            b.put(meta, Keys.globalRestoring(newSid), new byte[0]);
            db.write(syncWriteOptions, b);
        } catch (RocksDBException e) {
            throw new StoreException("cannot start restoring stream '" + name + "': " + e.getMessage(), e);
        }
        Long oldSid = catalog.stream(name).map(StreamStore::sid).orElse(null);
        try {
            StreamSnapshots.ingest(this, file, newSid);
            restoreFault.run();
            try (WriteBatch b = new WriteBatch()) {
                b.put(meta, Keys.globalStream(name), Keys.u64(newSid));
                b.delete(meta, Keys.globalRestoring(newSid));
                if (oldSid != null) {
                    deleteStreamRange(b, oldSid);
                }
                db.write(syncWriteOptions, b);
            }
        } catch (RuntimeException | RocksDBException e) {
            abandonRestore(newSid);
            if (e instanceof SnapshotRejectedException r) {
                throw r;
            }
            throw new StoreException("restoring stream '" + name + "' from " + file + " failed (the old copy is "
                    + "unchanged): " + e.getMessage(), e);
        }
        StreamStore handle = catalog.switched(name, newSid);
        if (oldSid != null) {
            reclaim(oldSid);
        }
        LOG.info("Restored stream '{}' at applied index {} from {} in {} ms", name, header.applied(), file,
                (System.nanoTime() - started) / 1_000_000);
        return handle;
    }

    private void abandonRestore(long sid) {
        try (WriteBatch b = new WriteBatch()) {
            deleteStreamRange(b, sid);
            b.delete(meta, Keys.globalRestoring(sid));
            db.write(syncWriteOptions, b);
            reclaim(sid);
        } catch (RocksDBException e) {
            LOG.warn("Cleaning up a failed restore (stream id {}) failed; it is retried at the next open: {}", sid,
                    e.getMessage());
        }
    }

    // ------------------------------------------------------------------ durability, memory

    /** Writes (and with {@code sync}, fsyncs) the WAL: what a Raft takeSnapshot needs before it returns an index. */
    public void flushWal(boolean sync) {
        ensureOpen();
        try {
            db.flushWal(sync);
        } catch (RocksDBException e) {
            throw new StoreException("flushing the store's WAL failed: " + e.getMessage(), e);
        }
    }

    /** Flushes all memtables to SST files (tests and tools; not needed for durability). */
    public void flushMemTables() {
        ensureOpen();
        try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            db.flush(fo, List.of(msgs, index, meta));
        } catch (RocksDBException e) {
            throw new StoreException("flushing the store failed: " + e.getMessage(), e);
        }
    }

    public MemoryUsage memoryUsage() {
        ensureOpen();
        try {
            long memTables = db.getAggregatedLongProperty("rocksdb.cur-size-all-mem-tables");
            return new MemoryUsage(memTables, cache.getUsage(), cache.getPinnedUsage(),
                    options.blockCacheSize().bytes(), options.writeBufferSize().bytes());
        } catch (RocksDBException e) {
            throw new StoreException("reading memory usage failed: " + e.getMessage(), e);
        }
    }

    /** Keys under a stream id that no stream uses (tests: nothing is left behind); scans everything. */
    long strayKeys() {
        Set<Long> live = catalog.liveIds();
        long stray = 0;
        for (ColumnFamilyHandle cf : List.of(msgs, index, meta)) {
            try (Scan s = Scan.of(db, cf, new byte[0], Keys.streamEnd(Long.MAX_VALUE - 1)).seekToFirst()) {
                for (; s.valid(); s.next()) {
                    long sid = ByteBuffer.wrap(s.key(), 0, 8).getLong();
                    if (sid != 0 && !live.contains(sid)) {
                        stray++;
                    }
                }
            }
        }
        return stray;
    }

    /** How many times RocksDB fsynced its WAL since this store was opened. */
    public long walSyncs() {
        ensureOpen();
        return statistics.getTickerCount(TickerType.WAL_FILE_SYNCED);
    }

    /** How many writes RocksDB took since this store was opened (tests: a Raft entry's changes are one write). */
    public long writes() {
        ensureOpen();
        return statistics.getTickerCount(TickerType.WRITE_DONE_BY_SELF)
                + statistics.getTickerCount(TickerType.WRITE_DONE_BY_OTHER);
    }

    /** Bytes of live SST files of all column families (tests: space is reclaimed after a delete). */
    public long liveSstBytes() {
        ensureOpen();
        return db.getLiveFilesMetaData().stream().mapToLong(m -> m.size()).sum();
    }

    /** Native RocksDB objects the storage module currently holds, across all stores (zero when all are closed). */
    public static long liveNativeHandles() {
        return NativeResources.live();
    }

    public StoreOptions options() {
        return options;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // a reclaim in progress stops at once (RocksDB checks the flag); later compactions finish its work
        reclaimOptions.setCanceled(true);
        reclaimer.shutdown();
        try {
            if (!reclaimer.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Reclaiming deleted streams' space did not stop within 30 s; closing the store anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (catalog) {
            catalog.closeAll();
            natives.close();
        }
        LOG.info("Closed store {}", options.directory());
    }

    // ------------------------------------------------------------------ internals for StreamStore

    RocksDB db() {
        return db;
    }

    ColumnFamilyHandle msgs() {
        return msgs;
    }

    ColumnFamilyHandle index() {
        return index;
    }

    ColumnFamilyHandle meta() {
        return meta;
    }

    ReadOptions readOptions() {
        return readOptions;
    }

    Path directory() {
        return options.directory().toAbsolutePath();
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the store " + options.directory() + " is closed");
        }
    }

    byte[] get(ColumnFamilyHandle cf, byte[] key) {
        try {
            return db.get(cf, readOptions, key);
        } catch (RocksDBException e) {
            throw new StoreException("reading the store failed: " + e.getMessage(), e);
        }
    }

    /** A catalog change: written and fsynced at once. */
    void writeSync(WriteBatch batch) throws RocksDBException {
        db.write(syncWriteOptions, batch);
    }

    void write(AbstractWriteBatch batch) {
        try {
            if (batch instanceof WriteBatchWithIndex wbwi) {
                db.write(writeOptions, wbwi);
            } else {
                db.write(writeOptions, (WriteBatch) batch);
            }
        } catch (RocksDBException e) {
            throw new StoreException("writing to the store " + options.directory() + " failed: " + e.getMessage(), e);
        }
    }

    void ingest(ColumnFamilyHandle cf, List<String> files) throws RocksDBException {
        try (org.rocksdb.IngestExternalFileOptions io = new org.rocksdb.IngestExternalFileOptions()) {
            io.setMoveFiles(true);
            db.ingestExternalFile(cf, files, io);
        }
    }

    ColumnFamilyHandle columnFamily(int id) {
        return switch (id) {
            case 1 -> msgs;
            case 2 -> index;
            case 3 -> meta;
            default -> throw new IllegalArgumentException("column family " + id);
        };
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.debug("could not delete {}: {}", p, e.getMessage());
                }
            });
        } catch (IOException e) {
            LOG.debug("could not clean {}: {}", dir, e.getMessage());
        }
    }
}
