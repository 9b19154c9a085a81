package io.escrow.cli;

import com.google.protobuf.ByteString;
import io.escrow.proto.v1.ConsentKeyRetirementRequest;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.EscrowKeyInfo;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.KeyRetirement;
import io.escrow.proto.v1.KeyRetirementConsent;
import io.escrow.proto.v1.ListEscrowKeysRequest;
import io.escrow.proto.v1.RetireEscrowKeyRequest;
import io.escrow.retirement.RetirementStatement;
import io.escrow.retirement.ShareDestroyedStatement;
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
 * Retiring a key: each custodian signs its consent ({@code escrowctl custodian retire}), then an
 * operator retires it ({@code escrowctl keys retire}), and every consenting agent destroys its
 * share. The consents are the safeguard; the operator's command alone destroys nothing.
 */
final class KeyRetirementCommands {
    private KeyRetirementCommands() {}

    @Command(name = "retire", mixinStandardHelpOptions = true,
        header = "Consent, as a custodian, to retiring one escrow key.",
            description = {"Consent, as a custodian, to retiring one escrow key: signs an escrow/v1/key-retirement statement",
                    "naming you, the key and its public key, with your key (PEM files or a smart card), and gives it to your",
                    "own agent through the service. Once enough custodians consent, escrowctl keys retire has each consenting",
                    "agent destroy its share of the key: nothing sealed to it can be recovered after that, by anyone."})
    static final class Consent implements Callable<Integer> {
        @Option(names = "--key-id", required = true, description = "The key to retire, e.g. ek-2026-01.")
        String keyId;

        @Option(names = "--custodian", required = true, description = "Your custodian id, e.g. custodian-1.")
        String custodianId;

        @Mixin
        SignerOptions signer;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            SignerOptions.Ready key = signer.open();
            PrintStream shown = output.json ? System.err : System.out;
            KeyRetirementConsent answer = channels.call(channel -> {
                EscrowKeyInfo info = EscrowServiceGrpc.newBlockingStub(channel).listEscrowKeys(ListEscrowKeysRequest.getDefaultInstance())
                        .getKeysList().stream().filter(k -> k.getKey().getKeyId().equals(keyId)).findFirst()
                        .orElseThrow(() -> CliException.refused("the service lists no key " + keyId));
                if (!info.getCustodianIdsList().contains(custodianId)) {
                    throw CliException.refused("key " + keyId + " has no share of " + custodianId + "; its custodians are "
                            + info.getCustodianIdsList());
                }
                byte[] statement;
                try {
                    statement = new RetirementStatement(custodianId, keyId, info.getKey().getPublicKey().toByteArray()).encode();
                } catch (RuntimeException e) {
                    throw CliException.usage("cannot make the retirement statement: " + e.getMessage());
                }
                shown.println("the consent you sign (your agent destroys its share of this key when it is retired):");
                new String(statement, StandardCharsets.UTF_8).lines().forEach(l -> shown.println("  | " + l));
                SignerOptions.Signed signed = key.sign(statement);
                return CustodianServiceGrpc.newBlockingStub(channel).consentKeyRetirement(ConsentKeyRetirementRequest.newBuilder()
                        .setCustodianId(custodianId).setKeyId(keyId).setStatement(ByteString.copyFrom(statement))
                        .setCmsSignature(ByteString.copyFrom(signed.cms())).build());
            });
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("custodian_id", answer.getCustodianId());
            doc.put("key_id", answer.getKeyId());
            doc.put("consented_at", WarrantView.instant(answer.getConsentedAt().getSeconds()));
            doc.put("destroyed", answer.getDestroyed());
            output.print(doc, o -> o.printf("custodian %s consented to retiring key %s (%s)%s%n", custodianId, keyId,
                    doc.get("consented_at"), answer.getDestroyed() ? "; its share is already destroyed" : ""));
            return 0;
        }
    }

    @Command(name = "retire", mixinStandardHelpOptions = true,
        header = "Retire an escrow key: its custodians' agents destroy their shares.",
            description = {"Retire an escrow key (crypto-shredding). Needs the signed consent of enough custodians (escrowctl",
                    "custodian retire) that fewer than t shares could survive: each consenting agent destroys its share in its",
                    "token, checks it is gone and signs that. The key's deposits are then dropped, a key_retired leaf is logged,",
                    "and deposits under it are refused. Irreversible. Re-running it finishes an interrupted retirement."})
    static final class Retire implements Callable<Integer> {
        @Option(names = "--key-id", required = true, description = "The key to retire (never the current one: rotate first).")
        String keyId;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            KeyRetirement r = channels.call(channel -> EscrowServiceGrpc.newBlockingStub(channel)
                    .retireEscrowKey(RetireEscrowKeyRequest.newBuilder().setKeyId(keyId).build()));
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("key_id", r.getKeyId());
            doc.put("retired_at", WarrantView.instant(r.getRetiredAt().getSeconds()));
            doc.put("audit_index", r.getAuditIndex());
            doc.put("deposits_dropped", r.getDepositsDropped());
            doc.put("consented", r.getConsentedList());
            List<Map<String, Object>> destroyed = r.getDestroyedList().stream().map(d -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("custodian_id", d.getCustodianId());
                m.put("statement", new String(d.getStatement().toByteArray(), StandardCharsets.UTF_8));
                m.put("cms_signature", Hex.toHexString(d.getCmsSignature().toByteArray()));
                return m;
            }).toList();
            doc.put("destroyed", destroyed);
            output.print(doc, o -> {
                o.printf("key %s is retired (%s, audit index %d): %,d deposits dropped%n", r.getKeyId(), doc.get("retired_at"),
                        r.getAuditIndex(), r.getDepositsDropped());
                if (destroyed.isEmpty()) {
                    o.println("  (it was retired before; this run only finished dropping its deposits, if any were left)");
                }
                for (var d : r.getDestroyedList()) {
                    ShareDestroyedStatement s = ShareDestroyedStatement.decode(d.getStatement().toByteArray());
                    o.printf("  %s: share destroyed at %s (signed statement, consent sha256 %s)%n", d.getCustodianId(),
                            WarrantView.instant(s.destroyedAt()), Hex.toHexString(s.retirementSha256()));
                }
            });
            return 0;
        }
    }
}
