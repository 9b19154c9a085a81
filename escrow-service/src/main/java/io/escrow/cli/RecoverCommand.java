package io.escrow.cli;

import io.escrow.cms.PemFiles;
import io.escrow.hpke.ContractLabels;
import io.escrow.hpke.Hpke;
import io.escrow.hpke.HpkeSuite;
import io.escrow.proto.v1.RecoverRequest;
import io.escrow.proto.v1.RecoveredKey;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.transport.RecoveryTrailers;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.util.encoders.Hex;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** escrowctl recover: what the recipient agency runs. */
@Command(name = "recover", mixinStandardHelpOptions = true, description = "Recipient tools: make a recipient key, recover and open keys.",
        subcommands = {RecoverCommand.Keygen.class, RecoverCommand.Open.class, CommandLine.HelpCommand.class})
public final class RecoverCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Create a P-256 recipient key; prints the public key to put in a warrant's recipient_public_key.")
    static final class Keygen implements Callable<Integer> {
        @Option(names = "--out", required = true, description = "where to write the private key (PEM PKCS#8, mode 0600)")
        Path out;

        @Override
        public Integer call() throws Exception {
            Hpke.KeyPair kp = Hpke.generateKeyPair(new SecureRandom());
            writePrivate(out, kp);
            System.out.println("recipient private key: " + out);
            System.out.println("recipient_public_key:  " + Hex.toHexString(kp.publicKeyBytes()));
            return 0;
        }
    }

    static void writePrivate(Path out, Hpke.KeyPair kp) throws Exception {
        java.security.AlgorithmParameters params = java.security.AlgorithmParameters.getInstance("EC");
        params.init(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.spec.ECParameterSpec p256 = params.getParameterSpec(java.security.spec.ECParameterSpec.class);
        var key = KeyFactory.getInstance("EC").generatePrivate(new java.security.spec.ECPrivateKeySpec(kp.secret(), p256));
        Files.deleteIfExists(out);
        Files.createFile(out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(out, PemFiles.pem(key));
    }

    static Hpke.KeyPair readPrivate(Path file) throws Exception {
        if (!(PemFiles.readPrivateKey(file) instanceof ECPrivateKey ec)) {
            throw new IllegalStateException(file + " is not an EC private key");
        }
        return new Hpke.KeyPair(ec.getS());
    }

    @Command(name = "open", mixinStandardHelpOptions = true,
            description = {"Run Recover for a warrant and open every released key with the recipient's private key.",
                    "Prints one line per record: record_id, subject_id, covers window, session key (hex)."})
    static final class Open implements Callable<Integer> {
        @Option(names = "--warrant", required = true, description = "The warrant_id.")
        String warrantId;

        @Option(names = "--recipient-key", required = true, description = "the recipient's private key (PEM)")
        Path recipientKey;

        @Option(names = "--only-new", description = "Skip records this warrant already released.")
        boolean onlyNew;

        @Mixin
        ClientChannels channels;

        @Override
        public Integer call() throws Exception {
            Hpke.KeyPair recipient = readPrivate(recipientKey);
            ManagedChannel channel = channels.open();
            try {
                int[] counts = openAll(channel, warrantId, recipient, onlyNew, System.out);
                System.err.println("opened " + counts[0] + " key(s)" + (counts[1] > 0 ? ", " + counts[1] + " FAILED to open" : ""));
                return counts[1] == 0 ? 0 : 1;
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /**
     * Streams and opens, one line per record; returns {opened, failed}. Failed counts the keys
     * this recipient key does not open and the records the service could not open, which it
     * names in the stream's trailers (and audits as release_failed).
     */
    public static int[] openAll(io.grpc.Channel channel, String warrantId, Hpke.KeyPair recipient, boolean onlyNew, PrintStream out) {
        Hpke hpke = new Hpke(HpkeSuite.P256_SHA256_AES256GCM);
        byte[] info = ContractLabels.recoveryInfo(warrantId);
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        Iterator<RecoveredKey> it = RecoveryServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers))
                .recover(RecoverRequest.newBuilder().setWarrantId(warrantId).setOnlyNew(onlyNew).build());
        int opened = 0;
        int failed = 0;
        while (it.hasNext()) {
            RecoveredKey k = it.next();
            byte[] key = hpke.openOrNull(recipient, k.getEnc().toByteArray(), info,
                    ContractLabels.recoveryAad(k.getRecordId()), k.getSealedKey().toByteArray());
            if (key == null) {
                failed++;
                out.println(k.getRecordId() + "\t" + k.getSubjectId() + "\tFAILED: not sealed to this recipient key");
            } else {
                opened++;
                out.println(k.getRecordId() + "\t" + k.getSubjectId() + "\t" + k.getCoversFrom().getSeconds() + ".."
                        + k.getCoversUntil().getSeconds() + "\t" + Hex.toHexString(key) + "\t(audit index " + k.getAuditIndex() + ")");
                Arrays.fill(key, (byte) 0);
            }
        }
        Metadata t = trailers.get();
        int failedInService = t == null ? 0 : Integer.parseInt(Optional.ofNullable(t.get(RecoveryTrailers.FAILED)).orElse("0"));
        if (failedInService > 0) {
            List<String> named = Optional.ofNullable(t.get(RecoveryTrailers.FAILED_RECORDS)).map(v -> List.of(v.split(","))).orElse(List.of());
            for (String recordId : named) {
                out.println(recordId + "\t-\tFAILED: the service could not open it with the custodians' shares (audit: release_failed)");
            }
            if (failedInService > named.size()) {
                out.println("... and " + (failedInService - named.size()) + " more record(s) the service could not open (audit: release_failed)");
            }
            failed += failedInService;
        }
        String retired = t == null ? null : t.get(RecoveryTrailers.RETIRED_KEYS);
        if (retired != null) {
            // Not a failure: the deposits are gone by design, and the service says which keys took them.
            System.err.println("note: escrow key(s) " + retired + " are retired: their shares were destroyed and their deposits "
                    + "dropped, so no record under them was or can be recovered");
        }
        return new int[] {opened, failed};
    }
}
