package io.jetraft.server.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A plain TCP client speaking the NATS protocol by hand, for tests of exact bytes and of bad input. */
public final class RawClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String info;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        socket.setSoTimeout((int) Duration.ofSeconds(5).toMillis());
        this.info = readLine();
    }

    public static RawClient connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return new RawClient(s);
    }

    /** The INFO line the server sent on connect. */
    public String info() {
        return info;
    }

    public RawClient send(String protocol) throws IOException {
        out.write(protocol.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return this;
    }

    public RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads one CRLF-terminated line (without the CRLF); fails on timeout or end of stream. */
    public String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int prev = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed by the server after: " + line);
            }
            if (prev == '\r' && b == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(b);
            prev = b;
        }
    }

    /** Reads exactly n bytes. */
    public byte[] readBytes(int n) throws IOException {
        return in.readNBytes(n);
    }

    /** True when the server closed the connection (end of stream or reset) within the socket timeout. */
    public boolean closedByServer() throws IOException {
        try {
            while (true) {
                int b = in.read();
                if (b < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Reads everything until the server closes the connection and returns it. */
    public String readUntilClosed() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try {
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) {
                all.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new IOException("the server did not close the connection; received: " + all, e);
        } catch (IOException e) {
            // a reset after the server's last bytes counts as closed
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    public void setReadTimeout(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
