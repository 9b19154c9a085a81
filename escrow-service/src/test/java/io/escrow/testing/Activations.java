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
}
