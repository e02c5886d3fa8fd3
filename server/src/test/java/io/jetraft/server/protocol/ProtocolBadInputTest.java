package io.jetraft.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.jetraft.config.ByteSize;
import io.jetraft.server.node.JetraftNode;
import io.jetraft.server.support.RawClient;
import io.jetraft.server.support.TestConfigs;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each bad input nats-server guards against, sent over a raw socket: the exact -ERR text (or silent close) and
 * whether the connection stays, as nats-server 2.9/2.10 behave (checked against Debian's nats-server), and that a
 * second client on the same server keeps working afterwards.
 */
class ProtocolBadInputTest {

    private static final String CONNECT = "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true}\r\n";

    private JetraftNode node;
    private RawClient bystander;

    @BeforeEach
    void start() throws IOException {
        node = JetraftNode.start(TestConfigs.node().maxControlLine(ByteSize.ofBytes(4096)).build());
        bystander = RawClient.connect(node.clientPort());
        bystander.send(CONNECT + "SUB bystander 1\r\nPING\r\n");
        assertThat(bystander.readLine()).isEqualTo("PONG");
    }

    @AfterEach
    void stop() throws IOException {
        bystander.close();
        node.shutdown();
    }

    /** The second client still publishes, receives and answers PINGs. */
    private void bystanderStillWorks() throws IOException {
        bystander.send("PUB bystander 2\r\nok\r\nPING\r\n");
        assertThat(bystander.readLine()).isEqualTo("MSG bystander 1 2");
        assertThat(bystander.readLine()).isEqualTo("ok");
        assertThat(bystander.readLine()).isEqualTo("PONG");
    }

    private RawClient client() throws IOException {
        RawClient c = RawClient.connect(node.clientPort());
        c.send(CONNECT);
        return c;
    }

    @Test
    void payloadOverMaxPayloadIsRefusedAndClosed() throws IOException {
        try (RawClient c = client()) {
            c.send("PUB foo 2000000\r\n");
            assertThat(c.readUntilClosed()).isEqualTo("-ERR 'Maximum Payload Violation'\r\n");
        }
        bystanderStillWorks();
    }

    @Test
    void headerMessageOverMaxPayloadIsRefusedAndClosed() throws IOException {
        try (RawClient c = client()) {
            c.send("HPUB foo 12 1048577\r\n");
            assertThat(c.readUntilClosed()).isEqualTo("-ERR 'Maximum Payload Violation'\r\n");
        }
        bystanderStillWorks();
    }

    @Test
    void controlLineOverMaxControlLineIsRefusedAndClosed() throws IOException {
        try (RawClient c = client()) {
            c.send("SUB " + "a".repeat(5000) + " 1\r\n");
            assertThat(c.readUntilClosed()).isEqualTo("-ERR 'maximum control line exceeded'\r\n");
        }
        bystanderStillWorks();
    }

    @Test
    void controlLineWithoutEndOverTheLimitIsRefusedBeforeItEnds() throws IOException {
        try (RawClient c = client()) {
            c.send("PUB " + "b".repeat(5000));
            assertThat(c.readUntilClosed()).isEqualTo("-ERR 'maximum control line exceeded'\r\n");
        }
        bystanderStillWorks();
    }

    @Test
    void unknownOperationIsRefusedAndClosed() throws IOException {
        for (String bad : new String[] {"FOO bar\r\n", "\r\n", "PUB\r\n", "SUB\r\n", "UNSUB\r\n", "PINGX\r\n",
                "MSG foo 1 1\r\n"}) {
            try (RawClient c = client()) {
                c.send(bad + "PING\r\n");
                assertThat(c.readUntilClosed()).as(bad).isEqualTo("-ERR 'Unknown Protocol Operation'\r\n");
            }
        }
        bystanderStillWorks();
    }

    @Test
    void payloadLongerThanItsSizeIsAnUnknownOperation() throws IOException {
        try (RawClient c = client()) {
            c.send("PUB foo 3\r\nabcd\r\nPING\r\n");
            assertThat(c.readUntilClosed()).isEqualTo("-ERR 'Unknown Protocol Operation'\r\n");
        }
        bystanderStillWorks();
    }

    @Test
    void invalidSubscriptionSubjectsAreRefusedButTheConnectionStays() throws IOException {
        try (RawClient c = client()) {
            c.send("SUB foo..bar 1\r\nSUB >.a 2\r\nSUB foo.>.bar 3\r\nSUB .foo 4\r\nSUB foo. 5\r\nPING\r\n");
            for (int i = 0; i < 5; i++) {
                assertThat(c.readLine()).isEqualTo("-ERR 'Invalid Subject'");
            }
            assertThat(c.readLine()).isEqualTo("PONG");
            // wildcards in a valid place and '*' inside a longer token are fine, as are queue names with wildcards
            c.send("SUB foo.* 6\r\nSUB foo.> 7\r\nSUB a*b 8\r\nSUB foo q.* 9\r\nPING\r\n");
            assertThat(c.readLine()).isEqualTo("PONG");
        }
        bystanderStillWorks();
    }

    @Test
    void subscribeWithTooFewOrTooManyArgumentsClosesWithoutError() throws IOException {
        try (RawClient c = client()) {
            c.send("SUB foo\r\nPING\r\n");
            assertThat(c.readUntilClosed()).isEmpty();
        }
        try (RawClient c = client()) {
            c.send("SUB foo queue 1 extra\r\nPING\r\n");
            assertThat(c.readUntilClosed()).isEmpty();
        }
        bystanderStillWorks();
    }

    @Test
    void publishToAWildcardSubjectIsRefusedInPedanticMode() throws IOException {
        try (RawClient c = RawClient.connect(node.clientPort())) {
            c.send("CONNECT {\"verbose\":false,\"pedantic\":true}\r\nPUB foo.* 1\r\na\r\nPING\r\n");
            assertThat(c.readLine()).isEqualTo("-ERR 'Invalid Publish Subject'");
            assertThat(c.readLine()).isEqualTo("PONG");
        }
        bystanderStillWorks();
    }

    @Test
    void malformedConnectJsonClosesTheConnection() throws IOException {
        for (String bad : new String[] {"CONNECT {\"verbose\":false\r\n", "CONNECT [1,2]\r\n",
                "CONNECT {\"verbose\":\"yes\"}\r\n", "CONNECT\r\n", "CONNECT {\"protocol\":\"one\"}\r\n"}) {
            try (RawClient c = RawClient.connect(node.clientPort())) {
                c.send(bad + "PING\r\n");
                assertThat(c.readUntilClosed()).as(bad).isEmpty();
            }
        }
        bystanderStillWorks();
    }

    @Test
    void connectWithAnUnknownProtocolVersionIsRefused() throws IOException {
        try (RawClient c = RawClient.connect(node.clientPort())) {
            c.send("CONNECT {\"verbose\":false,\"protocol\":2}\r\nPING\r\n");
            assertThat(c.readUntilClosed()).isEqualTo("-ERR 'invalid client protocol'\r\n");
        }
        bystanderStillWorks();
    }

    @Test
    void noRespondersWithoutHeadersIsRefused() throws IOException {
        try (RawClient c = RawClient.connect(node.clientPort())) {
            c.send("CONNECT {\"verbose\":false,\"no_responders\":true}\r\nPING\r\n");
            assertThat(c.readUntilClosed()).isEqualTo("-ERR 'no responders requires headers support'\r\n");
        }
        bystanderStillWorks();
    }

    @Test
    void sizeThatIsNotANumberOrNegativeClosesWithoutError() throws IOException {
        for (String bad : new String[] {"PUB foo -1\r\n", "PUB foo abc\r\n", "PUB foo\r\n", "PUB a b c 3\r\n",
                "HPUB foo x 3\r\n", "HPUB foo 5 3\r\nabc\r\n", "PUB foo 1234567890\r\n"}) {
            try (RawClient c = client()) {
                c.send(bad + "PING\r\n");
                assertThat(c.readUntilClosed()).as(bad).isEmpty();
            }
        }
        bystanderStillWorks();
    }

    @Test
    void headerPublishWithoutHeaderSupportClosesTheConnection() throws IOException {
        try (RawClient c = RawClient.connect(node.clientPort())) {
            c.send("CONNECT {\"verbose\":false}\r\nHPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\nPING\r\n");
            assertThat(c.readUntilClosed()).isEmpty();
        }
        bystanderStillWorks();
    }

    @Test
    void unsubscribeWithMaxDeliversExactlyThatManyMessages() throws IOException {
        try (RawClient c = client()) {
            c.send("SUB limited 7\r\nUNSUB 7 3\r\n");
            for (int i = 0; i < 10; i++) {
                c.send("PUB limited 1\r\n" + i + "\r\n");
            }
            c.send("PING\r\n");
            for (int i = 0; i < 3; i++) {
                assertThat(c.readLine()).isEqualTo("MSG limited 7 1");
                assertThat(c.readLine()).isEqualTo(Integer.toString(i));
            }
            assertThat(c.readLine()).isEqualTo("PONG");
        }
    }

    @Test
    void verboseClientsGetOkForEachOperationByDefault() throws IOException {
        try (RawClient c = RawClient.connect(node.clientPort())) {
            c.send("CONNECT {}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n");
            assertThat(c.readLine()).isEqualTo("+OK");
            assertThat(c.readLine()).isEqualTo("+OK");
            assertThat(c.readLine()).isEqualTo("+OK");
            assertThat(c.readLine()).isEqualTo("MSG foo 1 2");
            assertThat(c.readLine()).isEqualTo("hi");
            assertThat(c.readLine()).isEqualTo("PONG");
        }
    }

    @Test
    void operationNamesAreCaseInsensitiveAndArgumentsMaySeparateWithTabs() throws IOException {
        try (RawClient c = client()) {
            c.send("sub\tlower\t 5\r\npub lower  3\r\nabc\r\nping\r\n");
            assertThat(c.readLine()).isEqualTo("MSG lower 5 3");
            assertThat(c.readLine()).isEqualTo("abc");
            assertThat(c.readLine()).isEqualTo("PONG");
        }
    }

    @Test
    void noRespondersStatusGoesToTheRequesterOnItsReplySubscription() throws IOException {
        try (RawClient c = RawClient.connect(node.clientPort())) {
            c.send("CONNECT {\"verbose\":false,\"headers\":true,\"no_responders\":true}\r\n"
                    + "SUB _INBOX.x 9\r\nPUB nobody _INBOX.x 1\r\na\r\nPING\r\n");
            String headers = "NATS/1.0 503\r\nNats-Subject: nobody\r\n\r\n";
            assertThat(c.readLine()).isEqualTo("HMSG _INBOX.x 9 " + headers.length() + " " + headers.length());
            assertThat(c.readLine()).isEqualTo("NATS/1.0 503");
            assertThat(c.readLine()).isEqualTo("Nats-Subject: nobody");
            assertThat(c.readLine()).isEmpty();
            assertThat(c.readLine()).isEmpty();
            assertThat(c.readLine()).isEqualTo("PONG");
        }
    }

    @Test
    void aMessageSplitAcrossManyWritesArrivesWhole() throws IOException {
        try (RawClient c = client()) {
            c.send("SUB split 1\r\nPING\r\n");
            assertThat(c.readLine()).isEqualTo("PONG");
            String payload = "x".repeat(200_000);
            byte[] frame = ("PUB split 200000\r\n" + payload + "\r\nPING\r\n").getBytes();
            for (int i = 0; i < frame.length; i += 997) {
                c.send(java.util.Arrays.copyOfRange(frame, i, Math.min(frame.length, i + 997)));
            }
            assertThat(c.readLine()).isEqualTo("MSG split 1 200000");
            assertThat(c.readLine()).isEqualTo(payload);
            assertThat(c.readLine()).isEqualTo("PONG");
        }
    }

    @Test
    void infoCarriesNatsServerFields() throws IOException {
        try (RawClient c = RawClient.connect(node.clientPort())) {
            String info = c.info();
            assertThat(info).startsWith("INFO {");
            assertThat(info).contains("\"server_id\":\"N", "\"server_name\":", "\"version\":", "\"proto\":1",
                    "\"host\":", "\"port\":" + node.clientPort(), "\"headers\":true", "\"max_payload\":1048576",
                    "\"client_id\":", "\"client_ip\":\"127.0.0.1\"");
        }
    }

    @Test
    void serverClosesAConnectionThatIgnoresItsPings() throws IOException {
        node.shutdown();
        node = JetraftNode.start(TestConfigs.node().ping(Duration.ofMillis(200), 2).build());
        bystander.close();
        try (RawClient silent = RawClient.connect(node.clientPort())) {
            silent.send(CONNECT);
            assertThat(silent.readLine()).isEqualTo("PING");
            assertThat(silent.readLine()).isEqualTo("PING");
            assertThat(silent.readLine()).isEqualTo("-ERR 'Stale Connection'");
            assertThat(silent.closedByServer()).isTrue();
        }
        try (RawClient answering = RawClient.connect(node.clientPort())) {
            answering.send(CONNECT);
            for (int i = 0; i < 5; i++) {
                assertThat(answering.readLine()).isEqualTo("PING");
                answering.send("PONG\r\n");
            }
        }
        bystander = RawClient.connect(node.clientPort());
        bystander.send(CONNECT + "SUB bystander 1\r\nPING\r\n");
        assertThat(bystander.readLine()).isEqualTo("PONG");
    }

    @Test
    void connectionsOverMaxConnectionsAreRefused() throws IOException {
        node.shutdown();
        node = JetraftNode.start(TestConfigs.node().maxConnections(2).build());
        bystander = RawClient.connect(node.clientPort());
        bystander.send(CONNECT + "SUB bystander 1\r\nPING\r\n");
        assertThat(bystander.readLine()).isEqualTo("PONG");
        try (RawClient second = client(); RawClient third = RawClient.connect(node.clientPort())) {
            second.send("PING\r\n");
            assertThat(second.readLine()).isEqualTo("PONG");
            assertThat(third.info()).startsWith("INFO ");
            assertThat(third.readUntilClosed()).isEqualTo("-ERR 'maximum connections exceeded'\r\n");
        }
        bystanderStillWorks();
    }
}
