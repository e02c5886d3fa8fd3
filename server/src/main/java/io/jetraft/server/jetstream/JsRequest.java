package io.jetraft.server.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jetraft.server.jetstream.gojson.GoJsonDecoder;
import io.jetraft.server.jetstream.gojson.GoJsonException;
import io.jetraft.server.jetstream.gojson.GoType;

/**
 * Every $JS.API request body, decoded as nats-server 2.10 decodes it: into its Go type (see {@link JsApiTypes}), and
 * with nats-server's rule for an empty body. A body Go's json.Unmarshal refuses is error 10025 with Go's reason, in the
 * shape nats-server 2.11 and later answer ({@code invalid JSON: json: cannot unmarshal ...}; 2.9 and 2.10 say only
 * {@code invalid JSON}).
 */
enum JsRequest {

    STREAM_CONFIG(JsApiTypes.STREAM_CONFIG, EmptyBody.INVALID_JSON),
    STREAM_INFO(JsApiTypes.STREAM_INFO_REQUEST, EmptyBody.DEFAULTS),
    STREAM_NAMES(JsApiTypes.STREAM_NAMES_REQUEST, EmptyBody.DEFAULTS),
    STREAM_LIST(JsApiTypes.STREAM_LIST_REQUEST, EmptyBody.DEFAULTS),
    STREAM_PURGE(JsApiTypes.STREAM_PURGE_REQUEST, EmptyBody.DEFAULTS),
    MSG_GET(JsApiTypes.MSG_GET_REQUEST, EmptyBody.BAD_REQUEST),
    MSG_DELETE(JsApiTypes.MSG_DELETE_REQUEST, EmptyBody.BAD_REQUEST),
    CONSUMER_CREATE(JsApiTypes.CREATE_CONSUMER_REQUEST, EmptyBody.INVALID_JSON),
    CONSUMER_NAMES(JsApiTypes.CONSUMERS_REQUEST, EmptyBody.DEFAULTS),
    CONSUMER_LIST(JsApiTypes.CONSUMERS_REQUEST, EmptyBody.DEFAULTS),
    LEADER_STEPDOWN(JsApiTypes.LEADER_STEPDOWN_REQUEST, EmptyBody.DEFAULTS);

    /** What nats-server does with an empty body (no bytes; for BAD_REQUEST also {@code {}}). */
    private enum EmptyBody {
        /** Unmarshalled all the same: "unexpected end of JSON input" (STREAM.CREATE, CONSUMER.CREATE). */
        INVALID_JSON,
        /** Skipped: every field keeps its zero value (isEmptyRequest before the Unmarshal). */
        DEFAULTS,
        /** Refused with 10003 before any decoding (MSG.GET, MSG.DELETE). */
        BAD_REQUEST
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final GoType.Struct type;
    private final EmptyBody empty;

    JsRequest(GoType.Struct type, EmptyBody empty) {
        this.type = type;
        this.empty = empty;
    }

    /**
     * @param body the request's payload (null is empty)
     * @return the body with each known field under its JSON name and of its Go type
     * @throws ApiException 10025 for a body Go refuses, 10003 for an empty one where nats-server wants one
     */
    ObjectNode decode(byte[] body) {
        boolean none = body == null || body.length == 0;
        if (none && empty == EmptyBody.DEFAULTS) {
            return JSON.createObjectNode();
        }
        if (none && empty == EmptyBody.BAD_REQUEST) {
            throw new ApiException(JsErrors.BAD_REQUEST);
        }
        ObjectNode decoded;
        try {
            decoded = (ObjectNode) GoJsonDecoder.decode(body, type);
        } catch (GoJsonException e) {
            throw new ApiException(JsErrors.invalidJson(e.getMessage()));
        }
        if (decoded.isEmpty() && empty == EmptyBody.BAD_REQUEST) {
            throw new ApiException(JsErrors.BAD_REQUEST); // {} is empty to nats-server's isEmptyRequest
        }
        return decoded;
    }

    /**
     * A DIRECT.GET body, which nats-server answers with a status instead of an API error: "408 Empty Request"
     * (nothing asked), "408 Malformed Request" (a body Go refuses), "408 Bad Request" (two ways asked at once).
     *
     * @return the request, or the status line (without "NATS/1.0 ") to answer instead
     */
    static DirectGet directGet(byte[] body) {
        if (body == null || body.length == 0) {
            return DirectGet.refused("408 Empty Request");
        }
        JsonNode req;
        try {
            req = GoJsonDecoder.decode(body, JsApiTypes.MSG_GET_REQUEST);
        } catch (GoJsonException e) {
            return DirectGet.refused("408 Malformed Request");
        }
        long seq = req.path("seq").asLong(0);
        boolean last = !req.path("last_by_subj").asText("").isEmpty();
        boolean next = !req.path("next_by_subj").asText("").isEmpty();
        if (seq == 0 && !last && !next) {
            return DirectGet.refused("408 Empty Request");
        }
        if (seq != 0 && last || last && next) {
            return DirectGet.refused("408 Bad Request");
        }
        return new DirectGet(req, null);
    }

    /** A DIRECT.GET request, or the status it is refused with. */
    record DirectGet(JsonNode request, String refusal) {
        static DirectGet refused(String status) {
            return new DirectGet(null, status);
        }
    }
}
