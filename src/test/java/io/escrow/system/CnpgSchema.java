package io.escrow.system;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The CloudNativePG Cluster API as published in @kubernetes-models/cloudnative-pg (pinned in
 * src/test/k8s-schema/package-lock.json), checked by Node: types, enums and required fields with
 * the package's validator, and every field name against the API's declared properties.
 */
final class CnpgSchema {
    static final Path DIR = ServiceProcess.REPO.resolve("src/test/k8s-schema");

    private CnpgSchema() {}

    record Result(boolean valid, String output) {}

    static Result check(JsonNode cluster) throws Exception {
        NpmPackages.installOnce(DIR, "@kubernetes-models/cloudnative-pg");
        Process p = new ProcessBuilder("node", DIR.resolve("validate-cluster.mjs").toString()).redirectErrorStream(true).start();
        p.getOutputStream().write(cluster.toString().getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the CloudNativePG schema check did not finish: " + out);
        }
        return new Result(p.exitValue() == 0 && out.strip().equals("valid"), out.strip());
    }
}
