package io.escrow.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import io.escrow.proto.v1.ActivateShareRequest;
import io.escrow.proto.v1.Warrant;
import java.io.IOException;
import java.nio.file.Files;

/** Custodian activations as the in-service token path takes them: the custodian's CMS consent and its token PIN. */
public final class Activations {
    private Activations() {}

    /** The PIN of a test custodian's SoftHSM token, generated when the tokens were provisioned. */
    public static String pin(String custodian) throws IOException {
        return Files.readString(TestTokens.hsmDir().resolve("pins").resolve(custodian + ".pin")).strip();
    }

    /** Custodian {@code custodian} activates for {@code w}, consent signed by {@code signer}: 100 uses, 10 minutes. */
    public static ActivateShareRequest.Builder request(Warrant w, String custodian, String signer) throws IOException {
        return ActivateShareRequest.newBuilder().setCustodianId(custodian).setWarrantId(w.getWarrantId())
                .setCmsSignature(Warrants.sign(w.getSignedBytes().toByteArray(), TestAuthorities.signer(signer)))
                .setCredential(ByteString.copyFromUtf8(pin(custodian))).setMaxUses(100)
                .setTtl(Duration.newBuilder().setSeconds(600));
    }

    /**
     * What an agent-backed custodian does on its own machine: reads the warrant and its approvals and
     * signs an escrow/v1/consent statement to exactly them with its demo certificate (no PIN).
     */
    public static ActivateShareRequest.Builder agentRequest(Warrant w, String custodian, int uses) throws IOException {
        java.util.SortedMap<String, byte[]> approvals = new java.util.TreeMap<>();
        w.getApprovalsList().forEach(a -> approvals.put(a.getAuthority(), a.getCmsSignature().toByteArray()));
        byte[] statement = io.escrow.consent.ConsentStatement.of(custodian, w.getWarrantId(), w.getSignedBytes().toByteArray(),
                approvals, uses, java.time.Instant.now().plusSeconds(600)).encode();
        return ActivateShareRequest.newBuilder().setCustodianId(custodian).setWarrantId(w.getWarrantId())
                .setConsentStatement(ByteString.copyFrom(statement))
                .setCmsSignature(ByteString.copyFrom(io.escrow.warrant.DemoAuthorities.sign(TestTokens.dataDir(), custodian, statement)));
    }
}
