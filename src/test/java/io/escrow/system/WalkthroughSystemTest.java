package io.escrow.system;

import static io.escrow.system.WalkthroughFixture.AGENT_PORTS;
import static io.escrow.system.WalkthroughFixture.DOC;
import static io.escrow.system.WalkthroughFixture.root;
import static io.escrow.system.WalkthroughFixture.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * docs/walkthrough.md, run as written: every {@code sh} block of the document, in order and
 * verbatim, in one shell, against the service over mutual TLS with every party's own certificate
 * ({@link WalkthroughFixture}); then the parties' tools given bad input.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WalkthroughSystemTest {
    @BeforeAll
    static void start() throws Exception {
        WalkthroughFixture.start();
    }

    @AfterAll
    static void stop() throws Exception {
        WalkthroughFixture.stop();
    }

    @Test
    @Order(1)
    void everyShellBlockOfTheWalkthrough_runsVerbatim_andTellsTheWholeStory() throws Exception {
        String doc = Files.readString(DOC);
        Path script = root.resolve("walkthrough.sh");
        Files.writeString(script, "set -euo pipefail\n" + String.join("\n", WalkthroughFixture.blocks(doc, "sh")));
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).directory(root.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", ServiceProcess.LAUNCHER.getParent() + ":" + System.getenv("PATH"));
        pb.environment().put("ESCROW_TARGET", "localhost:" + service.grpcPort);
        pb.environment().put("CUSTODIAN_3_AGENT", "127.0.0.1:" + AGENT_PORTS.get("custodian-3"));
        pb.environment().put("SOFTHSM2_CONF", root.resolve("card/softhsm2.conf").toString());
        pb.environment().put("ESCROW_DATA_DIR", root.resolve("client-data").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        Files.writeString(root.resolve("walkthrough.out"), out);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);

        assertTrue(out.contains("READY"), out);
        assertTrue(out.contains("CURRENT"), out);
        assertTrue(out.contains("is now ACTIVE (approvals: court, ministry)"), out);
        assertTrue(out.contains("the policy is met by approvals you verified yourself."), out);
        assertTrue(out.contains("custodian custodian-1 consented") && out.contains("custodian custodian-3 consented"), out);
        assertTrue(out.contains("your agent at 127.0.0.1:" + AGENT_PORTS.get("custodian-3")), out);
        List<String> recovered = Files.readAllLines(root.resolve("agency/recovered.txt"));
        assertEquals(3, recovered.size(), String.join("\n", recovered));
        assertTrue(recovered.stream().allMatch(l -> l.contains("alice@example.org")), String.join("\n", recovered));
        assertTrue(out.contains("released so far: 3 of at most 10"), out);
        assertTrue(out.contains("OK: leaf 0"), out);
        assertTrue(out.contains("revocation accepted"), out);
        assertFalse(out.contains("246810"), "the card PIN is never printed");
        for (String id : List.of("custodian-1", "custodian-3")) {
            String pin = Files.readString(root.resolve(id).resolve("token.pin")).strip();
            assertFalse(service.logText().contains(pin), "no token PIN in the service log");
        }
    }

    private record Run(int exit, String output) {}

    /** escrowctl as {@code party}, with its certificate from the environment, in the walkthrough's directory. */
    private static Run escrowctl(String party, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ServiceProcess.LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true);
        pb.environment().put("ESCROW_TARGET", "localhost:" + service.grpcPort);
        pb.environment().put("ESCROW_TLS_CA", "pki/ca.pem");
        pb.environment().put("ESCROW_TLS_CERT", "pki/" + party + ".crt");
        pb.environment().put("ESCROW_TLS_KEY", "pki/" + party + ".key");
        pb.environment().put("SOFTHSM2_CONF", root.resolve("card/softhsm2.conf").toString());
        pb.environment().put("ESCROW_DATA_DIR", root.resolve("client-data").toString());
        pb.environment().put("CARD_PIN", Files.readString(root.resolve("custodian-1/card.pin")).strip());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        return new Run(p.exitValue(), out);
    }

    private static void assertOneLineError(Run r, int exit, String says) {
        assertEquals(exit, r.exit(), r.output());
        List<String> lines = r.output().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), "one line: " + r.output());
        assertTrue(lines.get(0).startsWith("escrowctl: ") && lines.get(0).contains(says), r.output());
        assertFalse(r.output().contains("\tat "), "no stack trace: " + r.output());
    }

    @Test
    @Order(2)
    void badInput_getsOneLineErrors_withExitCodes() throws Exception {
        String warrant = Files.readAllLines(root.resolve("agency/filed.txt")).get(0);
        assertOneLineError(escrowctl("agency", "warrant", "file", "--spec", "no-such-spec.yaml"), 2, "--spec no-such-spec.yaml: no such file");
        Files.writeString(root.resolve("agency/typo.yaml"), "case_reference: C-1\nsubjects: [alice@example.org]\n");
        assertOneLineError(escrowctl("agency", "warrant", "file", "--spec", "agency/typo.yaml"), 2, "unknown field 'subjects'");
        assertOneLineError(escrowctl("agency", "warrant", "show", "--warrant", "w-no-such-warrant"), 1,
                "warrant w-no-such-warrant does not exist");
        assertOneLineError(escrowctl("court", "warrant", "file", "--case-reference", "C", "--agency", "A", "--subject", "s",
                "--covers-from", "now-1d", "--covers-until", "now", "--not-after", "now+1d", "--max-records", "1",
                "--recipient-key", "agency/recipient.pem"), 1, "refused this call for your certificate's role");
        TestPki pki = new TestPki(root.resolve("pki-expired"), "walkthrough-expired");
        Path expired = pki.issueExpired("agency", "CN=agency,O=Federal Agency").cert();
        Run e = escrowctl("agency", "warrant", "list", "--tls-cert", expired.toString(), "--tls-key",
                root.resolve("pki-expired/agency.key").toString());
        assertOneLineError(e, 1, "expired on");
        String[] card = {"custodian", "activate", "--warrant", warrant, "--custodian", "custodian-1", "--no-review", "--key-alias", "consent"};
        assertOneLineError(escrowctl("custodian-1", concat(card, "--pkcs11-library", "/usr/lib/softhsm/libsofthsm2.so", "--token",
                "custodian-1-card", "--pin-file", "custodian-1/no-such.pin")), 2, "cannot read the PIN");
        assertOneLineError(escrowctl("custodian-1", concat(card, "--pkcs11-library", "/usr/lib/softhsm/libsofthsm2.so", "--token",
                "custodian-1-card", "--pin-env", "NO_SUCH_PIN_VARIABLE")), 2, "NO_SUCH_PIN_VARIABLE");
        assertOneLineError(escrowctl("custodian-1", concat(card, "--pkcs11-library", "/usr/lib/no-such-pkcs11.so", "--token",
                "custodian-1-card", "--pin-file", "custodian-1/card.pin")), 2, "--pkcs11-library /usr/lib/no-such-pkcs11.so: no such file");
        assertOneLineError(escrowctl("custodian-1", concat(card, "--pkcs11-library", "/usr/lib/softhsm/libsofthsm2.so", "--token",
                "no-such-card", "--pin-file", "custodian-1/card.pin")), 1, "no token labelled 'no-such-card'");

        // The service trusts the ministry's CA; this custodian's own anchors hold a different one under that name.
        Path own = Files.createDirectories(root.resolve("custodian-1/other-authorities"));
        Files.copy(root.resolve("custodian-1/authorities/court.pem"), own.resolve("court.pem"));
        Files.copy(new TestPki(root.resolve("pki-rogue"), "another-ministry").caPem(), own.resolve("ministry.pem"));
        Run review = escrowctl("custodian-1", "custodian", "review", "--warrant", warrant, "--authorities", own.toString());
        assertEquals(1, review.exit(), review.output());
        assertTrue(review.output().contains("ministry   DOES NOT VERIFY") && review.output().contains("the policy is NOT met"),
                review.output());
        Run activate = escrowctl("custodian-1", "custodian", "activate", "--warrant", warrant, "--custodian", "custodian-1",
                "--authorities", own.toString(), "--cert", "custodian-3/signer.pem", "--key", "custodian-3/signer.key");
        assertEquals(1, activate.exit(), activate.output());
        assertTrue(activate.output().contains("not consenting: the policy is not met"), activate.output());
    }

    /** audit follow, run as a monitor, serves its own metrics. */
    @Test
    @Order(3)
    void auditFollow_asAMonitor_servesItsOwnMetrics() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(ServiceProcess.LAUNCHER.toString(), "audit", "follow", "--interval", "PT1S",
                "--state", "overseer/monitor.state", "--metrics-port", Integer.toString(port)).directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(root.resolve("monitor.log").toFile());
        pb.environment().put("ESCROW_TARGET", "localhost:" + service.grpcPort);
        pb.environment().put("ESCROW_TLS_CA", "pki/ca.pem");
        pb.environment().put("ESCROW_TLS_CERT", "pki/overseer.crt");
        pb.environment().put("ESCROW_TLS_KEY", "pki/overseer.key");
        Process monitor = pb.start();
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.URI uri = java.net.URI.create("http://localhost:" + port + "/metrics");
            java.time.Instant deadline = java.time.Instant.now().plusSeconds(60);
            String body = "";
            while (!body.matches("(?s).*escrow_monitor_verified_tree_size [1-9].*")) {
                assertTrue(monitor.isAlive() && java.time.Instant.now().isBefore(deadline),
                        "metrics: " + body + "\nlog: " + Files.readString(root.resolve("monitor.log")));
                try {
                    body = http.send(java.net.http.HttpRequest.newBuilder(uri).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                } catch (java.io.IOException notYet) {
                    Thread.sleep(300);
                }
            }
            assertTrue(body.contains("escrow_monitor_last_verified_timestamp_seconds") && body.contains("escrow_monitor_leaves_verified_total"),
                    body);
        } finally {
            monitor.destroyForcibly();
        }
    }

    private static long treeSize(io.escrow.proto.v1.AuditServiceGrpc.AuditServiceBlockingStub audit) {
        String checkpoint = audit.withDeadlineAfter(10, TimeUnit.SECONDS).getTreeHead(
                io.escrow.proto.v1.GetTreeHeadRequest.getDefaultInstance()).getCheckpoint().toStringUtf8();
        return Long.parseLong(checkpoint.split("\n")[1]);
    }

    private static String json(String output, String field) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + field + "\" : \"([^\"]*)\"").matcher(output);
        assertTrue(m.find(), field + " in " + output);
        return m.group(1);
    }

    /** The commands the walkthrough does not show: a YAML spec, --json, deactivation both ways, and a monitor's alert. */
    @Test
    @Order(4)
    void theOtherCommands_overMutualTls_andAMonitorAlert() throws Exception {
        Files.writeString(root.resolve("agency/second.yaml"), """
                case_reference: CASE-2026-118
                requesting_agency: Federal Agency
                subject_ids: [bob@example.org]
                covers_from: 2023-11-14T00:00:00Z
                covers_until: 2023-11-16T00:00:00Z
                not_after: now+1d
                max_records: 5
                """);
        Run filed = escrowctl("agency", "warrant", "file", "--spec", "agency/second.yaml", "--recipient-key", "agency/recipient.pem",
                "--out", "agency/second.signed", "--json");
        assertEquals(0, filed.exit(), filed.output());
        String warrant = json(filed.output(), "warrant_id");
        assertEquals("PENDING", json(filed.output(), "state"));
        for (String authority : List.of("court", "ministry")) {
            Run approved = escrowctl(authority, "warrant", "approve", "--warrant", warrant, "--cert", authority + "/signer.pem",
                    "--key", authority + "/signer.key", "--json");
            assertEquals(0, approved.exit(), approved.output());
        }
        Run list = escrowctl("agency", "warrant", "list", "--state", "ACTIVE", "--json");
        assertTrue(list.output().contains(warrant), list.output());
        Run otherAgency = escrowctl("police", "warrant", "list", "--json");
        assertEquals(0, otherAgency.exit(), otherAgency.output());
        assertFalse(otherAgency.output().contains("w-"), "an agency sees only the warrants it filed: " + otherAgency.output());
        Run authority = escrowctl("court", "warrant", "list");
        assertTrue(authority.output().contains(warrant) && authority.output().contains("CASE-2026-117"), authority.output());

        String agent = "127.0.0.1:" + AGENT_PORTS.get("custodian-3");
        String[] atAgent = {"--agent", agent, "--agent-tls-ca", "pki/ca.pem", "--agent-tls-cert", "pki/custodian-3.crt",
                "--agent-tls-key", "pki/custodian-3.key"};
        Run consent = escrowctl("custodian-3", concat(new String[] {"custodian", "activate", "--warrant", warrant, "--custodian",
                "custodian-3", "--authorities", "custodian-3/authorities", "--cert", "custodian-3/signer.pem", "--key",
                "custodian-3/signer.key", "--json"}, atAgent));
        assertEquals(0, consent.exit(), consent.output());
        assertEquals("ACTIVE", json(consent.output(), "state"));
        assertEquals(5, Integer.parseInt(consent.output().replaceAll("(?s).*\"uses_left\" : (\\d+).*", "$1")), "uses default to max_records");
        Run off = escrowctl("custodian-3", concat(new String[] {"custodian", "deactivate", "--warrant", warrant, "--custodian",
                "custodian-3"}, atAgent));
        assertEquals(0, off.exit(), off.output());
        assertTrue(off.output().contains("is DEACTIVATED"), off.output());
        Run mine = escrowctl("custodian-3", concat(new String[] {"custodian", "list", "--custodian", "custodian-3"}, atAgent));
        assertTrue(mine.output().contains(warrant) && mine.output().contains("DEACTIVATED"), mine.output());

        Run one = escrowctl("custodian-1", "custodian", "activate", "--warrant", warrant, "--custodian", "custodian-1",
                "--no-review", "--pkcs11-library", "/usr/lib/softhsm/libsofthsm2.so", "--token", "custodian-1-card",
                "--key-alias", "consent", "--pin-env", "CARD_PIN");
        assertEquals(0, one.exit(), one.output());
        Run withdrawn = escrowctl("custodian-1", "custodian", "deactivate", "--warrant", warrant, "--custodian", "custodian-1");
        assertEquals(0, withdrawn.exit(), withdrawn.output());
        assertTrue(withdrawn.output().contains("is DEACTIVATED"), withdrawn.output());

        // The monitor is current; then a leaf it has not seen yet, already under a signed head, is changed in the database.
        assertEquals(0, escrowctl("overseer", "audit", "follow", "--once", "--state", "overseer/alert.state").exit());
        var audit = io.escrow.proto.v1.AuditServiceGrpc.newBlockingStub(WalkthroughFixture.tls("overseer"));
        long seen = treeSize(audit);
        Run more = escrowctl("agency", "warrant", "file", "--spec", "agency/second.yaml", "--recipient-key", "agency/recipient.pem",
                "--out", "agency/third.signed");
        assertEquals(0, more.exit(), more.output());
        java.time.Instant deadline = java.time.Instant.now().plusSeconds(60);
        while (treeSize(audit) <= seen) {
            assertTrue(java.time.Instant.now().isBefore(deadline), "no signed head covers the new leaf");
            Thread.sleep(200);
        }
        try (var c = java.sql.DriverManager.getConnection(service.embeddedJdbcUrl());
             var ps = c.prepareStatement("update audit_log set leaf = leaf || '\\x00'::bytea where idx = ?")) {
            ps.setLong(1, seen);
            assertEquals(1, ps.executeUpdate());
        }
        Run alert = escrowctl("overseer", "audit", "follow", "--once", "--state", "overseer/alert.state");
        assertEquals(1, alert.exit(), alert.output());
        assertTrue(alert.output().contains("ALERT: "), alert.output());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
