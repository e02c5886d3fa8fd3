package io.jetraft.server.jetstream;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads and writes a NATS header block ({@code NATS/1.0[ code text]\r\nKey: Value\r\n...\r\n\r\n}). */
public final class NatsHeaders {

    private final Map<String, List<String>> values;

    private NatsHeaders(Map<String, List<String>> values) {
        this.values = values;
    }

    public static NatsHeaders parse(byte[] block) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (block == null || block.length == 0) {
            return new NatsHeaders(out);
        }
        String text = new String(block, StandardCharsets.UTF_8);
        String[] lines = text.split("\r\n");
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        return new NatsHeaders(out);
    }

    /** The first value of a header (exact name first, then any case), or null. */
    public String get(String key) {
        List<String> v = values.get(key);
        if (v == null) {
            for (Map.Entry<String, List<String>> e : values.entrySet()) {
                if (e.getKey().equalsIgnoreCase(key)) {
                    v = e.getValue();
                    break;
                }
            }
        }
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** A block with the given headers (alternating names and values). */
    public static byte[] block(String... keyValues) {
        StringBuilder sb = new StringBuilder("NATS/1.0\r\n");
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            sb.append(keyValues[i]).append(": ").append(keyValues[i + 1]).append("\r\n");
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
    }
}
