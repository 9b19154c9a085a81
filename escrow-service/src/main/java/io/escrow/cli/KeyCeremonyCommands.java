package io.escrow.cli;

import com.google.protobuf.ByteString;
import io.escrow.agent.KeyAttestor;
import io.escrow.ceremony.CeremonyStatement;
import io.escrow.proto.v1.ConsentKeyCeremonyRequest;
import io.escrow.proto.v1.CreateEscrowKeyRequest;
import io.escrow.proto.v1.CreatedEscrowKey;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.EscrowKey;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.KeyCeremonyConsent;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bouncycastle.util.encoders.Hex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A new key through the custodians' agents: each custodian signs its consent to the key's terms
 * ({@code escrowctl custodian ceremony-consent}), then an operator runs the ceremony
 * ({@code escrowctl keys create}). Each share goes sealed to its custodian's agent, which imports
 * it into the token it holds the PIN of; no one holds all the PINs.
 */
final class KeyCeremonyCommands {
    private KeyCeremonyCommands() {}

    @Command(name = "ceremony-consent", mixinStandardHelpOptions = true,
            header = "Consent, as a custodian, to taking your share of a new escrow key.",
            description = {"Consent, as a custodian, to a new escrow key's ceremony: signs an escrow/v1/key-ceremony statement",
                    "naming you, the new key_id, t and the n custodians in share order, with your key (PEM files or a smart",
                    "card), and gives it to your own agent through the service. Your agent then takes into your token only",
                    "your share of a key with exactly these terms, sealed to a transport key it signs, and attests it."})
    static final class Consent implements Callable<Integer> {
        @Option(names = "--key-id", required = true, description = "The new key's id, e.g. ek-2027-01.")
        String keyId;

        @Option(names = "--custodian", required = true, description = "Your custodian id, e.g. custodian-1.")
        String custodianId;

        @Option(names = "--threshold", required = true, description = "t: how many custodians together can decrypt.")
        int threshold;

        @Option(names = "--custodians", required = true, split = ",",
                description = "All n custodians, in share order, including you (e.g. custodian-1,custodian-2,custodian-3).")
        List<String> custodians;

        @Mixin
        SignerOptions signer;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            byte[] statement;
            try {
                statement = new CeremonyStatement(custodianId, keyId, threshold, custodians).encode();
            } catch (RuntimeException e) {
                throw CliException.usage("cannot make the ceremony statement: " + e.getMessage());
            }
            SignerOptions.Ready key = signer.open();
            PrintStream shown = output.json ? System.err : System.out;
            shown.println("the consent you sign (your agent takes your share of exactly this key into your token):");
            new String(statement, StandardCharsets.UTF_8).lines().forEach(l -> shown.println("  | " + l));
            SignerOptions.Signed signed = key.sign(statement);
            KeyCeremonyConsent answer = channels.call(channel -> CustodianServiceGrpc.newBlockingStub(channel)
                    .consentKeyCeremony(ConsentKeyCeremonyRequest.newBuilder().setCustodianId(custodianId).setKeyId(keyId)
                            .setStatement(ByteString.copyFrom(statement)).setCmsSignature(ByteString.copyFrom(signed.cms())).build()));
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("custodian_id", answer.getCustodianId());
            doc.put("key_id", answer.getKeyId());
            doc.put("consented_at", WarrantView.instant(answer.getConsentedAt().getSeconds()));
            doc.put("share_received", answer.getShareReceived());
            output.print(doc, o -> o.printf("custodian %s consented to taking share %d of key %s (%d of %d; %s)%s%n", custodianId,
                    custodians.indexOf(custodianId) + 1, keyId, threshold, custodians.size(), doc.get("consented_at"),
                    answer.getShareReceived() ? "; the share is already in the token" : ""));
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            header = "Create a new escrow key through the custodians' agents (rotation).",
            description = {"Create a new escrow key through the custodians' own agents. Needs every custodian's signed consent",
                    "to this key_id and t (escrowctl custodian ceremony-consent). The service generates and splits the key,",
                    "seals each share to its custodian's agent, and records the key once every agent has imported and attested",
                    "its share; providers are then served the new key. Old keys stay usable for recovery."})
    static final class Create implements Callable<Integer> {
        @Option(names = "--key-id", required = true, description = "The new key's id, e.g. ek-2027-01.")
        String keyId;

        @Option(names = "--threshold", defaultValue = "0", description = "t (default: the service's escrow.key.threshold).")
        int threshold;

        @Option(names = "--record-out", description = "Write the key record JSON here (default: ./<key_id>.json, only when the "
                + "service could not record it itself, e.g. a read-only key directory on Kubernetes).")
        java.nio.file.Path recordOut;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            if (threshold < 0) {
                throw CliException.usage("--threshold must be at least 0 (0: the service's default)");
            }
            CreatedEscrowKey created = channels.call(channel -> EscrowServiceGrpc.newBlockingStub(channel)
                    .createEscrowKey(CreateEscrowKeyRequest.newBuilder().setKeyId(keyId).setThreshold(threshold).build()));
            EscrowKey k = created.getKey();
            java.nio.file.Path written = recordOut != null ? recordOut
                    : created.getRecorded() ? null : java.nio.file.Path.of(keyId + ".json");
            if (written != null) {
                CliFiles.write("--record-out", written, created.getKeyRecord().toByteArray());
            }
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("key_id", k.getKeyId());
            doc.put("public_key", Hex.toHexString(k.getPublicKey().toByteArray()));
            doc.put("threshold", k.getThreshold());
            doc.put("custodians", k.getCustodianCount());
            List<Map<String, Object>> attestations = k.getAttestationsList().stream().map(a -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("custodian_id", a.getCustodianId());
                m.put("statement", new String(a.getStatement().toByteArray(), StandardCharsets.UTF_8));
                return m;
            }).toList();
            doc.put("attestations", attestations);
            doc.put("recorded", created.getRecorded());
            if (written != null) {
                doc.put("record_file", written.toString());
            }
            output.print(doc, o -> {
                o.printf("key %s created, %d of %d: %s%n", k.getKeyId(), k.getThreshold(), k.getCustodianCount(), doc.get("public_key"));
                k.getAttestationsList().forEach(a -> o.printf("  %s attested its share (%s)%n", a.getCustodianId(),
                        KeyAttestor.HEADER));
                if (!created.getRecorded()) {
                    o.printf("the service could not record it (%s): publish %s as every replica's key record "
                            + "(docs/operations.md, Key rotation); it is served once published%n", created.getNotRecordedReason(), written);
                } else if (written != null) {
                    o.printf("key record written to %s%n", written);
                }
            });
            return 0;
        }
    }
}
