package io.jetraft.raft;

/** Checks {@code host:port} strings early, so that a bad address is reported where it was given. */
final class RaftAddress {

    private RaftAddress() {
    }

    /** Returns the port; throws with {@code what} in the message when the address is not {@code host:port}. */
    static int parse(String address, String what) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("the Raft address of " + what + " must be host:port, got '" + address
                    + "'");
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the Raft address of " + what + " has no numeric port: '" + address
                    + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("the Raft address of " + what + " has port " + port
                    + " outside 1..65535");
        }
        return port;
    }

    static String host(String address) {
        String host = address.substring(0, address.lastIndexOf(':'));
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
