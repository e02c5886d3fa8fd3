package io.jetraft.server.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * A view of one published message (PUB, HPUB, later RMSG) inside the connection's input buffer: subject, optional
 * reply, header and total sizes, and where the bytes start. Valid only during the call it is passed to; deliveries
 * copy what they need. One instance is reused per connection, so nothing is allocated per message but the subject.
 */
public final class InboundMessage {

    private static final byte[] NO_BYTES = new byte[0];

    private ByteBuf buffer;
    private int subjectIndex;
    private int subjectLength;
    private int replyIndex;
    private int replyLength;
    private int headerLength;
    private int totalLength;
    private int dataIndex;
    private String subject;
    private byte[] deliverAs;

    void setControl(ByteBuf buffer, int subjectIndex, int subjectLength, String subject, int replyIndex,
                    int replyLength, int headerLength, int totalLength) {
        this.buffer = buffer;
        this.subjectIndex = subjectIndex;
        this.subjectLength = subjectLength;
        this.subject = subject;
        this.replyIndex = replyIndex;
        this.replyLength = replyLength;
        this.headerLength = headerLength;
        this.totalLength = totalLength;
        this.deliverAs = null;
    }

    void setData(ByteBuf buffer, int dataIndex) {
        this.buffer = buffer;
        this.dataIndex = dataIndex;
    }

    /** Points the view at a message built outside a parser (tests, JetStream replies). */
    public static InboundMessage of(ByteBuf buffer, String subject, String reply, int headerLength) {
        InboundMessage m = new InboundMessage();
        m.reset(buffer, subject, reply, headerLength);
        return m;
    }

    /**
     * Re-points this view at a buffer laid out as {@code subject reply headers+payload}, as written by
     * {@link #layout(ByteBuf, String, String, byte[], byte[])}.
     */
    public void reset(ByteBuf buffer, String subject, String reply, int headerLength) {
        int subjectLen = subject.getBytes(StandardCharsets.UTF_8).length;
        int replyLen = reply == null ? 0 : reply.getBytes(StandardCharsets.UTF_8).length;
        int start = buffer.readerIndex();
        this.buffer = buffer;
        this.subject = subject;
        this.subjectIndex = start;
        this.subjectLength = subjectLen;
        this.replyIndex = reply == null ? -1 : start + subjectLen;
        this.replyLength = replyLen;
        this.headerLength = headerLength;
        this.dataIndex = start + subjectLen + replyLen;
        this.totalLength = buffer.writerIndex() - dataIndex;
        this.deliverAs = null;
    }

    /**
     * Routes this message by {@link #subject()} but shows receivers another subject: how JetStream delivers a stored
     * message (its original subject) to a consumer's inbox or deliver subject.
     */
    public void deliverAs(String shownSubject) {
        this.deliverAs = shownSubject == null ? null : shownSubject.getBytes(StandardCharsets.UTF_8);
    }

    /** The subject receivers see, when it differs from the one the message is routed by; null otherwise. */
    public String deliverAs() {
        return deliverAs == null ? null : new String(deliverAs, StandardCharsets.UTF_8);
    }

    /** Writes subject, reply, headers and payload back to back, the layout {@link #reset} reads. */
    public static void layout(ByteBuf out, String subject, String reply, byte[] headers, byte[] payload) {
        out.writeBytes(subject.getBytes(StandardCharsets.UTF_8));
        if (reply != null) {
            out.writeBytes(reply.getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(headers == null ? NO_BYTES : headers);
        out.writeBytes(payload == null ? NO_BYTES : payload);
    }

    public String subject() {
        return subject;
    }

    public boolean hasReply() {
        return replyIndex >= 0;
    }

    public String reply() {
        return replyIndex < 0 ? null : buffer.toString(replyIndex, replyLength, StandardCharsets.UTF_8);
    }

    public boolean hasHeaders() {
        return headerLength > 0;
    }

    public int headerLength() {
        return headerLength;
    }

    /** Headers plus payload, as the size field of PUB/HPUB counts it. */
    public int totalLength() {
        return totalLength;
    }

    public int payloadLength() {
        return totalLength - headerLength;
    }

    /** Writes the routing subject (what routes need). */
    public void writeSubject(ByteBuf out) {
        out.writeBytes(buffer, subjectIndex, subjectLength);
    }

    /** Writes the subject a receiving client sees: the deliver-as subject if set, else the routing subject. */
    public void writeShownSubject(ByteBuf out) {
        if (deliverAs != null) {
            out.writeBytes(deliverAs);
        } else {
            out.writeBytes(buffer, subjectIndex, subjectLength);
        }
    }

    public boolean hasDeliverAs() {
        return deliverAs != null;
    }

    /** Writes the deliver-as subject; call only when {@link #hasDeliverAs()}. */
    public void writeDeliverAs(ByteBuf out) {
        out.writeBytes(deliverAs);
    }

    /** Length of the subject a client sees. */
    public int shownSubjectLength() {
        return deliverAs != null ? deliverAs.length : subjectLength;
    }

    public void writeReply(ByteBuf out) {
        out.writeBytes(buffer, replyIndex, replyLength);
    }

    public int subjectLength() {
        return subjectLength;
    }

    public int replyLength() {
        return replyLength;
    }

    /** Copies headers and payload. */
    public void writeData(ByteBuf out) {
        out.writeBytes(buffer, dataIndex, totalLength);
    }

    /** Copies the payload without the headers (for a receiver that did not ask for headers). */
    public void writePayload(ByteBuf out) {
        out.writeBytes(buffer, dataIndex + headerLength, totalLength - headerLength);
    }

    public byte[] headerBytes() {
        byte[] out = new byte[headerLength];
        buffer.getBytes(dataIndex, out);
        return out;
    }

    public byte[] payloadBytes() {
        byte[] out = new byte[totalLength - headerLength];
        buffer.getBytes(dataIndex + headerLength, out);
        return out;
    }
}
