"""What rendered Kubernetes manifests mean, evaluated as the cluster would: overlays rendered
with opt-in components, label selectors, NetworkPolicy decisions for one connection, and
Prometheus relabelling of discovered pod ports."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.support import K8S, tool

Doc = dict[str, Any]
Docs = list[Doc]
Labels = Mapping[str, str]

# Where pods get their addresses in the model (kind's pod CIDR, as the base assumes).
POD_NETWORK = ipaddress.ip_network("10.244.0.0/16")


def render_tree(root: Path, overlay: str, components: Iterable[str] = ()) -> Docs:
    """``overlay`` of the deploy/k8s tree copied under ``root``, with ``components`` (names
    under components/) added to its kustomization as an operator opts in: rendered by the
    kustomize built into kubectl."""
    tree = root / "k8s"
    if not tree.exists():
        shutil.copytree(K8S, tree)
    kustomization = tree / "overlays" / overlay / "kustomization.yaml"
    config = yaml.safe_load(kustomization.read_text())
    config["components"] = [f"../../components/{name}" for name in components]
    kustomization.write_text(yaml.safe_dump(config, sort_keys=False))
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(kustomization.parent)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize {overlay} + {list(components)} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def find(docs: Docs, kind: str, name: str | None = None) -> list[Doc]:
    return [
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]


def one(docs: Docs, kind: str, name: str) -> Doc:
    found = find(docs, kind, name)
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def selects(selector: Mapping[str, Any] | None, labels: Labels) -> bool:
    """A Kubernetes LabelSelector (matchLabels and matchExpressions) applied to labels;
    an empty selector selects everything."""
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unknown selector operator {operator}")
    return True


@dataclass(frozen=True)
class Endpoint:
    """One side of a connection: a pod (labels, named ports) or an address outside the
    cluster (labels None)."""

    name: str
    ip: str
    namespace: str | None = None
    namespace_labels: Labels = field(default_factory=dict)
    labels: Labels | None = None
    ports: Mapping[str, int] = field(default_factory=dict)

    @property
    def is_pod(self) -> bool:
        return self.labels is not None


def namespace_labels(name: str, docs: Docs) -> dict[str, str]:
    """A namespace's labels: the automatic ``kubernetes.io/metadata.name`` and any that
    a rendered Namespace object carries."""
    labels = {"kubernetes.io/metadata.name": name}
    for namespace in find(docs, "Namespace", name):
        labels.update(namespace["metadata"].get("labels") or {})
    return labels


def pods(docs: Docs) -> list[Endpoint]:
    """One pod per workload (Deployment, StatefulSet, Job) with its template's labels and
    its containers' named ports, at distinct addresses of the pod network."""
    found = []
    hosts = POD_NETWORK.hosts()
    for workload in docs:
        if workload["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        template = workload["spec"]["template"]
        ports = {
            port["name"]: port["containerPort"]
            for container in template["spec"]["containers"]
            for port in container.get("ports", [])
            if "name" in port
        }
        namespace = workload["metadata"]["namespace"]
        found.append(
            Endpoint(
                name=workload["metadata"]["name"],
                ip=str(next(hosts)),
                namespace=namespace,
                namespace_labels=namespace_labels(namespace, docs),
                labels=dict(template["metadata"]["labels"]),
                ports=ports,
            )
        )
    return found


def _peer_admits(peer: Doc, policy_namespace: str, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        address = ipaddress.ip_address(other.ip)
        if address not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(address in ipaddress.ip_network(e) for e in block.get("except", []))
    if not other.is_pod:
        return False  # pod and namespace selectors only ever match pods
    namespace_selector = peer.get("namespaceSelector")
    if namespace_selector is None:
        if other.namespace != policy_namespace:
            return False
    elif not selects(namespace_selector, other.namespace_labels):
        return False
    return selects(peer.get("podSelector"), other.labels or {})


def _port_admits(rule_ports: list[Doc] | None, port: int, protocol: str, target: Endpoint) -> bool:
    """Named ports resolve on the pod the traffic goes to."""
    if not rule_ports:
        return True
    for rule_port in rule_ports:
        if rule_port.get("protocol", "TCP") != protocol:
            continue
        wanted = rule_port.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            if target.ports.get(wanted) == port:
                return True
            continue
        last = int(rule_port.get("endPort") or wanted)
        if int(wanted) <= port <= last:
            return True
    return False


def _policy_types(policy: Doc) -> list[str]:
    spec = policy["spec"]
    if "policyTypes" in spec:
        return list(spec["policyTypes"])
    return ["Ingress", *(["Egress"] if "egress" in spec else [])]


def _isolating(policies: Docs, pod: Endpoint, direction: str) -> Docs:
    return [
        p
        for p in policies
        if p["metadata"]["namespace"] == pod.namespace
        and direction in _policy_types(p)
        and selects(p["spec"]["podSelector"], pod.labels or {})
    ]


def _admits(
    policy: Doc, direction: str, other: Endpoint, port: int, protocol: str, target: Endpoint
) -> bool:
    """Whether one of ``policy``'s rules for ``direction`` admits the peer ``other``
    (the target for egress, the source for ingress) on ``target``'s port."""
    rules, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    namespace = policy["metadata"]["namespace"]
    for rule in policy["spec"].get(rules) or []:
        peers = rule.get(peers_key)
        if peers and not any(_peer_admits(peer, namespace, other) for peer in peers):
            continue
        if _port_admits(rule.get("ports"), port, protocol, target):
            return True
    return False


def allowed(
    policies: Docs, source: Endpoint, target: Endpoint, port: int, protocol: str = "TCP"
) -> bool:
    """Whether NetworkPolicies let ``source`` open a connection to ``target``:``port``.

    Egress of the source and ingress of the target must both admit it; a pod no policy
    isolates in a direction is open in it, and an address outside the cluster has no
    policies of its own.
    """
    if source.is_pod:
        egress = _isolating(policies, source, "Egress")
        if egress and not any(_admits(p, "Egress", target, port, protocol, target) for p in egress):
            return False
    if target.is_pod:
        ingress = _isolating(policies, target, "Ingress")
        if ingress and not any(
            _admits(p, "Ingress", source, port, protocol, target) for p in ingress
        ):
            return False
    return True


def _go_replacement(template: str) -> str:
    """Prometheus's ``$1`` / ``${1}`` references in Python's ``\\g<1>`` form."""
    return re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", template)


def relabel(labels: Mapping[str, str], configs: list[Doc]) -> dict[str, str] | None:
    """Prometheus relabelling (replace, keep, drop) of one target's labels; None when the
    target is dropped. Regexes are anchored, as Prometheus anchors them."""
    current = dict(labels)
    for config in configs:
        action = config.get("action", "replace")
        if action not in ("replace", "keep", "drop"):
            raise ValueError(f"relabel action {action!r} is not modelled")
        regex = re.compile(config.get("regex", "(.*)"))
        separator = config.get("separator", ";")
        value = separator.join(current.get(name, "") for name in config.get("source_labels", []))
        match = regex.fullmatch(value)
        if action == "keep" and not match:
            return None
        if action == "drop" and match:
            return None
        if action == "replace" and match:
            replacement = match.expand(_go_replacement(config.get("replacement", "$1")))
            if replacement:
                current[config["target_label"]] = replacement
            else:
                current.pop(config["target_label"], None)
    return current


def sanitize(label: str) -> str:
    """A Kubernetes label name as Prometheus service discovery spells it."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", label)


def pod_port_targets(docs: Docs) -> list[tuple[Doc, dict[str, str]]]:
    """What Prometheus's Kubernetes pod discovery offers: one target per declared container
    port of each workload's pod, with its ``__meta_kubernetes_*`` labels."""
    targets = []
    for workload in docs:
        if workload["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        template = workload["spec"]["template"]
        meta = {
            "__meta_kubernetes_namespace": workload["metadata"]["namespace"],
            "__meta_kubernetes_pod_name": f"{workload['metadata']['name']}-0",
        }
        for key, value in template["metadata"]["labels"].items():
            meta[f"__meta_kubernetes_pod_label_{sanitize(key)}"] = value
        for key, value in (template["metadata"].get("annotations") or {}).items():
            meta[f"__meta_kubernetes_pod_annotation_{sanitize(key)}"] = value
        for container in template["spec"]["containers"]:
            for port in container.get("ports", []):
                labels = {
                    **meta,
                    "__address__": f"10.244.0.10:{port['containerPort']}",
                    "__meta_kubernetes_pod_container_name": container["name"],
                    "__meta_kubernetes_pod_container_port_name": port.get("name", ""),
                    "__meta_kubernetes_pod_container_port_number": str(port["containerPort"]),
                }
                targets.append((workload, labels))
    return targets
