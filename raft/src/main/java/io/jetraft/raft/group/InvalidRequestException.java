package io.jetraft.raft.group;

/** A leader refused to log a request it could not decode or that breaks a basic rule (before any replica sees it). */
public final class InvalidRequestException extends Exception {

    public InvalidRequestException(String message) {
        super(message);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
