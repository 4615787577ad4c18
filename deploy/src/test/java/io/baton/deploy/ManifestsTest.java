package io.baton.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.baton.health.BatonHealth;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Validates every Kubernetes manifest under {@code deploy/kubernetes} offline: each object is read
 * into the Kubernetes model (fabric8) with unknown fields refused, so a misspelled or misplaced
 * field or a wrong type fails; each kustomization's files exist; overlays are merged onto the base
 * (a strategic merge of the parts they patch: replicas, container env by name, ConfigMap data); and
 * for every rendered set: probe paths are endpoints the service serves, ports agree, the peer list
 * names exactly the StatefulSet's pods at the headless Service's Raft port, the active router checks
 * every pod on a role group, and selectors select the pods.
 */
class ManifestsTest {
  private static final Path ROOT = Path.of("kubernetes");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  /** What the example service serves (SmallRye Health with Baton's checks, and Baton's status). */
  private static final Set<String> SERVED = Set.of("/q/health/live", "/q/health/ready", "/q/health/started",
      "/q/health/group/" + BatonHealth.ACTIVE_GROUP, "/q/health/group/" + BatonHealth.groupOf("rootcoord"),
      "/q/health/group/" + BatonHealth.groupOf("querycoord"), "/baton/status");
  private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
      "StatefulSet", StatefulSet.class, "Service", Service.class, "ConfigMap", ConfigMap.class,
      "Deployment", Deployment.class, "PodDisruptionBudget", PodDisruptionBudget.class);

  @Test
  void everyManifestIsAValidKubernetesObject() throws IOException {
    final List<Path> files;
    try (Stream<Path> s = Files.walk(ROOT)) {
      files = s.filter(p -> p.toString().endsWith(".yaml") && !p.getFileName().toString().equals("kustomization.yaml"))
          .toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(8);
    for (Path f : files) {
      for (JsonNode doc : documents(f)) {
        toModel(f, doc); // fails on unknown kinds, fields or types
      }
    }
  }

  @Test
  void kustomizationsReferToFilesThatExist() throws IOException {
    try (Stream<Path> s = Files.walk(ROOT)) {
      for (Path k : s.filter(p -> p.getFileName().toString().equals("kustomization.yaml")).toList()) {
        final JsonNode kustomization = documents(k).get(0);
        assertThat(kustomization.path("kind").asText()).isEqualTo("Kustomization");
        for (JsonNode r : kustomization.path("resources")) {
          assertThat(k.getParent().resolve(r.asText())).as(k + " resource " + r).exists();
        }
        for (JsonNode p : kustomization.path("patches")) {
          assertThat(k.getParent().resolve(p.path("path").asText())).as(k + " patch " + p).isRegularFile();
        }
      }
    }
  }

  @Test
  void theBaseIsConsistent() throws IOException {
    checkRendered("base", render(ROOT.resolve("base")), 3);
  }

  @Test
  void theFiveReplicaOverlayIsConsistent() throws IOException {
    checkRendered("five-replicas", render(ROOT.resolve("overlays/five-replicas")), 5);
  }

  @Test
  void theEtcdOverlaySelectsTheEtcdBackend() throws IOException {
    final Map<String, ObjectNode> rendered = render(ROOT.resolve("overlays/etcd"));
    checkRendered("etcd", rendered, 3);
    final Container c = statefulSet(rendered).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(env(c, "BATON_BACKEND")).isEqualTo("etcd");
    assertThat(env(c, "BATON_ETCD_ENDPOINTS")).startsWith("http://");
    assertThat(env(c, "BATON_ETCD_PROBE_ADDRESS")).isEqualTo("$(BATON_NODE_ID).simple-coordinator-peers:8080");
    final List<String> names = c.getEnv().stream().map(e -> e.getName()).toList();
    assertThat(names.indexOf("BATON_NODE_ID")).as("defined before the probe address refers to it")
        .isLessThan(names.indexOf("BATON_ETCD_PROBE_ADDRESS"));
  }

  // ---- checks ----------------------------------------------------------------------------

  private void checkRendered(String name, Map<String, ObjectNode> objects, int replicas) throws IOException {
    final StatefulSet sts = statefulSet(objects);
    assertThat(sts.getSpec().getReplicas()).as(name + " replicas").isEqualTo(replicas);
    final Map<String, String> podLabels = sts.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(podLabels).containsAllEntriesOf(sts.getSpec().getSelector().getMatchLabels());
    final Container c = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
    final Map<String, Integer> ports = new LinkedHashMap<>();
    for (ContainerPort p : c.getPorts()) {
      ports.put(p.getName(), p.getContainerPort());
    }
    assertThat(env(c, "QUARKUS_HTTP_PORT")).isEqualTo(String.valueOf(ports.get("http")));

    // probes: served paths, on the HTTP port, fast detection
    for (Probe probe : List.of(c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe())) {
      assertThat(probe).as(name + ": every probe is set").isNotNull();
      assertThat(SERVED).as(name + " probe path").contains(probe.getHttpGet().getPath());
      assertThat(ports).containsKey(probe.getHttpGet().getPort().getStrVal());
    }
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/q/health/started");
    assertThat(c.getLivenessProbe().getPeriodSeconds() * c.getLivenessProbe().getFailureThreshold())
        .as("liveness detects within 6 s").isLessThanOrEqualTo(6);
    assertThat(sts.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
        .as("room for the planned handover (2 x the 3 s request timeout) and shutdown").isGreaterThanOrEqualTo(15);

    // peers: exactly the pods, at the headless Service's Raft port
    final Service peers = service(objects, sts.getSpec().getServiceName());
    assertThat(peers.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(peers.getSpec().getPublishNotReadyAddresses()).isTrue();
    assertThat(podLabels).containsAllEntriesOf(peers.getSpec().getSelector());
    final int raftPort = peers.getSpec().getPorts().get(0).getPort();
    assertThat(ports.get("raft")).isEqualTo(raftPort);
    final List<String> expected = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      final String pod = sts.getMetadata().getName() + "-" + i;
      expected.add(pod + "=" + pod + "." + peers.getMetadata().getName() + ":" + raftPort);
    }
    assertThat(List.of(env(c, "BATON_PEERS").trim().split(","))).as(name + " peers").containsExactlyElementsOf(expected);
    assertThat(c.getEnv().stream().filter(e -> e.getName().equals("BATON_NODE_ID")).findFirst().orElseThrow()
        .getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");

    // the client Service and the disruption budget select the pods
    final Service client = service(objects, "simple-coordinator");
    assertThat(podLabels).containsAllEntriesOf(client.getSpec().getSelector());
    assertThat(client.getSpec().getPorts().get(0).getTargetPort().getStrVal()).isIn(ports.keySet());
    final PodDisruptionBudget pdb = (PodDisruptionBudget) toModel(ROOT, objects.get("PodDisruptionBudget/simple-coordinator"));
    assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
    assertThat(sts.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
        .getRequiredDuringSchedulingIgnoredDuringExecution()).isNotEmpty();

    // the active router: checks a role group on every pod, and its Service selects the router
    final ConfigMap router = (ConfigMap) toModel(ROOT, objects.get("ConfigMap/simple-coordinator-active-router"));
    final String cfg = router.getData().get("haproxy.cfg");
    final Matcher check = Pattern.compile("option httpchk GET (\\S+)").matcher(cfg);
    assertThat(check.find()).isTrue();
    assertThat(SERVED).contains(check.group(1));
    assertThat(check.group(1)).startsWith("/q/health/group/" + BatonHealth.ACTIVE_GROUP);
    final Matcher server = Pattern.compile("server (\\S+) (\\S+):(\\d+) check").matcher(cfg);
    final List<String> servers = new ArrayList<>();
    while (server.find()) {
      assertThat(Integer.parseInt(server.group(3))).isEqualTo(ports.get("http"));
      servers.add(server.group(2));
    }
    final List<String> pods = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      pods.add(sts.getMetadata().getName() + "-" + i + "." + peers.getMetadata().getName());
    }
    assertThat(servers).as(name + " router backends").containsExactlyElementsOf(pods);
    final Deployment routerDeployment = (Deployment) toModel(ROOT, objects.get("Deployment/simple-coordinator-active-router"));
    final Service active = service(objects, "simple-coordinator-active");
    assertThat(routerDeployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(active.getSpec().getSelector());
  }

  // ---- rendering (the subset of kustomize these manifests use) ------------------------------

  /** kind/name → object, with the overlay's patches merged onto its resources. */
  private static Map<String, ObjectNode> render(Path dir) throws IOException {
    final JsonNode k = documents(dir.resolve("kustomization.yaml")).get(0);
    final Map<String, ObjectNode> out = new LinkedHashMap<>();
    for (JsonNode r : k.path("resources")) {
      final Path p = dir.resolve(r.asText()).normalize();
      if (Files.isDirectory(p)) {
        out.putAll(render(p));
      } else {
        for (JsonNode doc : documents(p)) {
          out.put(key(doc), (ObjectNode) doc);
        }
      }
    }
    for (JsonNode patch : k.path("patches")) {
      for (JsonNode doc : documents(dir.resolve(patch.path("path").asText()))) {
        final ObjectNode target = out.get(key(doc));
        assertThat(target).as(dir + ": the patch's target " + key(doc) + " exists").isNotNull();
        merge(target, doc);
      }
    }
    return out;
  }

  /** A strategic merge: objects merge, lists of named items merge by name, everything else is replaced. */
  private static void merge(ObjectNode target, JsonNode patch) {
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      final Map.Entry<String, JsonNode> e = it.next();
      final JsonNode existing = target.get(e.getKey());
      if (existing instanceof ObjectNode o && e.getValue().isObject()) {
        merge(o, e.getValue());
      } else if (existing != null && existing.isArray() && e.getValue().isArray() && named(e.getValue())) {
        for (JsonNode item : e.getValue()) {
          ObjectNode match = null;
          for (JsonNode old : existing) {
            if (old.path("name").asText().equals(item.path("name").asText())) {
              match = (ObjectNode) old;
            }
          }
          if (match != null) {
            merge(match, item);
          } else {
            ((com.fasterxml.jackson.databind.node.ArrayNode) existing).add(item);
          }
        }
      } else {
        target.set(e.getKey(), e.getValue());
      }
    }
  }

  private static boolean named(JsonNode array) {
    for (JsonNode item : array) {
      if (!item.has("name")) {
        return false;
      }
    }
    return true;
  }

  // ---- helpers ---------------------------------------------------------------------------

  private static List<JsonNode> documents(Path file) throws IOException {
    final List<JsonNode> docs = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(file.toFile())) {
      final Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        final JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isEmpty()) {
          docs.add(n);
        }
      }
    }
    return docs;
  }

  private static String key(JsonNode doc) {
    return doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText();
  }

  private static HasMetadata toModel(Path file, JsonNode doc) {
    final String kind = doc.path("kind").asText();
    final Class<? extends HasMetadata> type = KINDS.get(kind);
    assertThat(type).as(file + ": kind " + kind + " is one this test knows").isNotNull();
    try {
      final HasMetadata m = YAML.treeToValue(doc, type);
      final List<String> unknown = new ArrayList<>();
      unknownFields(m, key(doc), unknown, new java.util.IdentityHashMap<>());
      assertThat(unknown).as(file + ": fields the Kubernetes schema does not have").isEmpty();
      assertThat(m.getApiVersion()).as(file + " " + key(doc) + " apiVersion")
          .isEqualTo(YAML.treeToValue(YAML.createObjectNode(), type).getApiVersion());
      assertThat(m.getMetadata().getName()).isNotBlank();
      return m;
    } catch (IOException e) {
      throw new AssertionError(file + ": " + key(doc) + " is not a valid " + kind + ": " + e.getMessage(), e);
    }
  }

  /**
   * fabric8's model keeps fields it does not know in {@code additionalProperties} instead of
   * failing: collect every such field, anywhere in the object, with its path.
   */
  private static void unknownFields(Object o, String path, List<String> out, Map<Object, Boolean> seen) {
    if (o == null || seen.put(o, Boolean.TRUE) != null) {
      return;
    }
    if (o instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        unknownFields(list.get(i), path + "[" + i + "]", out, seen);
      }
      return;
    }
    if (o instanceof Map<?, ?> map) {
      map.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (java.lang.reflect.Method m : o.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getName().equals("getClass")) {
        continue;
      }
      try {
        final Object value = m.invoke(o);
        if (m.getName().equals("getAdditionalProperties")) {
          ((Map<?, ?>) value).keySet().forEach(k -> out.add(path + "." + k));
        } else {
          final String field = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
          unknownFields(value, path + "." + field, out, seen);
        }
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(e);
      }
    }
  }

  private static StatefulSet statefulSet(Map<String, ObjectNode> objects) {
    return (StatefulSet) toModel(ROOT, objects.get("StatefulSet/simple-coordinator"));
  }

  private static Service service(Map<String, ObjectNode> objects, String name) {
    final ObjectNode doc = objects.get("Service/" + name);
    assertThat(doc).as("Service " + name).isNotNull();
    return (Service) toModel(ROOT, doc);
  }

  private static String env(Container c, String name) {
    return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst()
        .orElseThrow(() -> new AssertionError("no env " + name + " in container " + c.getName()));
  }
}
