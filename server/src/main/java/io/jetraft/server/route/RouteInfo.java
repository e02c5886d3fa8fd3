package io.jetraft.server.route;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/**
 * The INFO a node sends on a route: who it is, which cluster, where its clients connect, where its Raft server
 * listens, and whether it is in lame-duck mode. Field names follow nats-server's route INFO where it has them.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouteInfo(
        @JsonProperty("server_id") String serverId,
        @JsonProperty("server_name") String serverName,
        @JsonProperty("version") String version,
        @JsonProperty("cluster") String cluster,
        @JsonProperty("host") String host,
        @JsonProperty("port") int port,
        @JsonProperty("connect_urls") List<String> connectUrls,
        @JsonProperty("raft_address") String raftAddress,
        @JsonProperty("jetstream") boolean jetstream,
        @JsonProperty("ldm") boolean lameDuck,
        @JsonProperty("offline") boolean offline) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public RouteInfo {
        connectUrls = connectUrls == null ? List.of() : List.copyOf(connectUrls);
    }

    /** Parses a route INFO body; a body that is not JSON or lacks server_id and server_name is refused. */
    public static RouteInfo parse(String json) {
        RouteInfo info;
        try {
            info = JSON.readValue(json, RouteInfo.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("route INFO is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (info.serverId() == null || info.serverId().isBlank() || info.serverName() == null
                || info.serverName().isBlank()) {
            throw new IllegalArgumentException("route INFO lacks server_id or server_name");
        }
        return info;
    }

    public String toProtocol() {
        try {
            return "INFO " + JSON.writeValueAsString(this) + "\r\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }


}
