package io.jetraft.server.node;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <store_dir>/node.json}: the server id and name a JetStream node took on its first start, so that it is the
 * same node after a restart. The name is the node's Raft peer id (in the meta group and every stream group), so a
 * node that came back under another name would not rejoin them. nats-server keeps nothing like this (its name must
 * be configured); jetraft keeps it so that {@code jetraft server -js} without {@code -n} can be restarted.
 */
public final class NodeIdentityFile {

    /** The file's name inside the store directory. */
    public static final String FILE_NAME = io.jetraft.config.JetStreamConfig.NODE_IDENTITY_FILE;

    private static final Logger LOG = LoggerFactory.getLogger("jetraft");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Two-space indent and {@code "key": value}, as nats-server prints JSON. */
    private static final com.fasterxml.jackson.core.PrettyPrinter PRETTY =
            new com.fasterxml.jackson.core.util.DefaultPrettyPrinter().withSeparators(
                    com.fasterxml.jackson.core.util.Separators.createDefaultInstance()
                            .withObjectFieldValueSpacing(com.fasterxml.jackson.core.util.Separators.Spacing.AFTER));

    /** What the file holds. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Contents(@JsonProperty("server_id") String serverId, @JsonProperty("server_name") String serverName,
                    @JsonProperty("created") String created) {
    }

    private final Path storeDir;
    private final Path file;

    public NodeIdentityFile(Path storeDir) {
        this.storeDir = storeDir;
        this.file = storeDir.resolve(FILE_NAME);
    }

    public Path path() {
        return file;
    }

    /**
     * The identity kept in the store directory, or a new one (named {@code configuredName}, else after its id)
     * written there first, durably. A configured name that differs from the kept one is refused: the node would
     * not rejoin its Raft groups under it.
     */
    public NodeIdentity loadOrCreate(String configuredName) {
        boolean named = configuredName != null && !configuredName.isBlank();
        NodeIdentity identity = read().orElseGet(() -> create(named ? configuredName : null));
        if (named && !identity.serverName().equals(configuredName)) {
            // a name that is the id was chosen by jetraft on the first start, not configured
            boolean generated = identity.serverName().equals(identity.serverId());
            throw new IllegalStateException("the store directory " + storeDir.toAbsolutePath() + " belongs to server \""
                    + identity.serverName() + "\" (see " + file.toAbsolutePath() + "), but this node is configured as \""
                    + configuredName + "\": the server name is the node's Raft peer id, so under another name it would "
                    + "not rejoin its meta group and streams. Start it " + (generated ? "without server_name (or " : "")
                    + "with server_name \"" + identity.serverName() + "\" (-n " + identity.serverName() + ")"
                    + (generated ? ")" : "") + ", or give \"" + configuredName + "\" a store directory of its own");
        }
        return identity;
    }

    private java.util.Optional<NodeIdentity> read() {
        if (!Files.exists(file)) {
            return java.util.Optional.empty();
        }
        Contents c;
        try {
            c = JSON.readValue(file.toFile(), Contents.class);
        } catch (IOException e) {
            throw unreadable(e.getMessage());
        }
        if (c == null || blank(c.serverId()) || blank(c.serverName())) {
            throw unreadable("server_id or server_name is missing");
        }
        return java.util.Optional.of(new NodeIdentity(c.serverId(), c.serverName()));
    }

    private IllegalStateException unreadable(String why) {
        return new IllegalStateException("cannot read this node's identity from " + file.toAbsolutePath() + ": " + why
                + ". It holds the server id and name the store was written with; restore it (or start with -n and "
                + "the node's name, after removing the file)");
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /**
     * Writes a new identity: to a temporary file, fsynced, then linked to node.json (a link never replaces a file,
     * so of two nodes starting on the same new directory at once both end up with the one that was kept).
     */
    private NodeIdentity create(String name) {
        String id = NodeIdentity.newServerId(new SecureRandom());
        NodeIdentity identity = new NodeIdentity(id, name == null ? id : name);
        Path tmp = storeDir.resolve(FILE_NAME + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(storeDir);
            byte[] body = JSON.writer(PRETTY).writeValueAsBytes(new Contents(identity.serverId(),
                    identity.serverName(), Instant.now().toString()));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(body);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.createLink(file, tmp);
            } catch (FileAlreadyExistsException raced) {
                return read().orElseThrow(() -> unreadable("it vanished while it was being read"));
            } catch (UnsupportedOperationException noLinks) {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            }
            syncDirectory();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write this node's identity to " + file.toAbsolutePath() + ": "
                    + e.getMessage() + " (is the store directory writable?)", e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                LOG.debug("could not remove {}: {}", tmp, e.toString());
            }
        }
        LOG.info("New node identity: server name {}, id {}, kept in {}", identity.serverName(), identity.serverId(),
                file.toAbsolutePath());
        return identity;
    }

    /** The new directory entry is durable only once the directory itself is synced. */
    private void syncDirectory() {
        try (FileChannel dir = FileChannel.open(storeDir, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // some platforms cannot open a directory; the file itself is synced
            LOG.debug("could not sync {}: {}", storeDir, e.toString());
        }
    }
}
