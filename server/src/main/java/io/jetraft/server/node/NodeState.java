package io.jetraft.server.node;

/** The life of a node, in order; each state is entered once. */
public enum NodeState {
    STARTING,
    RUNNING,
    LAME_DUCK,
    STOPPING,
    STOPPED
}
