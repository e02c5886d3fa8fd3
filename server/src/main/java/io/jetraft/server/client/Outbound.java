package io.jetraft.server.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;

/**
 * The bytes waiting to go out on one connection. Any thread may append (under this object's monitor); the
 * connection's event loop takes the whole buffer and writes it in one go, so many small messages become one socket
 * write. {@code queued} counts bytes appended but not yet written to the socket, which is what the slow-consumer
 * limit (max_pending) is measured against.
 */
final class Outbound {

    private static final int INITIAL_CAPACITY = 1024;

    private final Channel channel;
    private final Runnable flushTask = this::flushNow;
    private ByteBuf buffer;
    private long queued;
    private boolean flushScheduled;
    private boolean discarded;

    Outbound(Channel channel) {
        this.channel = channel;
    }

    /** The buffer to append to, with room for at least {@code bytes}; call holding this object's monitor. */
    ByteBuf bufferLocked(int bytes) {
        if (buffer == null) {
            buffer = channel.alloc().directBuffer(Math.max(INITIAL_CAPACITY, bytes));
        } else {
            buffer.ensureWritable(bytes);
        }
        return buffer;
    }

    /** Bytes appended and not yet on the socket; call holding this object's monitor. */
    long queuedLocked() {
        return queued;
    }

    boolean isDiscardedLocked() {
        return discarded;
    }

    /**
     * Records {@code bytes} appended; call holding this object's monitor.
     *
     * @return true when the caller must {@link #scheduleFlush()} (after releasing the monitor)
     */
    boolean commitLocked(int bytes) {
        queued += bytes;
        if (flushScheduled) {
            return false;
        }
        flushScheduled = true;
        return true;
    }

    void scheduleFlush() {
        channel.eventLoop().execute(flushTask);
    }

    /** Queued bytes as seen from any thread. */
    synchronized long queued() {
        return queued;
    }

    private void flushNow() {
        ByteBuf out;
        synchronized (this) {
            out = buffer;
            buffer = null;
            flushScheduled = false;
        }
        if (out == null) {
            return;
        }
        int n = out.readableBytes();
        channel.writeAndFlush(out).addListener(f -> written(n));
    }

    private synchronized void written(int n) {
        queued -= n;
    }

    /** Writes what is queued, then closes the channel (for a final -ERR). Runs on the event loop. */
    void flushAndClose() {
        ByteBuf out;
        synchronized (this) {
            out = buffer;
            buffer = null;
            discarded = true;
        }
        if (out == null || !channel.isActive()) {
            if (out != null) {
                out.release();
            }
            channel.close();
            return;
        }
        channel.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    }

    /** Drops whatever is queued (slow consumer, closed channel); later appends are refused. */
    void discard() {
        ByteBuf out;
        synchronized (this) {
            out = buffer;
            buffer = null;
            discarded = true;
        }
        if (out != null) {
            out.release();
        }
    }
}
