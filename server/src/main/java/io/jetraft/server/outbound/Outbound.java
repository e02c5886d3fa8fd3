package io.jetraft.server.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;

/**
 * The bytes waiting to go out on one connection (client or route). Any thread may append (under this object's monitor); the
 * connection's event loop takes the whole buffer and writes it in one go, so many small messages become one socket
 * write. {@code queued} counts bytes appended but not yet written to the socket, which is what the slow-consumer
 * limit (max_pending) is measured against.
 */
public final class Outbound {

    private static final int INITIAL_CAPACITY = 1024;

    private final Channel channel;
    private final Runnable flushTask = this::flushNow;
    private ByteBuf buffer;
    private long queued;
    private boolean flushScheduled;
    private boolean discarded;
    private volatile boolean congested;
    private long congestedAbove;
    private java.util.List<Runnable> drainWaiters;

    public Outbound(Channel channel) {
        this.channel = channel;
    }

    /** The buffer to append to, with room for at least {@code bytes}; call holding this object's monitor. */
    public ByteBuf bufferLocked(int bytes) {
        if (buffer == null) {
            buffer = channel.alloc().directBuffer(Math.max(INITIAL_CAPACITY, bytes));
        } else {
            buffer.ensureWritable(bytes);
        }
        return buffer;
    }

    /** Bytes appended and not yet on the socket; call holding this object's monitor. */
    public long queuedLocked() {
        return queued;
    }

    public boolean isDiscardedLocked() {
        return discarded;
    }

    /**
     * Records {@code bytes} appended; call holding this object's monitor. Over {@code congestedAbove} queued bytes
     * the queue counts as congested until it drains to half of that.
     *
     * @return true when the caller must {@link #scheduleFlush()} (after releasing the monitor)
     */
    public boolean commitLocked(int bytes, long congestedAbove) {
        queued += bytes;
        if (queued > congestedAbove && !congested) {
            this.congestedAbove = congestedAbove;
            congested = true;
        }
        if (flushScheduled) {
            return false;
        }
        flushScheduled = true;
        return true;
    }

    /**
     * Appends whole protocol bytes and makes sure they get flushed.
     *
     * @return false when the queue was discarded (connection closing)
     */
    public boolean send(byte[] bytes, long congestedAbove) {
        boolean flush;
        synchronized (this) {
            if (discarded) {
                return false;
            }
            bufferLocked(bytes.length).writeBytes(bytes);
            flush = commitLocked(bytes.length, congestedAbove);
        }
        if (flush) {
            FlushBatch.schedule(this);
        }
        return true;
    }

    /** Schedules the flush a {@link #commitLocked} asked for: now, or after the current read batch. */
    public void flushSoon() {
        FlushBatch.schedule(this);
    }

    public void scheduleFlush() {
        channel.eventLoop().execute(flushTask);
    }

    /** Queued bytes as seen from any thread. */
    public synchronized long queued() {
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

    private void written(int n) {
        java.util.List<Runnable> ready = null;
        synchronized (this) {
            queued -= n;
            if (congested && queued <= congestedAbove / 2) {
                congested = false;
                ready = drainWaiters;
                drainWaiters = null;
            }
        }
        if (ready != null) {
            ready.forEach(Runnable::run);
        }
    }

    public boolean isCongested() {
        return congested;
    }

    /** Runs the action once the queue is no longer congested (at once if it is not). */
    public void whenDrained(Runnable action) {
        synchronized (this) {
            if (congested && !discarded) {
                if (drainWaiters == null) {
                    drainWaiters = new java.util.ArrayList<>(2);
                }
                drainWaiters.add(action);
                return;
            }
        }
        action.run();
    }

    /** Writes what is queued, then closes the channel (for a final -ERR). Runs on the event loop. */
    public void flushAndClose() {
        flushThen(ChannelFutureListener.CLOSE);
    }

    /**
     * Writes out what is queued, then ends this side of the stream (TCP FIN) and keeps reading: the peer hears the
     * end after everything sent before it. Later appends are refused.
     */
    public void flushAndShutdownOutput() {
        flushThen(f -> {
            if (f.channel() instanceof io.netty.channel.socket.DuplexChannel duplex) {
                duplex.shutdownOutput();
            } else {
                f.channel().close();
            }
        });
    }

    /** Writes what is queued and then runs {@code end} on the channel; later appends are refused. */
    private void flushThen(ChannelFutureListener end) {
        ByteBuf out;
        synchronized (this) {
            out = buffer;
            buffer = null;
            discarded = true;
        }
        if (out != null && !channel.isActive()) {
            out.release();
            out = null;
        }
        if (out == null && !channel.isActive()) {
            channel.close();
            return;
        }
        channel.writeAndFlush(out != null ? out : io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(end);
    }

    /** Drops whatever is queued (slow consumer, closed channel); later appends are refused. */
    public void discard() {
        ByteBuf out;
        java.util.List<Runnable> waiting;
        synchronized (this) {
            out = buffer;
            buffer = null;
            discarded = true;
            congested = false;
            waiting = drainWaiters;
            drainWaiters = null;
        }
        if (out != null) {
            out.release();
        }
        if (waiting != null) {
            waiting.forEach(Runnable::run);
        }
    }
}
