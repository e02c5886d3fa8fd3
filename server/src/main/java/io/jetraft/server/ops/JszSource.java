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

/** Reads /jsz from every given monitoring URL at once; a node that does not answer is named, not fatal. */
public final class JszSource {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** One server's answer, or why there is none. */
    public record Answer(String url, JsonNode jsz, String error) {
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
            HttpRequest req = HttpRequest.newBuilder(URI.create(url + "/jsz?streams=true&consumers=true"))
                    .timeout(timeout).build();
            futures.add(http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).handle((r, err) -> {
                if (err != null) {
                    Throwable c = err.getCause() != null ? err.getCause() : err;
                    return new Answer(url, null, c.getClass().getSimpleName()
                            + (c.getMessage() == null ? "" : ": " + c.getMessage()));
                }
                if (r.statusCode() != 200) {
                    return new Answer(url, null, "HTTP " + r.statusCode());
                }
                try {
                    JsonNode n = JSON.readTree(r.body());
                    if (n.path("disabled").asBoolean(false)) {
                        return new Answer(url, null, "JetStream is not enabled");
                    }
                    return new Answer(url, n, null);
                } catch (java.io.IOException e) {
                    return new Answer(url, null, "unreadable /jsz: " + e.getMessage());
                }
            }));
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }
}
