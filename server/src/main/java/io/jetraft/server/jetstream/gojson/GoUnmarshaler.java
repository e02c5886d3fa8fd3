package io.jetraft.server.jetstream.gojson;

import com.fasterxml.jackson.databind.JsonNode;

/** A Go type's own UnmarshalJSON method: it sees the raw JSON text of the value (null included) and may refuse it. */
@FunctionalInterface
public interface GoUnmarshaler {

    /**
     * @param raw the value's JSON text exactly as sent (what Go passes to UnmarshalJSON)
     * @param value the same value parsed
     * @return what the value decodes to, as jetraft keeps it (the canonical spelling), or null for no effect
     * @throws GoJsonException with the method's error text
     */
    JsonNode unmarshal(String raw, JsonNode value) throws GoJsonException;
}
