package io.jetraft.server.monitor;

import java.util.List;
import java.util.Map;

/** One path of the monitoring port (/varz, /connz, /healthz, ...). Must not block for long: it runs on an I/O thread. */
@FunctionalInterface
public interface MonitorEndpoint {

    MonitorResponse handle(Map<String, List<String>> query);
}
