package io.jetraft.server.monitor;

/** What a monitoring endpoint answers: an HTTP status and a body (JSON unless said otherwise). */
public record MonitorResponse(int status, String body, String contentType) {

    public static MonitorResponse json(int status, String body) {
        return new MonitorResponse(status, body, "application/json");
    }

    public static MonitorResponse text(int status, String body) {
        return new MonitorResponse(status, body, "text/plain; charset=utf-8");
    }
}
