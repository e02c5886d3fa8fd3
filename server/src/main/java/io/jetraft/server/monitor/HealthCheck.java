package io.jetraft.server.monitor;

/** Decides what /healthz answers: ok, or an HTTP status with nats-server's status word and reason. */
@FunctionalInterface
public interface HealthCheck {

    Result check();

    /** The outcome: {@code status} is "ok", "error" or "unavailable", as nats-server writes it. */
    record Result(int httpStatus, String status, String error) {

        public static Result ok() {
            return new Result(200, "ok", null);
        }

        public static Result error(int httpStatus, String status, String error) {
            return new Result(httpStatus, status, error);
        }
    }
}
