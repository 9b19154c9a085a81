package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Grafana dashboard is valid JSON and queries only metrics the runbook documents. */
class DashboardTest {
    @Test
    void dashboard_queriesOnlyDocumentedMetrics() throws Exception {
        JsonNode d = new ObjectMapper().readTree(ServiceProcess.REPO.resolve("k8s/grafana/escrow-dashboard.json").toFile());
        String runbook = Files.readString(ServiceProcess.REPO.resolve("docs/operations.md"));
        assertFalse(d.path("panels").isEmpty());
        Pattern metric = Pattern.compile("escrow_[a-z_]+");
        for (JsonNode panel : d.path("panels")) {
            assertFalse(panel.path("targets").isEmpty(), panel.path("title").asText());
            for (JsonNode t : panel.path("targets")) {
                Matcher m = metric.matcher(t.path("expr").asText());
                while (m.find()) {
                    assertTrue(runbook.contains("`" + m.group()), m.group() + " is not documented in docs/operations.md");
                }
            }
        }
    }
}
