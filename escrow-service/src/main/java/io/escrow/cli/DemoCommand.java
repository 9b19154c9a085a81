package io.escrow.cli;

import io.escrow.config.EscrowSettings;
import io.escrow.hpke.Hpke;
import io.escrow.proto.v1.DepositReceipt;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetEscrowKeyRequest;
import io.escrow.proto.v1.Warrant;
import io.escrow.warrant.DemoAuthorities;
import io.grpc.ManagedChannel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.bouncycastle.util.encoders.Hex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * escrowctl demo: the whole story against a running development service, one step at a time:
 * deposit, file a warrant, approve it as court and as ministry, recover, and open the keys.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "Play the whole story once against a development service.",
        description = {"Walk through deposit -> warrant -> approvals -> recovery -> opening against a running",
                "service on the embedded development defaults (start it with: escrowctl serve).",
                "Files it makes (signed bytes, approvals, recipient key) go to <data-dir>/demo/."})
final class DemoCommand implements Callable<Integer> {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Mixin
    ClientChannels channels;

    private final PrintStream out = System.out;
    private int step;

    @Override
    public Integer call() throws Exception {
        EscrowSettings settings = CliConfig.settings(null, Map.of());
        Path dir = Files.createDirectories(settings.dataDir().resolve("demo"));
        for (String a : DemoAuthorities.NAMES) {
            if (!Files.exists(DemoAuthorities.signerKey(settings.dataDir(), a))) {
                System.err.println("escrowctl: no demo authority '" + a + "' under " + DemoAuthorities.dir(settings.dataDir())
                        + ". Start the service on the embedded defaults first (same ESCROW_DATA_DIR), then run demo.");
                return 2;
            }
        }
        ManagedChannel channel = channels.open();
        try {
            run(channel, settings.dataDir(), dir);
        } finally {
            channel.shutdownNow();
        }
        return 0;
    }

    private void run(ManagedChannel channel, Path dataDir, Path dir) throws Exception {
        var escrow = EscrowServiceGrpc.newBlockingStub(channel);

        heading("The messaging provider fetches the escrow public key");
        EscrowKey key = escrow.getEscrowKey(GetEscrowKeyRequest.getDefaultInstance());
        out.printf("  key_id %s, %d of %d custodians, public key %s...%n", key.getKeyId(), key.getThreshold(),
                key.getCustodianCount(), Hex.toHexString(key.getPublicKey().toByteArray()).substring(0, 24));

        heading("It deposits three session keys, HPKE-sealed to that key (RFC 9180)");
        String run = Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
        String alice = "alice-" + run + "@example.org";
        String bob = "bob-" + run + "@example.org";
        long t0 = Instant.now().getEpochSecond() - 3600;
        Map<String, byte[]> sessionKeys = new HashMap<>();
        for (Object[] d : List.of(new Object[] {alice, t0, t0 + 600}, new Object[] {alice, t0 + 600, t0 + 1200},
                new Object[] {bob, t0, t0 + 600})) {
            byte[] sk = new byte[32];
            RANDOM.nextBytes(sk);
            DepositReceipt r = escrow.deposit(SealedDeposits.seal(key, (String) d[0], (Long) d[1], (Long) d[2], sk, RANDOM)
                    .setProviderRecordId(UUID.randomUUID().toString()).build());
            sessionKeys.put(r.getRecordId(), sk);
            out.printf("  %-40s record %s, audit index %d, session key %s%n", d[0], r.getRecordId(), r.getAuditIndex(),
                    Hex.toHexString(sk));
        }

        heading("The agency makes a recipient key and files a warrant for " + alice + " only (escrowctl warrant file)");
        Hpke.KeyPair recipient = Hpke.generateKeyPair(RANDOM);
        Path recipientKey = dir.resolve("recipient-" + run + ".key");
        RecoverCommand.writePrivate(recipientKey, recipient);
        Path signedBytes = dir.resolve("warrant-" + run + ".signed.txt");
        WarrantFileCommand filing = new WarrantFileCommand();
        new picocli.CommandLine(filing).parseArgs(party("--case-reference", "DEMO-" + run, "--agency", "Demo Agency",
                "--subject", alice, "--covers-from", Long.toString(t0), "--covers-until", Long.toString(t0 + 1800),
                "--not-after", "now+1d", "--max-records", "10", "--recipient-key", recipientKey.toString(),
                "--out", signedBytes.toString()));
        Warrant w = filing.file();

        for (String authority : DemoAuthorities.NAMES) {
            heading("The " + authority + " reads those exact bytes, signs them and approves (escrowctl warrant approve)");
            must(EscrowCtl.execute(party("warrant", "approve", "--warrant", w.getWarrantId(), "--yes",
                    "--cert", DemoAuthorities.signerCertificate(dataDir, authority).toString(),
                    "--key", DemoAuthorities.signerKey(dataDir, authority).toString())));
        }

        consent(channel, dataDir, w, key.getThreshold());

        heading("The agency recovers: t custodian tokens decrypt, the service re-seals each key to the recipient");
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        int[] counts = RecoverCommand.openAll(channel, w.getWarrantId(), recipient, false,
                new PrintStream(lines, true, StandardCharsets.UTF_8));
        int matched = 0;
        for (String line : lines.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            boolean same = f.length > 3 && sessionKeys.containsKey(f[0]) && f[3].equals(Hex.toHexString(sessionKeys.get(f[0])));
            matched += same ? 1 : 0;
            out.printf("  %s  %s  opened %s  %s%n", f[0], f[1], f.length > 3 ? f[3] : "-", same ? "= deposited key" : "MISMATCH");
        }
        heading("Result");
        out.printf("  %d of %d released keys opened with the recipient key and match what was deposited; %s's record was "
                + "never released.%n", matched, counts[0], bob);
        out.printf("  Every step above is a leaf in the audit log. Recover again with:%n"
                + "    escrowctl recover open --warrant %s --recipient-key %s%n", w.getWarrantId(), recipientKey);
        if (matched != 2 || counts[1] != 0) {
            throw new IllegalStateException("the demo did not recover the two expected keys");
        }
    }

    /**
     * The consent step. With consent required, t custodians in a spread (1, 3, ...) consent with
     * their demo certificates: to their agents, or with their token PINs (files, in development)
     * where the service holds the tokens. Otherwise the step is explained.
     */
    private void consent(ManagedChannel channel, Path dataDir, Warrant w, int threshold) throws Exception {
        if (!DemoCustodians.consentRequired(channel, w.getWarrantId())) {
            heading("Custodian consent");
            out.println("  This development service logs in to the custodian tokens with its own PIN files "
                    + "(escrow.custodian.consent=standing-pins).");
            out.println("  In production the service holds no custodian PIN: each custodian runs its own agent beside its "
                    + "token (escrowctl custodian serve) and signs a consent to this warrant, and Recover refuses until t have.");
            out.println("  See it here: start the service with ESCROW_CUSTODIAN_CONSENT=required (the default) and run the demo again.");
            return;
        }
        List<String> chosen = DemoCustodians.spread(threshold);
        heading("Custodians " + String.join(" and ", chosen) + " review the warrant against their own copies of the "
                + "authorities' CAs and consent to this warrant only (escrowctl custodian activate)");
        Path anchors = Files.createDirectories(dataDir.resolve("demo").resolve("authorities"));
        for (String a : DemoAuthorities.NAMES) {
            Files.copy(DemoAuthorities.dir(dataDir).resolve(a).resolve("ca.pem"), anchors.resolve(a + ".pem"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        for (String c : chosen) {
            int exit = EscrowCtl.execute(party("custodian", "activate", "--warrant", w.getWarrantId(), "--custodian", c,
                    "--authorities", anchors.toString(), "--uses", "100", "--ttl", "PT10M",
                    "--cert", DemoAuthorities.signerCertificate(dataDir, c).toString(),
                    "--key", DemoAuthorities.signerKey(dataDir, c).toString()));
            if (exit != 0) {
                // The in-service token path (escrow.embedded.agents=false) wants the token PIN,
                // which escrowctl never sends: the development custodians use their PIN files.
                out.println("  " + c + ": this service holds the token itself; using the development PIN file instead");
                for (var consented : DemoCustodians.activate(channel, dataDir, w, List.of(c), 100)) {
                    out.printf("  %s: %s, %d uses left%n", c, consented.activation().getState(), consented.activation().getUsesLeft());
                }
            }
        }
    }

    /** The arguments a party's command gets, with this demo's --target and TLS settings. */
    private String[] party(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(List.of("--target", channels.target));
        if (channels.ca != null) {
            all.addAll(List.of("--tls-ca", channels.ca.toString()));
        }
        if (channels.cert != null) {
            all.addAll(List.of("--tls-cert", channels.cert.toString(), "--tls-key", channels.key.toString()));
        }
        return all.toArray(String[]::new);
    }

    private static void must(int exit) {
        if (exit != 0) {
            throw new IllegalStateException("a step of the demo failed (exit " + exit + "); see above");
        }
    }

    private void heading(String text) {
        out.printf("%n[%d] %s%n", ++step, text);
    }
}
