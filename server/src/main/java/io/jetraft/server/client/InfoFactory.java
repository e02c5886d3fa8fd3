package io.jetraft.server.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.jetraft.config.ServerConfig;
import io.jetraft.server.node.LiveConfig;
import io.jetraft.server.node.NodeIdentity;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Writes the INFO a client receives, with nats-server's field names in its order. What varies over a node's life
 * (connect_urls as nodes come and go, lame-duck mode, max_payload after a reload) is read at the time of writing.
 */
public final class InfoFactory {

    private static final JsonFactory JSON = new JsonFactory();

    private final NodeIdentity identity;
    private final LiveConfig config;
    private final boolean jetstream;
    private volatile List<String> connectUrls = List.of();
    private volatile boolean lameDuck;

    public InfoFactory(NodeIdentity identity, LiveConfig config, boolean jetstream) {
        this.identity = identity;
        this.config = config;
        this.jetstream = jetstream;
    }

    public void setConnectUrls(List<String> urls) {
        this.connectUrls = List.copyOf(urls);
    }

    public List<String> connectUrls() {
        return connectUrls;
    }

    public void setLameDuck(boolean lameDuck) {
        this.lameDuck = lameDuck;
    }

    /** The whole {@code INFO {...}\r\n} line for one client. */
    public String forClient(long cid, String clientIp, int boundPort) {
        ServerConfig c = config.get();
        StringWriter out = new StringWriter(384);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("server_id", identity.serverId());
            g.writeStringField("server_name", identity.serverName());
            g.writeStringField("version", NodeIdentity.NATS_COMPATIBLE_VERSION);
            g.writeNumberField("proto", NodeIdentity.PROTOCOL);
            g.writeStringField("go", "java" + Runtime.version().feature());
            g.writeStringField("host", c.clientListen().host());
            g.writeNumberField("port", boundPort);
            g.writeBooleanField("headers", true);
            g.writeNumberField("max_payload", c.maxPayload().toIntCapped());
            if (jetstream) {
                g.writeBooleanField("jetstream", true);
            }
            g.writeNumberField("client_id", cid);
            g.writeStringField("client_ip", clientIp);
            c.cluster().ifPresent(cluster -> writeString(g, "cluster", cluster.name()));
            List<String> urls = connectUrls;
            if (!urls.isEmpty()) {
                g.writeArrayFieldStart("connect_urls");
                for (String url : urls) {
                    g.writeString(url);
                }
                g.writeEndArray();
            }
            if (lameDuck) {
                g.writeBooleanField("ldm", true);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "INFO " + out + "\r\n";
    }

    private static void writeString(JsonGenerator g, String field, String value) {
        try {
            g.writeStringField(field, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
