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

    /** How each custodian consented: to its own agent, or with its token PIN to the service. */
    record Consented(Activation activation, boolean throughAgent) {}

    /**
     * Each custodian signs an escrow/v1/consent statement naming this warrant's exact bytes and
     * approvals, and gives it to its agent through the service, with no PIN. A service whose
     * custodians are not agent-backed answers "credential: is required": then the custodian signs
     * the warrant's bytes and sends its token PIN instead (the in-service token path).
     */
    static List<Consented> activate(ManagedChannel channel, Path dataDir, Warrant w, List<String> custodians, int maxUses)
            throws Exception {
        var stub = CustodianServiceGrpc.newBlockingStub(channel);
        Warrant current = io.escrow.proto.v1.WarrantServiceGrpc.newBlockingStub(channel).getWarrant(
                io.escrow.proto.v1.GetWarrantRequest.newBuilder().setWarrantId(w.getWarrantId()).build());
        java.util.SortedMap<String, byte[]> approvals = new java.util.TreeMap<>();
        current.getApprovalsList().forEach(a -> approvals.put(a.getAuthority(), a.getCmsSignature().toByteArray()));
        var ttl = com.google.protobuf.Duration.newBuilder().setSeconds(600);
        List<Consented> out = new ArrayList<>();
        for (String c : custodians) {
            byte[] statement = io.escrow.consent.ConsentStatement.of(c, w.getWarrantId(), current.getSignedBytes().toByteArray(),
                    approvals, maxUses, java.time.Instant.now().plusSeconds(600)).encode();
            try {
                out.add(new Consented(stub.activateShare(ActivateShareRequest.newBuilder().setCustodianId(c)
                        .setWarrantId(w.getWarrantId()).setConsentStatement(ByteString.copyFrom(statement))
                        .setCmsSignature(ByteString.copyFrom(DemoAuthorities.sign(dataDir, c, statement)))
                        .setMaxUses(maxUses).setTtl(ttl).build()), true));
                continue;
            } catch (io.grpc.StatusRuntimeException e) {
                String why = String.valueOf(e.getStatus().getDescription());
                if (e.getStatus().getCode() != io.grpc.Status.Code.INVALID_ARGUMENT || !why.startsWith("credential: is required")) {
                    throw e;
                }
            }
            byte[] cms = DemoAuthorities.sign(dataDir, c, w.getSignedBytes().toByteArray());
            String pin = Files.readString(dataDir.resolve("hsm").resolve("pins").resolve(c + ".pin")).strip();
            out.add(new Consented(stub.activateShare(ActivateShareRequest.newBuilder().setCustodianId(c).setWarrantId(w.getWarrantId())
                    .setCmsSignature(ByteString.copyFrom(cms)).setCredential(ByteString.copyFromUtf8(pin)).setMaxUses(maxUses)
                    .setTtl(ttl).build()), false));
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
