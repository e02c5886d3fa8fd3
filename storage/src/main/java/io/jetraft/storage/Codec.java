package io.jetraft.storage;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Value encodings (big-endian, each record type with a leading version byte where it may grow). */
final class Codec {

    private static final byte V1 = 1;

    private Codec() {
    }

    // ---- messages

    static byte[] message(byte[] subject, byte[] headers, byte[] payload, long ts) {
        ByteBuffer b = ByteBuffer.allocate(8 + 2 + subject.length + 4 + headers.length + payload.length);
        b.putLong(ts).putShort((short) subject.length).put(subject).putInt(headers.length).put(headers).put(payload);
        return b.array();
    }

    static StoredMessage decodeMessage(long seq, byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v);
        long ts = b.getLong();
        int sl = Short.toUnsignedInt(b.getShort());
        String subject = new String(v, 10, sl, StandardCharsets.UTF_8);
        b.position(10 + sl);
        int hl = b.getInt();
        byte[] hdr = new byte[hl];
        b.get(hdr);
        byte[] payload = new byte[b.remaining()];
        b.get(payload);
        return new StoredMessage(seq, subject, hdr, payload, ts);
    }

    /** Just what removal needs: subject, timestamp and the JetStream byte size, without copying the payload. */
    record MessageHead(String subject, long ts, long size) {
    }

    static MessageHead decodeHead(byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v);
        long ts = b.getLong();
        int sl = Short.toUnsignedInt(b.getShort());
        String subject = new String(v, 10, sl, StandardCharsets.UTF_8);
        b.position(10 + sl);
        int hl = b.getInt();
        int pl = v.length - (14 + sl + hl);
        return new MessageHead(subject, ts, Counters.messageSize(sl, hl, pl));
    }

    // ---- counters, applied index

    static byte[] counters(Counters c) {
        return ByteBuffer.allocate(1 + 7 * 8).put(V1).putLong(c.first).putLong(c.last).putLong(c.msgs)
                .putLong(c.bytes).putLong(c.firstTs).putLong(c.lastTs).putLong(c.numSubjects).array();
    }

    static Counters decodeCounters(byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v);
        b.get();
        Counters c = new Counters();
        c.first = b.getLong();
        c.last = b.getLong();
        c.msgs = b.getLong();
        c.bytes = b.getLong();
        c.firstTs = b.getLong();
        c.lastTs = b.getLong();
        c.numSubjects = b.getLong();
        return c;
    }

    /** term, index (and, when not 0, the position within the entry: a u32 more). */
    static byte[] applied(AppliedIndex a) {
        if (a.sub() == 0) {
            return ByteBuffer.allocate(16).putLong(a.term()).putLong(a.index()).array();
        }
        return ByteBuffer.allocate(20).putLong(a.term()).putLong(a.index()).putInt(a.sub()).array();
    }

    static AppliedIndex decodeApplied(byte[] v) {
        if (v == null) {
            return AppliedIndex.NONE;
        }
        ByteBuffer b = ByteBuffer.wrap(v);
        return new AppliedIndex(b.getLong(), b.getLong(), b.remaining() >= 4 ? b.getInt() : 0);
    }

    // ---- stream name and limits

    record NamedLimits(String name, StreamLimits limits) {
    }

    static byte[] streamConfig(String name, StreamLimits l) {
        return write(out -> {
            out.writeByte(V1);
            out.writeUTF(name);
            out.writeByte(l.retention().ordinal());
            out.writeByte(l.discard().ordinal());
            out.writeLong(l.maxMsgs());
            out.writeLong(l.maxBytes());
            out.writeLong(l.maxAge().toNanos());
            out.writeLong(l.maxMsgsPerSubject());
            out.writeInt(l.maxMsgSize());
            out.writeLong(l.duplicateWindow().toNanos());
            out.writeBoolean(l.discardNewPerSubject());
        });
    }

    static NamedLimits decodeStreamConfig(byte[] v) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(v))) {
            in.readByte();
            String name = in.readUTF();
            StreamLimits.Retention r = StreamLimits.Retention.values()[in.readByte()];
            StreamLimits.Discard d = StreamLimits.Discard.values()[in.readByte()];
            long maxMsgs = in.readLong();
            long maxBytes = in.readLong();
            Duration maxAge = Duration.ofNanos(in.readLong());
            long maxPer = in.readLong();
            int maxSize = in.readInt();
            Duration window = Duration.ofNanos(in.readLong());
            boolean newPer = in.readBoolean();
            return new NamedLimits(name,
                    new StreamLimits(r, d, maxMsgs, maxBytes, maxAge, maxPer, maxSize, window, newPer));
        } catch (IOException e) {
            throw new StoreException("stream configuration record is damaged", e);
        }
    }

    // ---- consumers

    static byte[] consumer(ConsumerConfig cfg, ConsumerState.SequencePair delivered,
                           ConsumerState.SequencePair ackFloor) {
        return write(out -> {
            out.writeByte(V1);
            out.writeByte(cfg.ackPolicy().ordinal());
            out.writeInt(cfg.maxDeliver());
            out.writeInt(cfg.filterSubjects().size());
            for (String f : cfg.filterSubjects()) {
                out.writeUTF(f);
            }
            out.writeLong(delivered.consumerSeq());
            out.writeLong(delivered.streamSeq());
            out.writeLong(ackFloor.consumerSeq());
            out.writeLong(ackFloor.streamSeq());
        });
    }

    record ConsumerRecord(ConsumerConfig config, ConsumerState.SequencePair delivered,
                          ConsumerState.SequencePair ackFloor) {
    }

    static ConsumerRecord decodeConsumer(byte[] v) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(v))) {
            in.readByte();
            ConsumerConfig.AckPolicy ack = ConsumerConfig.AckPolicy.values()[in.readByte()];
            int maxDeliver = in.readInt();
            int n = in.readInt();
            List<String> filters = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                filters.add(in.readUTF());
            }
            var delivered = new ConsumerState.SequencePair(in.readLong(), in.readLong());
            var floor = new ConsumerState.SequencePair(in.readLong(), in.readLong());
            return new ConsumerRecord(new ConsumerConfig(ack, maxDeliver, filters), delivered, floor);
        } catch (IOException e) {
            throw new StoreException("consumer record is damaged", e);
        }
    }

    static byte[] pending(ConsumerState.Pending p) {
        return ByteBuffer.allocate(16).putLong(p.consumerSeq()).putLong(p.timestampNanos()).array();
    }

    static ConsumerState.Pending decodePending(byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v);
        return new ConsumerState.Pending(b.getLong(), b.getLong());
    }

    // ---- de-duplication

    static byte[] dedupe(long seq, long ts) {
        return ByteBuffer.allocate(16).putLong(seq).putLong(ts).array();
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] write(Writer w) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            w.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
