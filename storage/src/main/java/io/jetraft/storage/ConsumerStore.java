package io.jetraft.storage;

/**
 * One consumer's replicated state inside its stream (consumer state lives in the stream's Raft group): updates are
 * mutations of the stream, each with its applied index; reads return a copy.
 */
public final class ConsumerStore {

    private final StreamStore stream;
    private final String name;

    ConsumerStore(StreamStore stream, String name) {
        this.stream = stream;
        this.name = name;
    }

    public String name() {
        return name;
    }

    public StreamStore stream() {
        return stream;
    }

    /** The state, or an exception when the consumer was deleted since this handle was taken. */
    public ConsumerState state() {
        return stream.consumerState(name)
                .orElseThrow(() -> new IllegalStateException("consumer '" + name + "' no longer exists"));
    }

    /** When this replica last applied a delivery and an acknowledgement of the consumer. */
    public ConsumerActivity activity() {
        return stream.consumerActivity(name)
                .orElseThrow(() -> new IllegalStateException("consumer '" + name + "' no longer exists"));
    }

    public ConsumerConfig config() {
        return stream.consumerConfig(name)
                .orElseThrow(() -> new IllegalStateException("consumer '" + name + "' no longer exists"));
    }

    /** See {@link StreamStore#consumerDelivered}. */
    public Outcome<Void> delivered(AppliedIndex at, long dseq, long sseq, long deliveryCount, long tsNanos) {
        return stream.consumerDelivered(at, name, dseq, sseq, deliveryCount, tsNanos);
    }

    /** See {@link StreamStore#consumerDelivered(AppliedIndex, String, java.util.List)}. */
    public Outcome<Void> delivered(AppliedIndex at, java.util.List<Delivery> deliveries) {
        return stream.consumerDelivered(at, name, deliveries);
    }

    /** See {@link StreamStore#consumerAcked(AppliedIndex, String, java.util.List)}. */
    public Outcome<Boolean> acked(AppliedIndex at, java.util.List<Ack> acks) {
        return stream.consumerAcked(at, name, acks);
    }

    /** See {@link StreamStore#consumerAcked(AppliedIndex, String, long, long)}. */
    public Outcome<Boolean> acked(AppliedIndex at, long dseq, long sseq) {
        return stream.consumerAcked(at, name, dseq, sseq);
    }
}
