package io.jetraft.raft;

import io.jetraft.raft.meta.MetaState;
import io.jetraft.raft.meta.MetaView;
import io.jetraft.raft.proto.GroupRecord;
import io.jetraft.raft.proto.PeerAddress;
import io.jetraft.raft.proto.StreamRecord;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The one place that maps a stream to the stream group carrying it, from this node's applied meta state: its group's
 * record, Raft group id and peers, and the stream's store name (what its group's entries call it).
 */
final class StreamLocator {

    /** A stream and the group carrying it. */
    record Located(StreamRecord stream, GroupRecord group) {
        GroupName groupName() {
            return GroupName.streams(group.getGroupId());
        }

        RaftGroupId groupId() {
            return StreamLocator.groupId(group);
        }

        RaftGroup raftGroup() {
            return StreamLocator.raftGroup(group);
        }

        String storeName() {
            return stream.getStoreName();
        }
    }

    private final MetaView view;

    StreamLocator(MetaView view) {
        this.view = view;
    }

    Optional<Located> locate(String stream) {
        MetaState s = view.get();
        return s.stream(stream).flatMap(r -> s.group(r.getGroupId()).map(g -> new Located(r, g)));
    }

    Optional<GroupName> groupOf(String stream) {
        return view.get().stream(stream).map(r -> GroupName.streams(r.getGroupId()));
    }

    Optional<GroupRecord> group(GroupName group) {
        return group.isMeta() ? Optional.empty() : view.get().group(group.id());
    }

    /** The streams a group carries by the meta state. */
    List<StreamRecord> streamsOf(GroupName group) {
        return view.get().streamsOf(group.id());
    }

    /** The stream whose store name this is, if the meta state knows it (and it is that incarnation). */
    Optional<StreamRecord> byStoreName(String storeName) {
        return io.jetraft.raft.stream.StreamGroupStateMachine.streamOfStoreName(storeName)
                .flatMap(name -> view.get().stream(name))
                .filter(r -> r.getStoreName().equals(storeName));
    }

    static RaftGroupId groupId(GroupRecord g) {
        return RaftGroupId.valueOf(UUID.fromString(g.getGroupId()));
    }

    static RaftGroup raftGroup(GroupRecord g) {
        return RaftGroup.valueOf(groupId(g), peers(g.getPeersList()));
    }

    static List<RaftPeer> peers(List<PeerAddress> peers) {
        return peers.stream().map(p -> RaftPeer.newBuilder().setId(p.getName()).setAddress(p.getAddress()).build())
                .toList();
    }
}
