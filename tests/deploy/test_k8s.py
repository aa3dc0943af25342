"""deploy/k8s: both overlays rendered by kustomize, with and without the opt-in components,
valid against the Kubernetes 1.30 schemas (strict), and holding the properties operators
rely on. Monitoring and autoscaling: test_k8s_monitoring.py; NetworkPolicies:
test_k8s_network.py."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate.utils as kv
import pytest
import yaml

from tests.deploy.k8s_model import render_tree
from tests.deploy.support import DEPLOY, K8S, K8S_VERSION, OVERLAYS, SCHEMAS, kustomize

HTTP_SERVICES = ("gateway", "sessions", "auth", "persistence")
# Custom resources kubernetes-validate has no schema for, each with a schema of its own here.
CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): SCHEMAS / "keda-scaledobject.json",
    ("monitoring.coreos.com/v1", "PodMonitor"): SCHEMAS / "podmonitor.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): SCHEMAS / "prometheusrule.json",
}
# What an overlay may opt into (deploy/k8s/components), each set rendered with both overlays.
COMPONENT_SETS = (
    (),
    ("prometheus-operator",),
    ("prometheus-operator", "worker-egress-https", "auth-egress-https"),
)

Docs = list[dict[str, Any]]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, Docs]:
    return request.param, kustomize(request.param)


def _find(docs: Docs, kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]


def _one(docs: Docs, kind: str, name: str) -> dict[str, Any]:
    found = _find(docs, kind, name)
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def _workloads(docs: Docs) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job")]


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_components_are_all_rendered() -> None:
    shipped = {path.name for path in (K8S / "components").iterdir() if path.is_dir()}
    assert shipped == {name for names in COMPONENT_SETS for name in names}


@pytest.mark.parametrize("components", COMPONENT_SETS, ids=lambda c: "+".join(c) or "plain")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_is_valid_for_kubernetes_1_30(
    overlay: str, components: tuple[str, ...], tmp_path: Path
) -> None:
    docs = render_tree(tmp_path, overlay, components)
    kinds = {doc["kind"] for doc in docs}
    assert ("PodMonitor" in kinds) == ("prometheus-operator" in components)
    errors = []
    for doc in docs:
        crd = CRD_SCHEMAS.get((doc["apiVersion"], doc["kind"]))
        where = f"{overlay}+{components}: {doc['kind']}/{doc['metadata']['name']}"
        try:
            if crd is not None:
                jsonschema.validate(doc, json.loads(crd.read_text()))
            else:
                kv.validate(doc, K8S_VERSION, strict=True)
        except (kv.ValidationError, jsonschema.ValidationError) as exc:
            errors.append(f"{where}: {exc.message}")
        except kv.SchemaNotFoundError:
            errors.append(f"{where}: no schema (add one to CRD_SCHEMAS)")
    assert not errors, "\n".join(errors)


def test_secret_example_is_valid_and_holds_placeholders_only() -> None:
    doc = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    kv.validate(doc, K8S_VERSION, strict=True)
    for key, value in doc["stringData"].items():
        assert "CHANGE-ME" in value or value == "s3.example.com", f"{key} looks real"


def test_pods_run_restricted(rendered: tuple[str, Docs]) -> None:
    overlay, docs = rendered
    for workload in _workloads(docs):
        name = f"{overlay}: {workload['metadata']['name']}"
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod.get("automountServiceAccountToken") is False, name
        for container in pod.get("initContainers", []) + pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name


def test_services_are_probed(rendered: tuple[str, Docs]) -> None:
    _, docs = rendered
    for service in HTTP_SERVICES:
        container = _one(docs, "Deployment", f"switchboard-{service}")["spec"]["template"]["spec"][
            "containers"
        ][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    worker = _one(docs, "Deployment", "switchboard-worker")["spec"]["template"]["spec"]
    container = worker["containers"][0]
    ready = ["python", "-m", "switchboard_worker", "--ready"]
    assert container["startupProbe"]["exec"]["command"] == ready
    assert container["readinessProbe"]["exec"]["command"] == ready
    assert container["livenessProbe"]["exec"]["command"] == [*ready[:-1], "--alive"]
    # A liveness restart needs the beat to have lapsed (3 intervals of 10 s) first.
    liveness = container["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] > 30


def test_references_resolve(rendered: tuple[str, Docs]) -> None:
    overlay, docs = rendered
    configmaps = {d["metadata"]["name"] for d in _find(docs, "ConfigMap")}
    secrets = {d["metadata"]["name"] for d in _find(docs, "Secret")}
    pods = {
        w["metadata"]["name"]: w["spec"]["template"]["metadata"]["labels"] for w in _workloads(docs)
    }
    for workload in _workloads(docs):
        pod = workload["spec"]["template"]["spec"]
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configmaps
        for container in pod.get("initContainers", []) + pod["containers"]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps
            for var in container.get("env", []):
                ref = var.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    assert ref["configMapKeyRef"]["name"] in configmaps
                if "secretKeyRef" in ref and overlay == "dev":
                    assert ref["secretKeyRef"]["name"] in secrets
    for service in _find(docs, "Service"):
        selector = service["spec"]["selector"]
        assert any(_matches(selector, labels) for labels in pods.values()), service["metadata"]
    for pdb in _find(docs, "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert any(_matches(selector, labels) for labels in pods.values()), pdb["metadata"]
    for backend in _one(docs, "Ingress", "switchboard")["spec"]["rules"][0]["http"]["paths"]:
        _one(docs, "Service", backend["backend"]["service"]["name"])


def test_secrets_stay_out_of_prod_and_are_placeholders_in_dev() -> None:
    assert not _find(kustomize("prod"), "Secret")
    (dev_secret,) = _find(kustomize("dev"), "Secret")
    keys = set(dev_secret["data"])
    example = set(yaml.safe_load((K8S / "secret.example.yaml").read_text())["stringData"])
    assert example <= keys


def test_ingress_carries_websockets_to_the_gateway_only(rendered: tuple[str, Docs]) -> None:
    _, docs = rendered
    ingress = _one(docs, "Ingress", "switchboard")
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    assert not any("affinity" in key for key in annotations)
    backends = {
        p["backend"]["service"]["name"] for p in ingress["spec"]["rules"][0]["http"]["paths"]
    }
    assert backends == {"switchboard-gateway"}
    assert all(
        s["spec"]["type"] == "ClusterIP" for s in _find(docs, "Service") if "type" in s["spec"]
    )


def test_autoscaling_targets_exist(rendered: tuple[str, Docs]) -> None:
    _, docs = rendered
    hpa = _one(docs, "HorizontalPodAutoscaler", "switchboard-gateway")
    _one(docs, "Deployment", hpa["spec"]["scaleTargetRef"]["name"])
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    scaled = _one(docs, "ScaledObject", "switchboard-worker")
    target = _one(docs, "Deployment", scaled["spec"]["scaleTargetRef"]["name"])
    # Autoscaled deployments leave `replicas` to their autoscaler.
    assert "replicas" not in target["spec"]
    assert "replicas" not in _one(docs, "Deployment", "switchboard-gateway")["spec"]


def _secret_refs(container: dict[str, Any]) -> dict[str, Any]:
    return {
        var["name"]: var["valueFrom"]["secretKeyRef"]
        for var in container.get("env", [])
        if "secretKeyRef" in var.get("valueFrom", {})
    }


def test_services_migrate_their_schema_before_they_start(rendered: tuple[str, Docs]) -> None:
    """Each service that owns a database migrates it in an init container: no replica serves
    before its schema exists, and the service itself never migrates (--no-migrate)."""
    _, docs = rendered
    assert not _find(docs, "Job", "switchboard-migrate")
    for service, database in (
        ("persistence", "SWITCHBOARD_DATABASE_URL"),
        ("auth", "SWITCHBOARD_AUTH_DATABASE_URL"),
    ):
        pod = _one(docs, "Deployment", f"switchboard-{service}")["spec"]["template"]["spec"]
        (main,) = pod["containers"]
        (init,) = pod["initContainers"]
        module = f"switchboard_{service}"
        assert init["command"] == ["python", "-m", module, "migrate"]
        assert main["command"] == ["python", "-m", module, "serve", "--no-migrate"]
        assert init["image"] == main["image"]
        assert init["envFrom"] == main["envFrom"]
        assert _secret_refs(init)[database] == _secret_refs(main)[database]
    # Services without a database start at once.
    for service in ("gateway", "sessions", "worker", "exporter"):
        pod = _one(docs, "Deployment", f"switchboard-{service}")["spec"]["template"]["spec"]
        assert "initContainers" not in pod, service


def test_dev_runs_backends_as_statefulsets_and_prod_has_none() -> None:
    dev = {d["metadata"]["name"] for d in _find(kustomize("dev"), "StatefulSet")}
    assert dev == {"switchboard-postgres", "switchboard-redis", "switchboard-minio"}
    assert not _find(kustomize("prod"), "StatefulSet")


def test_k8s_config_is_the_compose_config() -> None:
    assert (K8S / "base" / "config.toml").read_text() == (DEPLOY / "config.toml").read_text()


def test_gateway_operations_port_is_probed_and_scraped_but_never_routed(
    rendered: tuple[str, Docs],
) -> None:
    _, docs = rendered
    gateway = _one(docs, "Deployment", "switchboard-gateway")["spec"]["template"]
    container = gateway["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    env = {v["name"]: v.get("value") for v in container.get("env", [])}
    assert env["SWITCHBOARD_GATEWAY_OPS_PORT"] == str(ports["ops"])
    assert container["readinessProbe"]["httpGet"]["port"] == "ops"
    assert gateway["metadata"]["annotations"]["prometheus.io/port"] == str(ports["ops"])
    # The Service the Ingress uses does not carry it (NetworkPolicies: test_k8s_network.py).
    service = _one(docs, "Service", "switchboard-gateway")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]


def test_gateway_trusts_forwarding_headers_from_a_documented_range_only(
    rendered: tuple[str, Docs],
) -> None:
    _, docs = rendered
    (config,) = [
        d for d in _find(docs, "ConfigMap") if d["metadata"]["name"].startswith("switchboard-env")
    ]
    env = config["data"]
    entries = [e for e in env["SWITCHBOARD_TRUSTED_PROXIES"].replace(",", " ").split() if e]
    assert entries
    for entry in entries:
        network = ipaddress.ip_network(entry, strict=False)
        assert network.prefixlen >= 8, f"{entry} trusts too much"
        assert network.is_private, entry
    comment = (K8S / "base" / "kustomization.yaml").read_text()
    assert "SWITCHBOARD_TRUSTED_PROXIES" in comment and "pod CIDR" in comment


def test_gateway_serves_the_public_folder_of_its_image(rendered: tuple[str, Docs]) -> None:
    overlay, docs = rendered
    container = _one(docs, "Deployment", "switchboard-gateway")["spec"]["template"]["spec"][
        "containers"
    ][0]
    env = {v["name"]: v.get("value") for v in container.get("env", [])}
    # Where the gateway image and gateway-app.Dockerfile put the app's public/ folder.
    assert env["SWITCHBOARD_PUBLIC_DIR"] == "/app/public"
    if overlay == "dev":
        assert container["image"] == "switchboard/gateway-demo:dev"
