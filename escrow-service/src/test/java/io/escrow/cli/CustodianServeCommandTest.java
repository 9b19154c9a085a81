package io.escrow.cli;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.config.ConfigurationException;
import io.escrow.testing.TestAuthorities;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** escrowctl custodian serve refuses an incomplete or unsafe configuration before it touches a token. */
class CustodianServeCommandTest {
    @TempDir
    Path state;

    @BeforeAll
    static void pki() {
        new TestAuthorities().start();
    }

    private CustodianCommand.Serve parse(String... extra) {
        CustodianCommand.Serve serve = new CustodianCommand.Serve();
        String[] base = {"--custodian", "custodian-1", "--authorities", TestAuthorities.DIR.toString(),
                "--custodian-ca", TestAuthorities.DIR.resolve("custodian-1/ca.pem").toString(), "--state", state.toString(),
                "--log-key", state.resolve("log-key.der").toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        new CommandLine(serve).parseArgs(all);
        return serve;
    }

    private static void refused(CustodianCommand.Serve serve, String text) {
        ConfigurationException e = assertThrows(ConfigurationException.class, serve::start);
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void start_withoutExactlyOnePinSource_fails() {
        refused(parse(), "exactly one of --pin-file and --pin-env");
        refused(parse("--pin-file", "a", "--pin-env", "B"), "exactly one of --pin-file and --pin-env");
    }

    @Test
    void start_withPartOfTheTlsSettings_fails() {
        refused(parse("--pin-env", "X", "--tls-cert", "c.pem"), "all of --tls-cert, --tls-key and --tls-client-ca");
    }

    @Test
    void start_withAListenAddressWithoutPort_fails() {
        refused(parse("--pin-env", "X", "--listen", "localhost"), "--listen must be host:port");
    }

    @Test
    void start_inPlaintextOnANonLoopbackAddress_fails() {
        refused(parse("--pin-env", "X", "--listen", "0.0.0.0:9101"), "plaintext only on a loopback address");
    }

    @Test
    void start_withTlsButNoServiceSubject_fails() {
        refused(parse("--pin-env", "X", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-client-ca", "ca.pem"),
                "--service-subject must name the escrow service's client certificate");
    }

    @Test
    void start_withASubjectThatIsNoDistinguishedName_fails() {
        refused(parse("--pin-env", "X", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-client-ca", "ca.pem",
                "--service-subject", "not a name"), "is not a distinguished name");
    }
}
