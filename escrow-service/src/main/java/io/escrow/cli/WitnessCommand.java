package io.escrow.cli;

import io.escrow.hsm.Pkcs11Ed25519Key;
import io.escrow.hsm.PinSource;
import io.escrow.hsm.TokenConfig;
import io.escrow.note.VerifierKey;
import io.escrow.witness.Cosigner;
import io.escrow.witness.KeyFileCosigner;
import io.escrow.witness.Pkcs11Cosigner;
import io.escrow.witness.Witness;
import io.escrow.witness.WitnessHttp;
import io.escrow.witness.WitnessState;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** escrowctl witness: a tlog-witness anyone can run, so that no one has to trust the operator's word for the log. */
@Command(name = "witness", mixinStandardHelpOptions = true,
        description = "Run a transparency-log witness (c2sp.org/tlog-witness) that cosigns the audit log's checkpoints.",
        subcommands = {WitnessCommand.Keygen.class, WitnessCommand.Serve.class, CommandLine.HelpCommand.class})
final class WitnessCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Where the witness key is: a key file, or a PKCS#11 token. */
    static final class KeySource {
        @Option(names = "--key-file", description = "The witness key file (mode 0600), in the note signer-key format.")
        Path keyFile;

        @ArgGroup(exclusive = false)
        Token token;

        static final class Token {
            @Option(names = "--pkcs11-library", required = true, description = "The PKCS#11 module of the token holding the key.")
            Path library;

            @Option(names = "--token-label", required = true, description = "The label of that token.")
            String label;

            @Option(names = "--key-label", defaultValue = "witness-ed25519",
                    description = "The label of the Ed25519 key in the token (default: ${DEFAULT-VALUE}).")
            String keyLabel;

            @Option(names = "--pin-file", description = "Read the token PIN from this file.")
            Path pinFile;

            @Option(names = "--pin-env", description = "Read the token PIN from this environment variable.")
            String pinEnv;
        }

        Cosigner open(String name, boolean create) throws java.io.IOException {
            if (token == null) {
                if (name == null) {
                    return KeyFileCosigner.read(keyFile);
                }
                return KeyFileCosigner.generate(name, keyFile);
            }
            if (name == null) {
                throw CliException.usage("a witness whose key is in a token needs --name");
            }
            char[] pin = PinInput.read("the token '" + token.label + "'", token.pinFile, token.pinEnv);
            PinSource.Memory memory = PinSource.memory(pin);
            Arrays.fill(pin, '\0');
            try {
                return new Pkcs11Cosigner(name, Pkcs11Ed25519Key.open(new TokenConfig(token.label, token.library, token.label, memory),
                        token.keyLabel, create));
            } finally {
                memory.wipe();
            }
        }
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = {"Create a witness key and print its verifier key (vkey), which logs and verifiers configure.",
                    "With --key-file the key is written to a new file of mode 0600; with a token it is generated inside the token."})
    static final class Keygen implements Callable<Integer> {
        @Option(names = "--name", required = true, description = "The witness's name, a schema-less URL such as witness.example.org/w1.")
        String name;

        @ArgGroup(exclusive = true, multiplicity = "1")
        KeySource key;

        @Override
        public Integer call() throws Exception {
            Cosigner c = key.open(name, true);
            System.out.println(c.verifierKey().encode());
            return 0;
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = {"Serve the tlog-witness API: POST <prefix>/add-checkpoint, and Prometheus metrics at /metrics.",
                    "Cosigns a checkpoint only when a trusted key of its log signed it and it is consistent with the last one "
                            + "this witness cosigned, which is kept on disk (forced to disk before answering)."})
    static final class Serve implements Callable<Integer> {
        @Option(names = "--listen", defaultValue = "127.0.0.1:7380", description = "host:port to listen on (default: ${DEFAULT-VALUE}).")
        String listen;

        @Option(names = "--prefix", defaultValue = "", description = "The submission prefix, such as /witness (default: none).")
        String prefix;

        @Option(names = "--log", required = true, description = "A log verifier key (vkey) to trust; its name is the log's origin. Repeatable.")
        List<String> logs = new ArrayList<>();

        @Option(names = "--state-dir", required = true, description = "Where the last cosigned checkpoint of each log is kept.")
        Path stateDir;

        @Option(names = "--name", description = "The witness's name (needed with a token key; a key file holds its name).")
        String name;

        @ArgGroup(exclusive = true, multiplicity = "1")
        KeySource key;

        @Override
        public Integer call() throws Exception {
            if (!prefix.isEmpty() && (!prefix.startsWith("/") || prefix.endsWith("/"))) {
                throw CliException.usage("--prefix must start with '/' and not end with one, such as /witness");
            }
            List<VerifierKey> logKeys = new ArrayList<>();
            for (String l : logs) {
                VerifierKey k;
                try {
                    k = VerifierKey.parse(l);
                } catch (IllegalArgumentException e) {
                    throw CliException.usage("--log " + l + ": " + e.getMessage());
                }
                if (k.type() == VerifierKey.COSIGNATURE_V1) {
                    throw CliException.usage("--log " + l + " is a witness's cosignature key, not a log's signing key");
                }
                logKeys.add(k);
            }
            Cosigner cosigner = key.open(key.token == null ? null : name, false);
            if (key.token == null && name != null && !name.equals(cosigner.name())) {
                throw CliException.usage("--name " + name + " differs from the name in the key file, " + cosigner.name());
            }
            int colon = listen.lastIndexOf(':');
            if (colon < 0) {
                throw CliException.usage("--listen must be host:port");
            }
            InetSocketAddress address = new InetSocketAddress(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)));
            try (WitnessState state = WitnessState.open(stateDir);
                 WitnessHttp http = WitnessHttp.start(address, prefix,
                         observer -> new Witness(cosigner, logKeys, state, Clock.systemUTC(), observer), System.err)) {
                for (VerifierKey k : logKeys) {
                    state.latest(k.name()).ifPresent(s -> http.known(k.name(), s.checkpoint().size()));
                }
                System.err.println("witness " + cosigner.verifierKey().encode());
                System.err.println("serving http://" + listen.substring(0, colon) + ":" + http.port() + prefix + "/add-checkpoint for "
                        + logKeys.stream().map(VerifierKey::name).distinct().toList() + "; state in " + stateDir);
                new CountDownLatch(1).await();
            }
            return 0;
        }
    }
}
