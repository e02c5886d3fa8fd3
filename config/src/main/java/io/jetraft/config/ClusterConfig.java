package io.jetraft.config;

import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * The {@code cluster {}} block, as in nats-server: {@code name}, {@code listen} (or {@code host} and {@code port}),
 * {@code routes} (a list of {@code nats-route://host:port} URLs, possibly naming this node itself),
 * {@code no_advertise}, {@code connect_retries}; plus jetraft's {@code raft_listen} (host:port of this node's Raft
 * transport; default: the cluster host with the cluster port + 1000).
 */
public record ClusterConfig(
        String name,
        HostPort listen,
        List<URI> routes,
        boolean noAdvertise,
        int connectRetries,
        Optional<HostPort> raftListen) {

    public ClusterConfig {
        routes = List.copyOf(routes);
    }
}
