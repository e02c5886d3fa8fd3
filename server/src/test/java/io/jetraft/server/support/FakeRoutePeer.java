package io.jetraft.server.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A hand-written route peer speaking the route protocol over one socket, for tests that need a peer to do what a
 * jetraft peer does at a moment of the test's choosing (hold its RS+ back, send an RMSG for a given queue group). It
 * records every RMSG it receives and answers PINGs while {@link #answerPings} is set.
 */
public final class FakeRoutePeer extends Thread {

    /** An RMSG the peer received: its subject, its reply subject (null when none) and its payload. */
    public record Routed(String subject, String reply, String payload) {
    }

    private final OutputStream out;
    private final InputStream in;
    public final List<Routed> got = new CopyOnWriteArrayList<>();
    public final AtomicBoolean answerPings;
    public final AtomicBoolean pingSeen = new AtomicBoolean();
    public final AtomicBoolean closed = new AtomicBoolean();

    public FakeRoutePeer(Socket socket, boolean answerPings) throws IOException {
        super("fake-peer-" + socket.getLocalPort());
        this.out = socket.getOutputStream();
        this.in = socket.getInputStream();
        this.answerPings = new AtomicBoolean(answerPings);
        setDaemon(true);
    }

    /** The INFO a peer with this server id, in cluster c1, sends on a route, advertising {@code port}. */
    public static String info(String serverId, int port) {
        return "INFO {\"server_id\":\"" + serverId + "\",\"server_name\":\"fake\",\"version\":\"2.9.0\","
                + "\"cluster\":\"c1\",\"host\":\"127.0.0.1\",\"port\":" + port + "}\r\n";
    }

    public synchronized void send(String protocol) throws IOException {
        out.write(protocol.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Reads one protocol line (before {@link #start}, for the node's INFO). */
    public String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int prev = -1;
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed");
            }
            if (prev == '\r' && c == '\n') {
                byte[] bytes = b.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            b.write(c);
            prev = c;
        }
    }

    /** The payloads received, read as numbers (for tests that publish a counter). */
    public List<Long> numbers() {
        return got.stream().map(r -> Long.parseLong(r.payload())).toList();
    }

    @Override
    public void run() {
        try {
            while (true) {
                String l = line();
                if (l.startsWith("RMSG ")) {
                    // RMSG $G subject [reply] size (this peer subscribes no queue groups)
                    String[] f = l.split(" ");
                    int size = Integer.parseInt(f[f.length - 1]);
                    byte[] payload = in.readNBytes(size + 2);
                    got.add(new Routed(f[2], f.length == 5 ? f[3] : null,
                            new String(payload, 0, size, StandardCharsets.UTF_8)));
                } else if (l.equals("PING")) {
                    pingSeen.set(true);
                    if (answerPings.get()) {
                        send("PONG\r\n");
                    }
                }
            }
        } catch (IOException e) {
            closed.set(true);
        }
    }
}
