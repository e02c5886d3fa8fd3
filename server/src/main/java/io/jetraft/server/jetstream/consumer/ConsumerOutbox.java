package io.jetraft.server.jetstream.consumer;

import io.jetraft.storage.Delivery;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a consumer's engine sends what it decides: messages and status notices to clients, and the state changes
 * every replica must apply (through the stream's Raft group).
 */
public interface ConsumerOutbox {

    /**
     * Delivers a stored message: routed to {@code to} (a pull request's inbox or the deliver subject), shown to the
     * client with its stored subject, with the ack subject as reply.
     */
    void deliver(String to, String storedSubject, String ackReply, byte[] headers, byte[] data);

    /** A headers-only status message (404, 408, 409, 100) to a subject, optionally with a reply. */
    void status(String to, String reply, String headerBlock);

    /** An empty reply, e.g. to an acknowledgement that asked for one. */
    void reply(String to);

    /** Whether anyone listens on a subject (a push consumer delivers only when someone does). */
    boolean hasInterest(String subject);

    /**
     * Replicates deliveries, in order, as one entry: everything one pull request or one push round handed out (each:
     * dseq carried sseq for the dc-th time; the time is the leader's when the entry is proposed).
     */
    CompletableFuture<Void> proposeDelivered(List<Delivery> deliveries);

    /** Replicates an acknowledgement (dseq/sseq as acknowledged, or the ack floor for ack-all). */
    CompletableFuture<Void> proposeAcked(long dseq, long sseq);
}
