package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.escrow.warrant.DemoAuthorities;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A benchmark, not part of CI ({@code -Dtest=SdkBench}; phase length {@code -Dsdk.seconds},
 * default 10): against one packaged service, in one run, the raw DepositStream rate from
 * {@code escrowctl load} (pre-sealed requests on one stream) and then the provider SDK's rate
 * from a separate JVM ({@link SdkLoad}), which seals every deposit itself and waits for every
 * receipt, with that JVM's peak RSS. Prints both and their ratio (the target: >= 0.9).
 */
class SdkBench {
    private static final Pattern RAW = Pattern.compile("DepositStream, 1 stream:\\s+([\\d,]+) records/s");

    @Test
    void sdkAgainstRawDepositStream() throws Exception {
        int seconds = Integer.getInteger("sdk.seconds", 10);
        Path dataDir = Files.createTempDirectory("escrow-sdk-bench-");
        try (ServiceProcess service = ServiceProcess.start(dataDir, dataDir.resolve("service.log"))) {
            String target = "localhost:" + service.grpcPort;
            var load = ServiceProcess.escrowctl(dataDir, "load", "--target", target, "--seconds", Integer.toString(seconds),
                    "--recovery", "1");
            assertEquals(0, load.exit(), load.output());
            Matcher m = RAW.matcher(load.output());
            if (!m.find()) {
                throw new AssertionError("no DepositStream rate in:\n" + load.output());
            }
            double raw = Double.parseDouble(m.group(1).replace(",", ""));
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                    SdkLoad.class.getName(), target, Integer.toString(seconds)));
            for (String id : List.of("custodian-1", "custodian-2", "custodian-3")) {
                cmd.add(id + "=" + DemoAuthorities.dir(dataDir).resolve(id).resolve("ca.pem"));
            }
            Process sdk = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(sdk.getInputStream().readAllBytes());
            if (!sdk.waitFor(5, TimeUnit.MINUTES) || sdk.exitValue() != 0) {
                throw new AssertionError("the SDK load failed:\n" + out);
            }
            Matcher s = Pattern.compile("sdk: ([\\d.]+) receipts/s").matcher(out);
            if (!s.find()) {
                throw new AssertionError("no SDK rate in:\n" + out);
            }
            double rate = Double.parseDouble(s.group(1));
            System.out.println(load.output());
            System.out.println(out);
            System.out.printf("raw DepositStream (escrowctl load, pre-sealed, 1 stream): %,.0f records/s%n", raw);
            System.out.printf("SDK (sealing each deposit, receipts awaited):            %,.0f receipts/s%n", rate);
            System.out.printf("SDK / raw:                                                %.2f  (target >= 0.90)%n", rate / raw);
        }
    }
}
