package io.jetraft.server.internal;

import java.nio.charset.StandardCharsets;

/** A message as the node's own services see it: copied out of the connection buffers, safe to keep. */
public record InternalMessage(String subject, String reply, byte[] headers, byte[] data) {

    public InternalMessage {
        headers = headers == null ? new byte[0] : headers;
        data = data == null ? new byte[0] : data;
    }

    public boolean hasHeaders() {
        return headers.length > 0;
    }

    public String dataAsString() {
        return new String(data, StandardCharsets.UTF_8);
    }
}
