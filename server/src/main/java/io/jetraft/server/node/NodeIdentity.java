package io.jetraft.server.node;

import java.security.SecureRandom;

/**
 * Who this node is: a server id shaped like nats-server's (56 characters of base32 starting with 'N', as an nkey
 * public server key looks), the server name (the id unless configured), and the versions it reports. A JetStream
 * node keeps both in its store directory ({@link NodeIdentityFile}); a node without JetStream gets a new id on every
 * start, as nats-server does.
 */
public record NodeIdentity(String serverId, String serverName) {

    /** jetraft's own version. */
    public static final String JETRAFT_VERSION = versionFromManifest();
    /**
     * The nats-server version jetraft reports in INFO and /varz. Clients switch features on by server version
     * (jnats uses the newer consumer-create subjects from 2.9 and multiple filters from 2.10), so this names the
     * nats-server release whose protocol and API jetraft implements.
     */
    public static final String NATS_COMPATIBLE_VERSION = "2.10.0";
    public static final int PROTOCOL = 1;

    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

    /** A new identity: a random id, named {@code configuredName} or after the id. */
    public static NodeIdentity create(String configuredName) {
        String id = newServerId(new SecureRandom());
        String name = configuredName == null || configuredName.isBlank() ? id : configuredName;
        return new NodeIdentity(id, name);
    }

    static String newServerId(SecureRandom random) {
        StringBuilder sb = new StringBuilder(56).append('N');
        for (int i = 1; i < 56; i++) {
            sb.append(BASE32[random.nextInt(32)]);
        }
        return sb.toString();
    }

    private static String versionFromManifest() {
        String v = NodeIdentity.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }
}
