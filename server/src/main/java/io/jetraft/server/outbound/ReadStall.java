package io.jetraft.server.outbound;

import io.jetraft.server.subject.Subscriber;
import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Back-pressure for one connection's input: while a receiver of its messages is congested, its reads are switched
 * off, until the receiver drains or {@code maxMillis} pass (a receiver that never drains is cut off by max_pending
 * or the write deadline, so a publisher is never held forever). Used on the connection's event loop only.
 */
public final class ReadStall {

    private final Channel channel;
    private final long maxMillis;
    private boolean paused;
    private ScheduledFuture<?> timer;

    public ReadStall(Channel channel, long maxMillis) {
        this.channel = channel;
        this.maxMillis = maxMillis;
    }

    public void until(Subscriber congested) {
        if (paused || !channel.isActive()) {
            return;
        }
        paused = true;
        channel.config().setAutoRead(false);
        timer = channel.eventLoop().schedule(this::resume, maxMillis, TimeUnit.MILLISECONDS);
        congested.whenDrained(() -> channel.eventLoop().execute(this::resume));
    }

    private void resume() {
        if (!paused) {
            return;
        }
        paused = false;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (channel.isActive()) {
            channel.config().setAutoRead(true);
        }
    }
}
