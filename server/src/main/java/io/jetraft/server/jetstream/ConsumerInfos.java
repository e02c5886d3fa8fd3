package io.jetraft.server.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.raft.ConsumerAssignment;
import io.jetraft.server.jetstream.consumer.ConsumerEngine;
import io.jetraft.server.jetstream.consumer.DeliveryRules;
import io.jetraft.server.jetstream.consumer.StreamStoreSource;
import io.jetraft.server.util.GoTimes;
import io.jetraft.storage.ConsumerActivity;
import io.jetraft.storage.ConsumerState;
import io.jetraft.storage.ConsumerStore;
import io.jetraft.storage.StreamStore;

/**
 * nats-server's ConsumerInfo ({@code $JS.API.CONSUMER.INFO}, /jsz's {@code consumer_detail}): on the stream's
 * leader from the consumer's engine, elsewhere from the replicated state, as each nats-server node shows its own.
 */
final class ConsumerInfos {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConsumerInfos() {
    }

    /** Where a consumer has got to; times in ns since the epoch, 0 when not known. */
    record Progress(long deliveredConsumerSeq, long deliveredStreamSeq, long ackFloorConsumerSeq,
                    long ackFloorStreamSeq, long numAckPending, long numRedelivered, long numWaiting, long numPending,
                    long lastDeliveredNanos, long lastAckedNanos) {

        /** On the stream's leader: the engine knows the waiting pull requests and what is still to deliver. */
        static Progress of(ConsumerEngine.Snapshot s, ConsumerActivity a) {
            return new Progress(s.deliveredConsumerSeq(), s.deliveredStreamSeq(), s.ackFloorConsumerSeq(),
                    s.ackFloorStreamSeq(), s.numAckPending(), s.numRedelivered(), s.numWaiting(), s.numPending(),
                    a.lastDeliveredNanos(), a.lastAckedNanos());
        }

        /**
         * On a replica that does not lead the stream: the replicated state; no pull request waits here (as on a
         * nats-server follower), and what is left to deliver is counted from this copy of the stream.
         */
        static Progress of(ConsumerStore consumer, StreamStore stream, JsonNode config, String streamName) {
            ConsumerState st = consumer.state();
            ConsumerActivity a = consumer.activity();
            DeliveryRules rules = DeliveryRules.fromConfig(streamName, consumer.name(), config);
            StreamStoreSource source = new StreamStoreSource(stream);
            long pending;
            if (st.delivered().consumerSeq() == 0
                    && rules.deliverPolicy() == DeliveryRules.DeliverPolicy.LAST_PER_SUBJECT) {
                // as the engine starts: the last message of each subject (it counted every message, and jnats's
                // KeyValue.keys() then waited its whole 2 s timeout for the ones that never came)
                pending = source.lastPerSubject(rules.filters()).size();
            } else if (st.delivered().consumerSeq() == 0
                    && rules.deliverPolicy() == DeliveryRules.DeliverPolicy.BY_START_TIME) {
                pending = source.pendingAfter(rules.filters(), Math.max(st.delivered().streamSeq(),
                        source.firstSeqAtOrAfter(rules.optStartTimeNanos()) - 1));
            } else {
                pending = source.pendingAfter(rules.filters(), st.delivered().streamSeq());
            }
            return new Progress(st.delivered().consumerSeq(), st.delivered().streamSeq(),
                    st.ackFloor().consumerSeq(), st.ackFloor().streamSeq(), st.pending().size(),
                    st.redelivered().size(), 0, pending, a.lastDeliveredNanos(), a.lastAckedNanos());
        }
    }

    /** The ConsumerInfo fields, in nats-server's order; {@code config} is left out when null. */
    static ObjectNode info(JetStreamService js, String stream, ConsumerAssignment ca, JsonNode config,
                           JsonNode deliverConfig, Progress p) {
        ObjectNode info = JSON.createObjectNode();
        info.put("stream_name", stream);
        info.put("name", ca.name());
        info.put("created", GoTimes.rfc3339Nano(ca.created()));
        if (config != null) {
            info.set("config", config);
        }
        info.set("delivered", sequence(p.deliveredConsumerSeq(), p.deliveredStreamSeq(), p.lastDeliveredNanos()));
        info.set("ack_floor", sequence(p.ackFloorConsumerSeq(), p.ackFloorStreamSeq(), p.lastAckedNanos()));
        info.put("num_ack_pending", p.numAckPending());
        info.put("num_redelivered", p.numRedelivered());
        info.put("num_waiting", p.numWaiting());
        info.put("num_pending", p.numPending());
        if (js.clustered()) {
            // a consumer's state lives in its stream's group: its leader and replicas are the stream's
            info.set("cluster", ClusterInfos.of(js, stream));
        }
        String deliverSubject = deliverConfig.path("deliver_subject").asText("");
        if (!deliverSubject.isEmpty() && js.hasInterest(deliverSubject)) {
            info.put("push_bound", true);
        }
        return info;
    }

    /** SequenceInfo: {@code last_active} only once there was such activity, as nats-server omits it. */
    private static ObjectNode sequence(long consumerSeq, long streamSeq, long lastNanos) {
        ObjectNode o = JSON.createObjectNode();
        o.put("consumer_seq", consumerSeq);
        o.put("stream_seq", streamSeq);
        if (lastNanos > 0) {
            o.put("last_active", GoTimes.rfc3339Nano(lastNanos));
        }
        return o;
    }
}
