package io.escrow.cli;

import io.escrow.proto.v1.Activation;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.GetWarrantRequest;
import io.escrow.proto.v1.ListActivationsRequest;
import io.escrow.proto.v1.ListWarrantsRequest;
import io.escrow.proto.v1.ListWarrantsResponse;
import io.escrow.proto.v1.Warrant;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** escrowctl warrant show and warrant list: reading warrants, for agencies, authorities, overseers and operators. */
final class WarrantReadCommands {
    private WarrantReadCommands() {}

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show one warrant: its state, scope, approvals, how many records it has released, and its custodians' activations.")
    static final class Show implements Callable<Integer> {
        @Option(names = "--warrant", required = true, description = "The warrant_id.")
        String warrantId;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            ManagedChannel channel = channels.open();
            try {
                Warrant w = fetch(channel, warrantId);
                Optional<List<Activation>> activations = activations(channel, warrantId);
                Map<String, Object> doc = new LinkedHashMap<>(WarrantView.json(w));
                activations.ifPresent(list -> doc.put("activations", list.stream().map(CustodianConsentCommands::json).toList()));
                output.print(doc, o -> {
                    WarrantView.print(w, o);
                    if (activations.isEmpty()) {
                        o.println("  activations: not shown to your role, or this service has no custodian consent");
                    } else if (activations.get().isEmpty()) {
                        o.println("  activations: none");
                    } else {
                        for (Activation a : activations.get()) {
                            o.printf("  custodian %s: %s until %s, %d use(s) left%n", a.getCustodianId(), a.getState(),
                                    Instant.ofEpochSecond(a.getExpiresAt().getSeconds()), a.getUsesLeft());
                        }
                    }
                });
                return 0;
            } finally {
                channel.shutdownNow();
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
        header = "List warrants: an agency its own, other roles all of them.",
            description = {"List warrants, oldest first: an agency sees the warrants it filed; authorities, overseers and",
                    "operators see all of them."})
    static final class ListCommand implements Callable<Integer> {
        @Option(names = "--state", description = "Only warrants in this state: PENDING, ACTIVE, REVOKED, EXPIRED or EXHAUSTED.")
        Warrant.WarrantState state;

        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            List<Warrant> all = channels.call(channel -> {
                var stub = WarrantServiceGrpc.newBlockingStub(channel);
                List<Warrant> found = new ArrayList<>();
                String token = "";
                do {
                    ListWarrantsResponse page = stub.listWarrants(ListWarrantsRequest.newBuilder().setPageSize(200).setPageToken(token).build());
                    page.getWarrantsList().stream().filter(w -> state == null || w.getState() == state).forEach(found::add);
                    token = page.getNextPageToken();
                } while (!token.isEmpty());
                return found;
            });
            output.print(Map.of("warrants", all.stream().map(WarrantView::json).toList()), o -> {
                if (all.isEmpty()) {
                    o.println("no warrants" + (state == null ? "" : " in state " + state));
                }
                all.forEach(w -> o.println(WarrantView.line(w)));
            });
            return 0;
        }
    }

    static Warrant fetch(ManagedChannel channel, String warrantId) {
        try {
            return WarrantServiceGrpc.newBlockingStub(channel).getWarrant(GetWarrantRequest.newBuilder().setWarrantId(warrantId).build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                throw CliException.refused("warrant " + warrantId + " does not exist at this service");
            }
            throw e;
        }
    }

    /** The warrant's activations, or empty when the caller's role may not see them or the service keeps none. */
    static Optional<List<Activation>> activations(ManagedChannel channel, String warrantId) {
        try {
            return Optional.of(CustodianServiceGrpc.newBlockingStub(channel)
                    .listActivations(ListActivationsRequest.newBuilder().setWarrantId(warrantId).build()).getActivationsList());
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.PERMISSION_DENIED || code == Status.Code.FAILED_PRECONDITION) {
                return Optional.empty();
            }
            throw e;
        }
    }
}
