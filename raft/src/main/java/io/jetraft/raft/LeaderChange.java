package io.jetraft.raft;

import java.util.Optional;

/**
 * A group's leadership as this node learned it: {@code local} means this node leads it and is ready to serve (it has
 * applied its first entry of the term); otherwise {@code leader} names the new leader, or is empty while there is
 * none.
 */
public record LeaderChange(GroupName group, Optional<String> leader, boolean local, long term) {
}
