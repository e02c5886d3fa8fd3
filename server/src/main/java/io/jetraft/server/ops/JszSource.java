package io.jetraft.server.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Reads /jsz and /healthz from every given monitoring URL at once; a node that does not answer is named, not fatal.
 */
public final class JszSource {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** What a server's /healthz answered: its HTTP status and reason; status 0 when it gave no answer. */
    public record Health(int httpStatus, String error) {
        public boolean ok() {
            return httpStatus == 200;
        }
    }

    /** One server's answer (its /jsz and /healthz), or why there is none. */
    public record Answer(String url, JsonNode jsz, String error, Health health) {
        public boolean ok() {
            return jsz != null;
        }

        public String name() {
            return jsz == null ? url : jsz.path("server_name").asText(url);
        }
    }

    /** Accepts "host:port", "http://host:port" or a comma-separated list of them. */
    public static List<String> urls(List<String> args) {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            for (String part : a.split(",")) {
                String u = part.trim();
                if (u.isEmpty()) {
                    continue;
                }
                if (!u.startsWith("http://") && !u.startsWith("https://")) {
                    u = "http://" + u;
                }
                out.add(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
            }
        }
        return out;
    }

    public List<Answer> fetch(List<String> urls, Duration timeout) {
        List<CompletableFuture<Answer>> futures = new ArrayList<>();
        for (String url : urls) {
            CompletableFuture<Health> health = get(url + "/healthz", timeout).handle((r, err) -> health(r, err));
            futures.add(get(url + "/jsz?streams=true&consumers=true", timeout).handle((r, err) -> jsz(url, r, err))
                    .thenCombine(health, (a, h) -> new Answer(a.url(), a.jsz(), a.error(), h)));
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }

    private CompletableFuture<HttpResponse<String>> get(String uri, Duration timeout) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(uri)).timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Answer jsz(String url, HttpResponse<String> r, Throwable err) {
        if (err != null) {
            return new Answer(url, null, describe(err), null);
        }
        if (r.statusCode() != 200) {
            return new Answer(url, null, "HTTP " + r.statusCode(), null);
        }
        try {
            JsonNode n = JSON.readTree(r.body());
            if (n.path("disabled").asBoolean(false)) {
                return new Answer(url, null, "JetStream is not enabled", null);
            }
            return new Answer(url, n, null, null);
        } catch (java.io.IOException e) {
            return new Answer(url, null, "unreadable /jsz: " + e.getMessage(), null);
        }
    }

    /** /healthz answers {"status":"ok"} or {"status":..,"error":".."}; the reason is its error text. */
    private static Health health(HttpResponse<String> r, Throwable err) {
        if (err != null) {
            return new Health(0, "/healthz did not answer: " + describe(err));
        }
        if (r.statusCode() == 200) {
            return new Health(200, null);
        }
        String reason;
        try {
            JsonNode n = JSON.readTree(r.body());
            reason = n.path("error").asText(n.path("status").asText(""));
        } catch (java.io.IOException e) {
            reason = "";
        }
        return new Health(r.statusCode(), reason.isEmpty() ? "/healthz answered HTTP " + r.statusCode() : reason);
    }

    private static String describe(Throwable err) {
        Throwable c = err.getCause() != null ? err.getCause() : err;
        return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
    }
}
