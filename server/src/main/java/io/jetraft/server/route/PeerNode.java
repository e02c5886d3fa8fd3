package io.jetraft.server.route;

/** Another node of the cluster as its route INFO describes it. */
public record PeerNode(String serverName, String serverId, String raftAddress, boolean lameDuck, boolean offline) {
}
