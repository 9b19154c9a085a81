package io.escrow.app;

import io.escrow.cli.EscrowCtl;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.util.Arrays;

/**
 * One entry point for the service and escrowctl: no arguments or {@code serve} start the service;
 * anything else is an escrowctl command, run without starting Quarkus.
 */
@QuarkusMain
public final class EscrowMain {
    private EscrowMain() {}

    public static void main(String... args) {
        if (args.length == 0 || args[0].equals("serve")) {
            Quarkus.run(args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.exit(EscrowCtl.execute(args));
    }
}
