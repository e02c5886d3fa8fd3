/**
 * The jetraft message store: JetStream streams and consumers on one RocksDB per node. Nothing here knows about Raft
 * or the NATS protocol; the Raft layer calls it from its state machines.
 *
 * <h2>API</h2>
 * <ul>
 *   <li>{@link io.jetraft.storage.NodeStore} — one per node: {@code open(StoreOptions)} /
 *       {@code close()}; {@code createStream(name, StreamLimits)}, {@code stream(name)}, {@code streamNames()},
 *       {@code deleteStream(name)}; {@code exportStream(name, file)} / {@code restoreStream(name, file)} (one
 *       stream's snapshot, verified by SHA-256 before anything changes); {@code flushWal(sync)} (for Raft
 *       takeSnapshot); {@code memoryUsage()}.</li>
 *   <li>{@link io.jetraft.storage.StreamStore} — one stream. Mutations take the Raft
 *       {@link io.jetraft.storage.AppliedIndex} they apply and are one atomic RocksDB write that also records it:
 *       {@code append}, {@code appendBatch} (several messages of one Raft entry), {@code deleteMessage},
 *       {@code purge}, {@code removeExpired(at, now)}, {@code updateLimits},
 *       {@code recordApplied}, {@code createConsumer}, {@code deleteConsumer}, {@code consumerDelivered},
 *       {@code consumerAcked}. Reads: {@code message(seq)}, {@code lastMessage(filter)},
 *       {@code nextMessage(filter, fromSeq)}, {@code state()}, {@code subjectCounts(filter)},
 *       {@code expiredSequences(now, max)}, {@code nextExpiryNanos()}, {@code duplicateOf(id, now)},
 *       {@code appliedIndex()}, {@code consumer(name)}.</li>
 *   <li>{@link io.jetraft.storage.MetaRecords} — {@code NodeStore.metaRecords()}: the Raft meta group's
 *       records (opaque bytes by key) and applied index, written together: {@code apply(at, puts, deletes)},
 *       {@code replaceAll(at, records)} (snapshot install), {@code records()}, {@code appliedIndex()}.</li>
 *   <li>{@link io.jetraft.storage.ConsumerStore} — one consumer's state (delivered, ack floor, pending,
 *       redelivered) and its updates.</li>
 * </ul>
 *
 * <h2>Contracts</h2>
 * <ul>
 *   <li><b>Results, not exceptions.</b> A mutation returns an {@link io.jetraft.storage.Outcome}: {@code Done},
 *       {@code Rejected} with the JetStream error nats-server gives ({@link io.jetraft.storage.JsError}: code,
 *       err_code, description), or {@code Skipped} when its index is not newer than the recorded one (a replayed
 *       entry changes nothing). A rejected entry still records its index. Exceptions
 *       ({@link io.jetraft.storage.StoreException}) mean the store itself failed.</li>
 *   <li><b>Determinism.</b> Time is an argument (message timestamps, {@code now} for expiry and the duplicate
 *       window), never read from the clock inside a mutation, so every replica makes the same changes.</li>
 *   <li><b>Crash consistency.</b> The WAL is always on; after a crash the store is exactly as of some recorded
 *       applied index. {@code StoreOptions.syncWrites} fsyncs every write (single node, no Raft log).</li>
 *   <li><b>Threads.</b> Blocking (disk) calls: never on an event loop. One writer per stream (the Raft apply
 *       thread; mutations are serialised by a per-stream lock); reads from any thread. {@code NodeStore.close()}
 *       waits for mutations in flight and then refuses further use; its owner stops the readers first.</li>
 *   <li><b>Memory.</b> One RocksDB, column families {@code msgs}, {@code index}, {@code meta}; one LRU block
 *       cache ({@code block_cache_size}) to which the write buffer manager ({@code write_buffer_size}) charges all
 *       memtables; streams cost keys, not memtables. See {@link io.jetraft.storage.Keys} for the key layout.</li>
 * </ul>
 */
package io.jetraft.storage;
