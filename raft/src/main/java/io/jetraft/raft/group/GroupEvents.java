package io.jetraft.raft.group;

import io.jetraft.raft.GroupName;

/**
 * What a group's state machine tells its node. Called on Ratis threads: implementations hand the work to their own
 * threads and return at once.
 */
public interface GroupEvents {

    /** This division learned of a new leader (null: none known) in {@code term}. */
    void leaderChanged(GroupName group, String leader, long term);

    /** This division became leader and applied its first entry of {@code term}: it can serve. */
    void leaderReady(GroupName group, long term);

    /** A stream joined or left the group (an attach or detach applied, or a snapshot installed). */
    void streamsChanged(GroupName group);

    /** The group stopped applying on this node. */
    void halted(GroupName group, Halt halt);

    /** The meta state changed (an entry applied or a snapshot installed): reconcile the stream groups. */
    void metaChanged();
}
