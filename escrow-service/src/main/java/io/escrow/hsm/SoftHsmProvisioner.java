package io.escrow.hsm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs {@code hsm-config/provision-softhsm.sh}, shipped inside the application, to create the
 * embedded SoftHSM tokens. It must run before this JVM first loads the PKCS#11 library: SoftHSM
 * reads its token directory once, at initialisation, and never sees tokens created later.
 */
public final class SoftHsmProvisioner {
    private static final String[] RESOURCES = {"provision-softhsm.sh", "softhsm2.conf.template"};

    private SoftHsmProvisioner() {}

    /** Provisions custodian-1..n (or the given labels) and, if asked, the audit token. */
    public static void provision(Path hsmDir, int custodians, List<String> extraLabels, boolean audit, Consumer<String> log) {
        Path bin = hsmDir.resolve("bin");
        try {
            Files.createDirectories(bin);
            for (String r : RESOURCES) {
                try (InputStream in = SoftHsmProvisioner.class.getClassLoader().getResourceAsStream("hsm-config/" + r)) {
                    if (in == null) {
                        throw new IllegalStateException("resource hsm-config/" + r + " is missing from the build");
                    }
                    Path target = bin.resolve(r);
                    Path tmp = bin.resolve(r + ".tmp");
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
            Files.setPosixFilePermissions(bin.resolve(RESOURCES[0]), PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the SoftHSM provisioning script in " + bin, e);
        }
        List<String> cmd = new ArrayList<>(List.of("bash", bin.resolve(RESOURCES[0]).toString(),
                "--dir", hsmDir.toString(), "--custodians", Integer.toString(custodians)));
        for (String label : extraLabels) {
            cmd.add("--token");
            cmd.add(label);
        }
        if (!audit) {
            cmd.add("--no-audit");
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            StringBuilder out = new StringBuilder();
            try (var reader = p.inputReader()) {
                reader.lines().forEach(line -> {
                    out.append(line).append('\n');
                    log.accept(line);
                });
            }
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("SoftHSM provisioning did not finish within 5 minutes");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("SoftHSM provisioning failed (exit " + p.exitValue() + "): " + out.toString().strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run the SoftHSM provisioning script", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while provisioning SoftHSM tokens", e);
        }
    }

    /**
     * Fails with an instruction unless SOFTHSM2_CONF names {@code expected}: the variable is read
     * by SoftHSM from the process environment, which a running JVM cannot change.
     */
    public static void requireSoftHsmConf(Path expected) {
        String actual = System.getenv("SOFTHSM2_CONF");
        Path want = expected.toAbsolutePath().normalize();
        if (actual == null || !Path.of(actual).toAbsolutePath().normalize().equals(want)) {
            throw new io.escrow.config.ConfigurationException("the embedded HSM mode needs SOFTHSM2_CONF=" + want
                    + " in the environment before the JVM starts (SoftHSM reads it once; it is "
                    + (actual == null ? "unset" : actual) + "). Start through escrow-service/bin/escrowctl,"
                    + " which sets it, or configure escrow.hsm.mode=pkcs11");
        }
    }
}
