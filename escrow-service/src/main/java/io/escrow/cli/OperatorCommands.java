package io.escrow.cli;

import io.escrow.proto.v1.EscrowKeyInfo;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.GetServiceStatusRequest;
import io.escrow.proto.v1.ListEscrowKeysRequest;
import io.escrow.proto.v1.ServiceCheck;
import io.escrow.proto.v1.ServiceStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.bouncycastle.util.encoders.Hex;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** escrowctl keys and escrowctl status: what an operator runs. */
final class OperatorCommands {
    private OperatorCommands() {}

    @Command(name = "keys", mixinStandardHelpOptions = true, description = "Operators' view of the escrow keys.",
            subcommands = {KeysList.class, KeyCeremonyCommands.Create.class, KeyRetirementCommands.Retire.class, CommandLine.HelpCommand.class})
    static final class Keys implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(System.out);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List every escrow key, newest first: its id, t of n, custodians, creation time, attestations, and which is current.")
    static final class KeysList implements Callable<Integer> {
        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            List<EscrowKeyInfo> keys = channels.call(channel -> EscrowServiceGrpc.newBlockingStub(channel)
                    .listEscrowKeys(ListEscrowKeysRequest.getDefaultInstance()).getKeysList());
            output.print(Map.of("keys", keys.stream().map(KeysList::json).toList()), o -> {
                if (keys.isEmpty()) {
                    o.println("no escrow key yet: run escrowctl ceremony");
                }
                for (EscrowKeyInfo k : keys) {
                    o.printf("%-24s %d of %d  created %s  attested by %d  %s%n    custodians: %s%n", k.getKey().getKeyId(),
                            k.getKey().getThreshold(), k.getKey().getCustodianCount(),
                            WarrantView.instant(k.getCreatedAt().getSeconds()), k.getKey().getAttestationsCount(),
                            k.getCurrent() ? "CURRENT" : k.hasRetiredAt() ? "RETIRED " + WarrantView.instant(k.getRetiredAt().getSeconds()) : "",
                            String.join(", ", k.getCustodianIdsList()));
                }
            });
            return 0;
        }

        private static Map<String, Object> json(EscrowKeyInfo k) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key_id", k.getKey().getKeyId());
            m.put("threshold", k.getKey().getThreshold());
            m.put("custodian_count", k.getKey().getCustodianCount());
            m.put("custodians", k.getCustodianIdsList());
            m.put("created_at", WarrantView.instant(k.getCreatedAt().getSeconds()));
            m.put("current", k.getCurrent());
            m.put("retired_at", k.hasRetiredAt() ? WarrantView.instant(k.getRetiredAt().getSeconds()) : null);
            m.put("public_key", Hex.toHexString(k.getKey().getPublicKey().toByteArray()));
            m.put("attested_by", k.getKey().getAttestationsList().stream().map(a -> a.getCustodianId()).toList());
            return m;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
        header = "Show whether the service is ready, check by check.",
            description = {"Show whether the service is ready, check by check: its database and each custodian token or agent,",
                    "as its readiness probe sees them. Exits 1 when it is not ready."})
    static final class Status implements Callable<Integer> {
        @Mixin
        ClientChannels channels;

        @Mixin
        Output output;

        @Override
        public Integer call() {
            ServiceStatus s = channels.call(channel -> EscrowServiceGrpc.newBlockingStub(channel)
                    .getServiceStatus(GetServiceStatusRequest.getDefaultInstance()));
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("ready", s.getReady());
            doc.put("checks", s.getChecksList().stream().map(c -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", c.getName());
                m.put("up", c.getUp());
                m.put("data", new TreeMap<>(c.getDataMap()));
                return m;
            }).toList());
            output.print(doc, o -> {
                o.println(s.getReady() ? "READY" : "NOT READY");
                for (ServiceCheck c : s.getChecksList()) {
                    o.printf("  %-18s %s%n", c.getName(), c.getUp() ? "UP" : "DOWN");
                    new TreeMap<>(c.getDataMap()).forEach((k, v) -> o.printf("      %-16s %s%n", k, v));
                }
            });
            return s.getReady() ? 0 : CliException.REFUSED;
        }
    }
}
