package io.jetraft.raft.group;

import com.google.protobuf.MessageLite;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import java.nio.ByteBuffer;

/** Ratis carries bytes in its own (shaded) protobuf ByteString; ours are messages of the unshaded protobuf. */
public final class RatisBytes {

    private RatisBytes() {
    }

    /** Our message as the bytes Ratis logs and sends (no copy beyond the encoding). */
    public static ByteString of(MessageLite message) {
        return UnsafeByteOperations.unsafeWrap(message.toByteArray());
    }

    /** Bytes Ratis handed us, for parsing into one of our messages (no copy). */
    public static ByteBuffer buffer(ByteString bytes) {
        return bytes.asReadOnlyByteBuffer();
    }
}
