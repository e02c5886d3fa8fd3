package io.jetraft.server.lameduck;

import java.time.Duration;

/** Waits for a while; the drain's waits go through it so tests can record them and SIGINT can cut them short. */
public interface Sleeper {

    /** @return false when the wait was cut short (the drain then stops) */
    boolean sleep(Duration duration);
}
