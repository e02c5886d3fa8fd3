package io.jetraft.server.node;

import io.jetraft.config.ServerConfig;

/** The node's configuration as of now: replaced as a whole on reload, read without locks on hot paths. */
public final class LiveConfig {

    private volatile ServerConfig current;

    public LiveConfig(ServerConfig initial) {
        this.current = initial;
    }

    public ServerConfig get() {
        return current;
    }

    public void set(ServerConfig next) {
        this.current = next;
    }
}
