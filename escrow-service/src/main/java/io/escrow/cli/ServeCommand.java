package io.escrow.cli;

import picocli.CommandLine.Command;

/** Listed for help only: {@link io.escrow.app.EscrowMain} starts Quarkus for "serve" before picocli runs. */
@Command(name = "serve", description = "Run the escrow service (gRPC on 9000, health and metrics on 8080).")
final class ServeCommand implements Runnable {
    @Override
    public void run() {
        throw new IllegalStateException("'serve' is handled by the application's main class");
    }
}
