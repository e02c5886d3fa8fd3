package io.jetraft.server.monitor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.server.util.GoJson;
import java.util.List;
import java.util.Map;

/** GET /healthz: {"status":"ok"} with 200, or the failing check's status and reason. */
public final class HealthzEndpoint implements MonitorEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HealthCheck check;

    public HealthzEndpoint(HealthCheck check) {
        this.check = check;
    }

    @Override
    public MonitorResponse handle(Map<String, List<String>> query) {
        QueryParams params = new QueryParams(query);
        // validated as nats-server does, even where jetraft has nothing narrower to check yet
        params.bool("js-enabled-only", false);
        params.bool("js-server-only", false);
        params.bool("js-meta-only", false);
        params.bool("details", false);
        HealthCheck.Result result = check.check();
        ObjectNode body = JSON.createObjectNode();
        body.put("status", result.status());
        if (result.error() != null) {
            body.put("error", result.error());
        }
        return MonitorResponse.json(result.httpStatus(), GoJson.compact(body));
    }
}
