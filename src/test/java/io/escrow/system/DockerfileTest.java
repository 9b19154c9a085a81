package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The image cannot be built here (no container engine), so this checks what can be: every file
 * the Dockerfile copies is produced by the build, the copied layout is the one the launcher
 * expects, and the image runs as a non-root user.
 */
class DockerfileTest {
    private static final Path DOCKERFILE = ServiceProcess.REPO.resolve("escrow-service/Dockerfile");

    private static List<String[]> copies(List<String> lines) {
        List<String[]> out = new ArrayList<>();
        for (String l : lines) {
            String t = l.strip();
            if (t.startsWith("COPY ") || t.startsWith("ADD ")) {
                String[] parts = t.split("\\s+");
                assertFalse(t.startsWith("ADD "), "use COPY, not ADD: " + t);
                out.add(new String[] {parts[1], parts[2]});
            }
        }
        return out;
    }

    @Test
    void everyCopiedFile_isProducedByTheBuild_inTheLauncherLayout() throws Exception {
        List<String[]> copies = copies(Files.readAllLines(DOCKERFILE));
        assertFalse(copies.isEmpty());
        for (String[] c : copies) {
            Path source = ServiceProcess.REPO.resolve(c[0]);
            assertTrue(Files.exists(source), "the Dockerfile copies " + c[0] + ", which the build does not produce");
            assertEquals("/opt/escrow/" + c[0].replaceAll("/$", ""), c[1].replaceAll("/$", ""),
                    "keep the repository layout under /opt/escrow: bin/escrowctl finds ../target/quarkus-app");
        }
        assertTrue(copies.stream().anyMatch(c -> c[0].startsWith("escrow-service/target/quarkus-app")));
        assertTrue(Files.exists(ServiceProcess.REPO.resolve("escrow-service/target/quarkus-app/quarkus-run.jar")));
        String launcher = Files.readString(ServiceProcess.REPO.resolve("escrow-service/bin/escrowctl"));
        assertTrue(launcher.contains("$here/../target/quarkus-app/quarkus-run.jar"), "launcher layout changed; update the Dockerfile");
    }

    @Test
    void image_runsAsNonRoot_andStartsTheLauncher() throws Exception {
        List<String> lines = Files.readAllLines(DOCKERFILE);
        String user = lines.stream().map(String::strip).filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElse("USER root");
        assertTrue(user.matches("USER [1-9][0-9]{3,}(:[1-9][0-9]{3,})?"), "numeric non-root user expected, got " + user);
        assertTrue(lines.stream().anyMatch(l -> l.strip().equals("ENTRYPOINT [\"/opt/escrow/escrow-service/bin/escrowctl\"]")));
        assertTrue(lines.stream().anyMatch(l -> l.contains("softhsm2") && l.contains("opensc")), "SoftHSM for the dev overlay");
        String dev = Files.readString(ServiceProcess.REPO.resolve("k8s/overlays/dev/deployment-patch.yaml"));
        assertTrue(dev.contains("/opt/escrow/hsm-config/provision-softhsm.sh"), "the dev init container runs the copied script");
        assertTrue(Files.isExecutable(ServiceProcess.REPO.resolve("hsm-config/provision-softhsm.sh")));
    }
}
