package io.escrow.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Renders every Kustomize overlay with kubectl and checks each document: it must parse into the
 * fabric8 Kubernetes model with no unknown field (CRDs against the fields they may use), and the
 * workload must carry probes, limits, a locked-down securityContext and a NetworkPolicy.
 */
class K8sManifestsTest {
    private static final Path K8S = ServiceProcess.REPO.resolve("k8s");
    private static final Map<String, Class<?>> MODEL = Map.of(
            "v1/ServiceAccount", ServiceAccount.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Service", Service.class,
            "apps/v1/Deployment", Deployment.class,
            "apps/v1/StatefulSet", io.fabric8.kubernetes.api.model.apps.StatefulSet.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
            "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class);

    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    private static List<JsonNode> render(String overlay) throws Exception {
        assumeTrue(onPath("kubectl"), "kubectl is not installed");
        Process p = new ProcessBuilder("kubectl", "kustomize", K8S.resolve(overlay).toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        List<JsonNode> docs = new ArrayList<>();
        new YAMLMapper().readValues(new YAMLFactory().createParser(out), JsonNode.class).forEachRemaining(docs::add);
        return docs;
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/dev", "overlays/prod", "custodian-agent"})
    void everyDocument_parsesIntoTheModel_withoutUnknownFields(String overlay) throws Exception {
        for (JsonNode doc : render(overlay)) {
            String kind = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
            Class<?> type = MODEL.get(kind);
            if (type != null) {
                Object parsed = JSON.treeToValue(doc, type);
                List<String> unknown = new ArrayList<>();
                unknownFields(parsed, kind, unknown);
                assertTrue(unknown.isEmpty(), overlay + ": unknown fields " + unknown);
            } else if (kind.equals("monitoring.coreos.com/v1/ServiceMonitor")) {
                allowed(doc.path("spec"), Set.of("selector", "endpoints", "namespaceSelector", "jobLabel"), kind);
                doc.path("spec").path("endpoints").forEach(e -> allowed(e, Set.of("port", "path", "interval", "scheme",
                        "scrapeTimeout", "tlsConfig"), kind + " endpoint"));
            } else if (kind.equals("cert-manager.io/v1/Certificate")) {
                allowed(doc.path("spec"), Set.of("secretName", "commonName", "dnsNames", "duration", "renewBefore", "privateKey",
                        "usages", "issuerRef", "keystores", "subject", "secretTemplate"), kind);
            } else if (kind.equals("postgresql.cnpg.io/v1/Cluster")) {
                CnpgSchema.Result r = CnpgSchema.check(doc);
                assertTrue(r.valid(), overlay + ": the CloudNativePG Cluster does not match its published schema:\n" + r.output());
            } else if (kind.equals("v1/Secret")) {
                fail(overlay + ": a Secret with values is in the manifests; reference Secrets, never ship them");
            } else {
                fail(overlay + ": no model for " + kind);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/dev", "overlays/prod"})
    void workload_hasProbesLimitsSecurityContextAndNetworkPolicy(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        Deployment d = null;
        List<NetworkPolicy> policies = new ArrayList<>();
        for (JsonNode doc : docs) {
            switch (doc.path("kind").asText()) {
                case "Deployment" -> d = JSON.treeToValue(doc, Deployment.class);
                case "NetworkPolicy" -> policies.add(JSON.treeToValue(doc, NetworkPolicy.class));
                default -> { }
            }
        }
        assertNotNull(d, overlay + ": no Deployment");
        var pod = d.getSpec().getTemplate().getSpec();
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType(), overlay);
        assertTrue(pod.getSecurityContext().getRunAsNonRoot(), overlay);
        if (!overlay.endsWith("dev")) {
            assertTrue(d.getSpec().getReplicas() >= 2, overlay + ": at least two replicas");
        }
        List<Container> all = new ArrayList<>(pod.getContainers());
        if (pod.getInitContainers() != null) {
            all.addAll(pod.getInitContainers());
        }
        for (Container c : all) {
            String where = overlay + " container " + c.getName();
            assertNotNull(c.getResources().getLimits().get("cpu"), where + ": cpu limit");
            assertNotNull(c.getResources().getLimits().get("memory"), where + ": memory limit");
            assertNotNull(c.getResources().getRequests().get("memory"), where + ": memory request");
            var sc = c.getSecurityContext();
            assertNotNull(sc, where + ": securityContext");
            assertTrue(sc.getReadOnlyRootFilesystem(), where + ": read-only root filesystem");
            assertFalse(sc.getAllowPrivilegeEscalation(), where + ": no privilege escalation");
            assertTrue(sc.getRunAsNonRoot(), where + ": non-root");
            assertTrue(sc.getCapabilities().getDrop().contains("ALL"), where + ": capabilities dropped");
            if (c.getEnv() != null) {
                for (EnvVar e : c.getEnv()) {
                    assertFalse(e.getName().matches("(?i).*(PIN|PASSWORD|SECRET|KEY).*") && e.getValue() != null,
                            where + ": " + e.getName() + " must come from a Secret, not a literal value");
                }
            }
        }
        Container main = pod.getContainers().get(0);
        assertEquals("/q/health/live", main.getLivenessProbe().getHttpGet().getPath(), overlay);
        assertEquals("/q/health/ready", main.getReadinessProbe().getHttpGet().getPath(), overlay);
        Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(policies.stream().anyMatch(p -> podLabels.entrySet().containsAll(p.getSpec().getPodSelector().getMatchLabels().entrySet())
                && p.getSpec().getIngress().stream().anyMatch(r -> r.getPorts().stream().anyMatch(port -> port.getPort().getIntVal() == 9000))
                && p.getSpec().getIngress().stream().anyMatch(r -> r.getPorts().stream().anyMatch(port -> port.getPort().getIntVal() == 8080))),
                overlay + ": a NetworkPolicy must select the pods and limit gRPC and metrics");
    }

    /** The custodian's own agent: one stateful replica, mutual TLS, its PIN from its own Secret, reachable only as allowed. */
    @org.junit.jupiter.api.Test
    void custodianAgent_isOneStatefulReplica_withMutualTls_andANetworkPolicy() throws Exception {
        io.fabric8.kubernetes.api.model.apps.StatefulSet set = null;
        List<NetworkPolicy> policies = new ArrayList<>();
        for (JsonNode doc : render("custodian-agent")) {
            switch (doc.path("kind").asText()) {
                case "StatefulSet" -> set = JSON.treeToValue(doc, io.fabric8.kubernetes.api.model.apps.StatefulSet.class);
                case "NetworkPolicy" -> policies.add(JSON.treeToValue(doc, NetworkPolicy.class));
                default -> { }
            }
        }
        assertNotNull(set, "no StatefulSet");
        assertEquals(1, set.getSpec().getReplicas(), "one agent per journal");
        assertTrue(set.getSpec().getVolumeClaimTemplates().stream().anyMatch(v -> v.getMetadata().getName().equals("state")),
                "the journal is on a persistent volume");
        var pod = set.getSpec().getTemplate().getSpec();
        Container agent = pod.getContainers().get(0);
        String args = String.join(" ", agent.getArgs());
        for (String flag : List.of("custodian serve", "--tls-cert=", "--tls-key=", "--tls-client-ca=", "--pin-file=",
                "--authorities=", "--custodian-ca=", "--log-key=", "--attest-cert=", "--attest-key=", "--service-subject=", "--state=/var/lib/custodian-agent")) {
            assertTrue(args.contains(flag), "agent args lack " + flag + ": " + args);
        }
        assertNotNull(agent.getReadinessProbe().getTcpSocket(), "readiness probe");
        assertNotNull(agent.getLivenessProbe().getTcpSocket(), "liveness probe");
        List<Container> all = new ArrayList<>(pod.getContainers());
        all.addAll(pod.getInitContainers());
        for (Container c : all) {
            assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem(), c.getName());
            assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation(), c.getName());
            assertTrue(c.getSecurityContext().getCapabilities().getDrop().contains("ALL"), c.getName());
            assertNotNull(c.getResources().getLimits().get("memory"), c.getName());
        }
        assertTrue(pod.getVolumes().stream().anyMatch(v -> v.getSecret() != null
                && v.getSecret().getSecretName().equals("custodian-token-pin")), "the PIN comes from the custodian's own Secret");
        Map<String, String> labels = set.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(policies.stream().anyMatch(p -> labels.entrySet().containsAll(p.getSpec().getPodSelector().getMatchLabels().entrySet())
                && p.getSpec().getIngress().stream().allMatch(r -> r.getPorts().stream().allMatch(port -> port.getPort().getIntVal() == 9101))),
                "a NetworkPolicy admits only the agent port");
    }

    /**
     * Production's database is a CloudNativePG cluster whose commits wait for a standby and never
     * fall back to waiting for none, and the service reaches its primary; a misspelt field is
     * caught by the schema check (which would otherwise be a check that cannot fail).
     */
    @org.junit.jupiter.api.Test
    void prodOverlay_database_isACloudNativePgClusterWithRequiredSynchronousReplicas() throws Exception {
        JsonNode cluster = null;
        Deployment d = null;
        for (JsonNode doc : render("overlays/prod")) {
            switch (doc.path("kind").asText()) {
                case "Cluster" -> cluster = doc;
                case "Deployment" -> d = JSON.treeToValue(doc, Deployment.class);
                default -> { }
            }
        }
        assertNotNull(cluster, "no CloudNativePG Cluster in the prod overlay");
        JsonNode sync = cluster.path("spec").path("postgresql").path("synchronous");
        assertTrue(sync.path("number").asInt() >= 1, "at least one synchronous standby: " + sync);
        assertEquals("required", sync.path("dataDurability").asText(), "never acknowledge a commit on the primary alone");
        assertTrue(cluster.path("spec").path("instances").asInt() >= sync.path("number").asInt() + 2,
                "one instance may fail and commits still find a synchronous standby");
        assertEquals("required", cluster.path("spec").path("affinity").path("podAntiAffinityType").asText(), "instances on different nodes");
        assertTrue(CnpgSchema.check(cluster).valid(), CnpgSchema.check(cluster).output());

        var misspelt = (com.fasterxml.jackson.databind.node.ObjectNode) cluster.deepCopy();
        var postgresql = (com.fasterxml.jackson.databind.node.ObjectNode) misspelt.path("spec").path("postgresql");
        postgresql.set("synchronus", postgresql.remove("synchronous"));
        CnpgSchema.Result refused = CnpgSchema.check(misspelt);
        assertFalse(refused.valid(), "a misspelt synchronous block must be refused");
        assertTrue(refused.output().contains("spec.postgresql.synchronus: unknown field"), refused.output());
        var badEnum = (com.fasterxml.jackson.databind.node.ObjectNode) cluster.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) badEnum.path("spec").path("postgresql").path("synchronous"))
                .put("dataDurability", "sometimes");
        assertFalse(CnpgSchema.check(badEnum).valid(), "an unknown dataDurability must be refused");

        assertNotNull(d, "no Deployment");
        Map<String, EnvVar> env = new java.util.HashMap<>();
        d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().forEach(e -> env.put(e.getName(), e));
        assertTrue(env.get("ESCROW_DB_URL").getValue().startsWith("jdbc:postgresql://escrow-db-rw:5432/escrow?targetServerType=primary"),
                "the service reaches the cluster's primary: " + env.get("ESCROW_DB_URL"));
        assertEquals("escrow-db-app", env.get("ESCROW_DB_USERNAME").getValueFrom().getSecretKeyRef().getName());
        assertEquals("escrow-db-app", env.get("ESCROW_DB_PASSWORD").getValueFrom().getSecretKeyRef().getName());
    }

    /** Production is configured for the whole story: every custodian's agent with TLS, and every custodian's own client identity. */
    @org.junit.jupiter.api.Test
    void prodOverlay_configuresEveryCustodiansAgentAndClientIdentity() throws Exception {
        java.util.Properties props = new java.util.Properties();
        List<NetworkPolicy> policies = new ArrayList<>();
        for (JsonNode doc : render("overlays/prod")) {
            if (doc.path("kind").asText().equals("ConfigMap") && doc.path("metadata").path("name").asText().startsWith("escrow-config")) {
                props.load(new java.io.StringReader(doc.path("data").path("application.properties").asText()));
            } else if (doc.path("kind").asText().equals("NetworkPolicy")) {
                policies.add(JSON.treeToValue(doc, NetworkPolicy.class));
            }
        }
        List<String> custodians = List.of(props.getProperty("escrow.hsm.custodians").split(","));
        assertEquals(3, custodians.size());
        List<String> clients = List.of(props.getProperty("escrow.tls.client-names").split(","));
        for (String id : custodians) {
            String prefix = "escrow.custodians." + id + ".";
            for (String key : List.of("agent", "agent-tls-ca", "agent-tls-cert", "agent-tls-key", "trust-anchor")) {
                assertNotNull(props.getProperty(prefix + key), prefix + key);
            }
            assertNull(props.getProperty("escrow.hsm.token." + id + ".pin-file"), "no custodian PIN in the service's configuration");
            assertTrue(clients.contains(id), id + " has a client identity");
            assertEquals("custodian", props.getProperty("escrow.tls.client." + id + ".role"), id);
        }
        assertEquals("required", props.getProperty("escrow.custodian.consent"));
        int quorum = Integer.parseInt(props.getProperty("escrow.audit.witness-quorum", "0"));
        assertTrue(quorum >= 1, "production releases keys only under witnessed heads");
        long witnesses = props.stringPropertyNames().stream().filter(k -> k.matches("escrow\\.audit\\.witnesses\\.[^.]+\\.url")).count();
        assertTrue(witnesses >= quorum, witnesses + " witnesses for a quorum of " + quorum);
        props.stringPropertyNames().stream().filter(k -> k.matches("escrow\\.audit\\.witnesses\\.[^.]+\\.url")).forEach(k ->
                assertNotNull(props.getProperty(k.replace(".url", ".key")), k + " has a key"));
        assertTrue(policies.stream().anyMatch(p -> p.getSpec().getIngress().stream().anyMatch(r -> r.getPorts().stream()
                .anyMatch(port -> port.getPort().getIntVal() == 9000) && r.getFrom().stream().anyMatch(f -> f.getNamespaceSelector() != null
                && f.getNamespaceSelector().getMatchExpressions() != null && f.getNamespaceSelector().getMatchExpressions().stream()
                .anyMatch(e -> e.getValues().contains("custodian"))))), "custodians' namespaces reach gRPC");
    }

    private static void allowed(JsonNode node, Set<String> fields, String what) {
        node.fieldNames().forEachRemaining(f -> assertTrue(fields.contains(f), what + ": unknown field '" + f + "'"));
    }

    /** Fabric8 model classes keep fields they do not know in additionalProperties: any such field is a typo. */
    private static void unknownFields(Object o, String path, List<String> out) throws Exception {
        if (o == null || !o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getName().equals("getClass")) {
                continue;
            }
            Object v = m.invoke(o);
            if (m.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + " " + extra.keySet());
                }
            } else if (v instanceof Collection<?> list) {
                int i = 0;
                for (Object e : list) {
                    unknownFields(e, path + "." + m.getName().substring(3) + "[" + i++ + "]", out);
                }
            } else if (v instanceof Map<?, ?> map) {
                for (var e : map.entrySet()) {
                    unknownFields(e.getValue(), path + "." + m.getName().substring(3) + "[" + e.getKey() + "]", out);
                }
            } else {
                unknownFields(v, path + "." + m.getName().substring(3), out);
            }
        }
    }
}
