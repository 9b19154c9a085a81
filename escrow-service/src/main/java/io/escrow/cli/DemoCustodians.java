package io.escrow.cli;

import com.google.protobuf.ByteString;
import io.escrow.proto.v1.ActivateShareRequest;
import io.escrow.proto.v1.Activation;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.Warrant;
import io.escrow.warrant.DemoAuthorities;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Development only: acts as the demo custodians, whose CAs and signers the embedded default
 * creates under {@code <data-dir>/demo-authorities} and whose token PINs are the provisioning
 * files. A real custodian signs on their own machine and types their own PIN.
 */
final class DemoCustodians {
    private DemoCustodians() {}

    /** t custodians spread over the set: custodian-1, custodian-3, ... */
    static List<String> spread(int threshold) {
        List<String> chosen = new ArrayList<>();
        for (int i = 1; chosen.size() < threshold; i += 2) {
            chosen.add("custodian-" + i);
        }
        return chosen;
    }

    static List<Activation> activate(ManagedChannel channel, Path dataDir, Warrant w, List<String> custodians, int maxUses)
            throws Exception {
        var stub = CustodianServiceGrpc.newBlockingStub(channel);
        List<Activation> out = new ArrayList<>();
        for (String c : custodians) {
            byte[] cms = DemoAuthorities.sign(dataDir, c, w.getSignedBytes().toByteArray());
            String pin = Files.readString(dataDir.resolve("hsm").resolve("pins").resolve(c + ".pin")).strip();
            out.add(stub.activateShare(ActivateShareRequest.newBuilder().setCustodianId(c).setWarrantId(w.getWarrantId())
                    .setCmsSignature(ByteString.copyFrom(cms)).setCredential(ByteString.copyFromUtf8(pin)).setMaxUses(maxUses)
                    .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(600)).build()));
        }
        return out;
    }

    /** Whether the service requires consent (CustodianService answers instead of refusing). */
    static boolean consentRequired(ManagedChannel channel, String warrantId) {
        try {
            CustodianServiceGrpc.newBlockingStub(channel).listActivations(
                    io.escrow.proto.v1.ListActivationsRequest.newBuilder().setWarrantId(warrantId).build());
            return true;
        } catch (io.grpc.StatusRuntimeException e) {
            if (e.getStatus().getCode() == io.grpc.Status.Code.FAILED_PRECONDITION) {
                return false;
            }
            throw e;
        }
    }
}
