"""deploy/k8s NetworkPolicies, evaluated connection by connection as a cluster enforces them
(tests/deploy/k8s_model.py): each backend is reached by its clients and no other pod, the
services call only the services they need, DNS works everywhere, and what comes from
outside the namespace reaches only the ports meant for it."""

from __future__ import annotations

import pytest

from tests.deploy.k8s_model import (
    Docs,
    Endpoint,
    allowed,
    find,
    namespace_labels,
    pods,
    render_tree,
)
from tests.deploy.support import OVERLAYS

REDIS_CLIENTS = {
    "switchboard-gateway",
    "switchboard-sessions",
    "switchboard-auth",
    "switchboard-persistence",
    "switchboard-worker",
    "switchboard-exporter",
}
CLIENTS = {
    "postgres": {"switchboard-auth", "switchboard-persistence"},
    "redis": REDIS_CLIENTS,
    # The dev overlay's bucket Job creates the bucket in its MinIO.
    "object-storage": {"switchboard-persistence", "switchboard-minio-bucket"},
}
# Who calls whom over HTTP inside the namespace.
CALLS = {
    ("switchboard-gateway", "switchboard-sessions"),
    ("switchboard-gateway", "switchboard-auth"),
    ("switchboard-gateway", "switchboard-persistence"),
    ("switchboard-worker", "switchboard-persistence"),
}
# The scrape ports of every service (the PodMonitors and the scrape config use the same).
METRICS_PORTS = {
    "switchboard-gateway": "ops",
    "switchboard-sessions": "http",
    "switchboard-auth": "http",
    "switchboard-persistence": "http",
    "switchboard-worker": "metrics",
    "switchboard-exporter": "metrics",
}
# overlays/prod/patches/networkpolicy-backends.yaml: the placeholders an operator replaces.
PROD_BACKENDS = {
    "postgres": Endpoint("postgres", "10.10.0.10"),
    "redis": Endpoint("redis", "10.10.0.20"),
    "object-storage": Endpoint("object-storage", "10.10.0.30"),
}
PROD_PORTS = {"postgres": 5432, "redis": 6380, "object-storage": 443}
DEV_BACKENDS = {
    "postgres": "switchboard-postgres",
    "redis": "switchboard-redis",
    "object-storage": "switchboard-minio",
}
DEV_PORTS = {"postgres": "postgres", "redis": "redis", "object-storage": "s3"}
PUBLIC_API = Endpoint("an API on the internet", "203.0.113.10")
CLOUD_METADATA = Endpoint("cloud metadata", "169.254.169.254")
EGRESS_COMPONENTS = ("worker-egress-https", "auth-egress-https")


def _outside(namespace: str, name: str, labels: dict[str, str], ip: str) -> Endpoint:
    return Endpoint(
        name,
        ip,
        namespace=namespace,
        namespace_labels={"kubernetes.io/metadata.name": namespace},
        labels=labels,
        ports={"dns": 53},
    )


KUBE_DNS = _outside("kube-system", "kube-dns", {"k8s-app": "kube-dns"}, "10.96.0.10")
METRICS_SERVER = _outside(
    "kube-system", "metrics-server", {"k8s-app": "metrics-server"}, "10.96.0.11"
)
INGRESS = _outside(
    "ingress-nginx", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}, "10.244.9.1"
)
PROMETHEUS = _outside(
    "monitoring", "prometheus", {"app.kubernetes.io/name": "prometheus"}, "10.244.9.2"
)
KEDA = _outside("keda", "keda-operator", {"app": "keda-operator"}, "10.244.9.3")
ELSEWHERE = _outside("default", "another app", {"app": "shop"}, "10.244.9.4")


@pytest.fixture(
    scope="module",
    params=[(o, c) for o in OVERLAYS for c in ((), EGRESS_COMPONENTS)],
    ids=lambda p: f"{p[0]}{'+egress' if p[1] else ''}",
)
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, tuple[str, ...], Docs]:
    overlay, components = request.param
    return overlay, components, render_tree(tmp_path_factory.mktemp(overlay), overlay, components)


def _pods(docs: Docs) -> dict[str, Endpoint]:
    return {pod.name: pod for pod in pods(docs)}


def _backend(overlay: str, docs: Docs, backend: str) -> tuple[Endpoint, int]:
    if overlay == "prod":
        return PROD_BACKENDS[backend], PROD_PORTS[backend]
    pod = _pods(docs)[DEV_BACKENDS[backend]]
    return pod, pod.ports[DEV_PORTS[backend]]


def test_policies_isolate_every_pod_both_ways(cluster: tuple[str, tuple[str, ...], Docs]) -> None:
    _, _, docs = cluster
    deny = [
        p
        for p in find(docs, "NetworkPolicy")
        if p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert len(deny) == 1


@pytest.mark.parametrize("backend", sorted(CLIENTS))
def test_each_backend_is_reached_by_its_clients_only(
    cluster: tuple[str, tuple[str, ...], Docs], backend: str
) -> None:
    overlay, _, docs = cluster
    policies = find(docs, "NetworkPolicy")
    target, port = _backend(overlay, docs, backend)
    reached = {
        pod.name
        for pod in pods(docs)
        if pod.name != target.name and allowed(policies, pod, target, port)
    }
    expected = CLIENTS[backend] & set(_pods(docs))
    assert reached == expected
    # On its port only: the clients reach nothing else there.
    for name in expected:
        assert not allowed(policies, _pods(docs)[name], target, port + 1), name
    # An in-cluster backend admits no one from other namespaces (what leaves those is
    # their own policies' business, so only a backend pod is ours to close).
    if target.is_pod:
        for outsider in (INGRESS, PROMETHEUS, KEDA, ELSEWHERE):
            assert not allowed(policies, outsider, target, port), outsider.name


def test_services_call_only_the_services_they_need(
    cluster: tuple[str, tuple[str, ...], Docs],
) -> None:
    _, _, docs = cluster
    policies = find(docs, "NetworkPolicy")
    everyone = _pods(docs)
    services = {name: pod for name, pod in everyone.items() if "http" in pod.ports}
    for source in everyone.values():
        for target in services.values():
            if source is target:
                continue
            reached = allowed(policies, source, target, target.ports["http"])
            assert reached == ((source.name, target.name) in CALLS), (source.name, target.name)


def test_every_pod_resolves_names_and_reaches_nothing_else_in_kube_system(
    cluster: tuple[str, tuple[str, ...], Docs],
) -> None:
    _, _, docs = cluster
    policies = find(docs, "NetworkPolicy")
    for pod in pods(docs):
        assert allowed(policies, pod, KUBE_DNS, 53, "UDP"), pod.name
        assert allowed(policies, pod, KUBE_DNS, 53, "TCP"), pod.name
        assert not allowed(policies, pod, METRICS_SERVER, 53, "UDP"), pod.name
        assert not allowed(policies, pod, KUBE_DNS, 443), pod.name


def test_outside_traffic_reaches_only_the_ports_meant_for_it(
    cluster: tuple[str, tuple[str, ...], Docs],
) -> None:
    _, _, docs = cluster
    policies = find(docs, "NetworkPolicy")
    everyone = _pods(docs)
    gateway = everyone["switchboard-gateway"]
    exporter = everyone["switchboard-exporter"]
    # The ingress controller: the gateway's public port, nothing else.
    for pod in everyone.values():
        for name, number in pod.ports.items():
            reached = allowed(policies, INGRESS, pod, number)
            assert reached == (pod is gateway and name == "http"), (pod.name, name)
    # Prometheus: every service's scrape port, nothing else.
    for pod in everyone.values():
        for name, number in pod.ports.items():
            reached = allowed(policies, PROMETHEUS, pod, number)
            assert reached == (METRICS_PORTS.get(pod.name) == name), (pod.name, name)
    # KEDA: the exporter, for the metrics-api trigger.
    for pod in everyone.values():
        for name, number in pod.ports.items():
            reached = allowed(policies, KEDA, pod, number)
            assert reached == (pod is exporter and name == "metrics"), (pod.name, name)
    # Anyone else in the cluster, and the internet: nothing.
    for pod in everyone.values():
        for number in pod.ports.values():
            assert not allowed(policies, ELSEWHERE, pod, number), pod.name
            assert not allowed(policies, PUBLIC_API, pod, number), pod.name


def test_public_https_is_opened_per_component_and_never_to_private_addresses(
    cluster: tuple[str, tuple[str, ...], Docs],
) -> None:
    overlay, components, docs = cluster
    policies = find(docs, "NetworkPolicy")
    opened = {
        "switchboard-worker": "worker-egress-https" in components,
        "switchboard-auth": "auth-egress-https" in components,
    }
    for pod in pods(docs):
        assert allowed(policies, pod, PUBLIC_API, 443) == opened.get(pod.name, False), pod.name
        assert not allowed(policies, pod, PUBLIC_API, 80), pod.name
        assert not allowed(policies, pod, CLOUD_METADATA, 443), pod.name
        assert not allowed(policies, pod, CLOUD_METADATA, 80), pod.name
    # Opening the internet does not open the private backends' HTTPS port.
    if overlay == "prod":
        storage = PROD_BACKENDS["object-storage"]
        assert not allowed(policies, _pods(docs)["switchboard-worker"], storage, 443)


def test_a_pod_no_policy_names_is_cut_off(cluster: tuple[str, tuple[str, ...], Docs]) -> None:
    overlay, _, docs = cluster
    policies = find(docs, "NetworkPolicy")
    namespace = _pods(docs)["switchboard-gateway"].namespace or ""
    debug = Endpoint(
        "debug",
        "10.244.8.8",
        namespace=namespace,
        namespace_labels=namespace_labels(namespace, docs),
        labels={"app": "debug"},
    )
    assert allowed(policies, debug, KUBE_DNS, 53, "UDP")
    for backend in CLIENTS:
        target, port = _backend(overlay, docs, backend)
        assert not allowed(policies, debug, target, port), backend
    for pod in pods(docs):
        for number in pod.ports.values():
            assert not allowed(policies, debug, pod, number), pod.name
    assert not allowed(policies, debug, PUBLIC_API, 443)
