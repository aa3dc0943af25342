"""deploy/k8s monitoring and worker autoscaling: every /metrics endpoint is scraped exactly
once (Prometheus Operator's PodMonitors, and the scrape config docs/operations.md gives for
a Prometheus without it), the alert rules are the documented ones and name exported
metrics only, and KEDA's queue trigger reads a series that exists, with a fallback when it
cannot."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis
import yaml
from prometheus_client.parser import text_string_to_metric_families

from switchboard.names import RedisNames
from switchboard.ops import RedisCollector
from tests.deploy.k8s_model import (
    Doc,
    Docs,
    Endpoint,
    allowed,
    find,
    one,
    pod_port_targets,
    pods,
    relabel,
    render_tree,
    selects,
)
from tests.deploy.support import K8S, OVERLAYS, kustomize, tool
from tests.support.fixtures import REPO

OPERATIONS = REPO / "docs" / "operations.md"
RULES = K8S / "components" / "prometheus-operator" / "prometheusrule.yaml"
# The port each service serves /metrics on, by name.
METRICS_PORTS = {
    "switchboard-gateway": "ops",
    "switchboard-sessions": "http",
    "switchboard-auth": "http",
    "switchboard-persistence": "http",
    "switchboard-worker": "metrics",
    "switchboard-exporter": "metrics",
}
# The setting that makes a service listen on its metrics port, where it is not its one port.
PORT_SETTINGS = {
    "switchboard-gateway": "SWITCHBOARD_GATEWAY_OPS_PORT",
    "switchboard-worker": "SWITCHBOARD_WORKER_METRICS_PORT",
}
# Labels every scraped series carries (PodMonitors and the documented scrape config alike).
SCRAPE_LABELS = {"namespace", "pod", "container", "job"}
KEDA = Endpoint(
    "keda-operator",
    "10.244.9.3",
    namespace="keda",
    namespace_labels={"kubernetes.io/metadata.name": "keda"},
    labels={"app": "keda-operator"},
)


@pytest.fixture(scope="module", params=OVERLAYS)
def monitored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Docs]:
    overlay: str = request.param
    docs = render_tree(tmp_path_factory.mktemp(overlay), overlay, ["prometheus-operator"])
    return overlay, docs


@pytest.fixture(scope="module")
def exported_metrics(redis_url: str) -> set[str]:
    """Every metric family a Switchboard process exports: the exporter's gauges (collected
    from a Redis holding none of their keys) and the metrics the services' code constructs."""
    client = redis.Redis.from_url(redis_url)
    try:
        names = {
            m.name
            for m in RedisCollector(client, RedisNames(f"sbtest-{uuid.uuid4().hex}")).collect()
        }
    finally:
        client.close()
    constructor = re.compile(r"\b(?:Counter|Gauge|Histogram|Summary)\(\s*\"(switchboard_\w+)\"")
    for folder in (REPO / "services", REPO / "shared" / "src"):
        for source in folder.rglob("*.py"):
            names |= set(constructor.findall(source.read_text()))
    return {re.sub(r"_total$", "", name) for name in names}


def _family(series: str) -> str:
    return re.sub(r"_(bucket|count|sum|total)$", "", series)


def _workloads(docs: Docs) -> list[Doc]:
    return [d for d in docs if d["kind"] == "Deployment"]


def _pod_ports(workload: Doc) -> dict[str, int]:
    return {
        port["name"]: port["containerPort"]
        for container in workload["spec"]["template"]["spec"]["containers"]
        for port in container.get("ports", [])
    }


def _monitor_namespaces(monitor: Doc) -> set[str] | None:
    """The namespaces a PodMonitor looks in; None for all."""
    selector = monitor["spec"].get("namespaceSelector")
    if not selector:
        return {monitor["metadata"]["namespace"]}
    if selector.get("any"):
        return None
    return set(selector.get("matchNames") or [])


def _pod_monitor_targets(docs: Docs) -> list[tuple[str, str, str, str]]:
    """(deployment, port name, path, job) of every target the PodMonitors produce."""
    targets = []
    for monitor in find(docs, "PodMonitor"):
        namespaces = _monitor_namespaces(monitor)
        for workload in _workloads(docs):
            labels = workload["spec"]["template"]["metadata"]["labels"]
            if namespaces is not None and workload["metadata"]["namespace"] not in namespaces:
                continue
            if not selects(monitor["spec"]["selector"], labels):
                continue
            job_label = monitor["spec"].get("jobLabel")
            job = labels.get(job_label, "") if job_label else ""
            job = job or f"{monitor['metadata']['namespace']}/{monitor['metadata']['name']}"
            for endpoint in monitor["spec"]["podMetricsEndpoints"]:
                if endpoint["port"] in _pod_ports(workload):
                    targets.append(
                        (
                            workload["metadata"]["name"],
                            endpoint["port"],
                            endpoint.get("path", "/metrics"),
                            job,
                        )
                    )
    return targets


def test_pod_monitors_scrape_every_metrics_port_once_and_nothing_else(
    monitored: tuple[str, Docs],
) -> None:
    _, docs = monitored
    targets = _pod_monitor_targets(docs)
    assert sorted((name, port) for name, port, _, _ in targets) == sorted(METRICS_PORTS.items())
    assert {path for _, _, path, _ in targets} == {"/metrics"}
    assert {job for _, _, _, job in targets} == {"switchboard"}


def test_metrics_ports_are_the_ones_the_services_listen_on() -> None:
    for overlay in OVERLAYS:
        docs = kustomize(overlay)
        for name, port_name in METRICS_PORTS.items():
            workload = one(docs, "Deployment", name)
            template = workload["spec"]["template"]
            container = template["spec"]["containers"][0]
            port = _pod_ports(workload)[port_name]
            env = {var["name"]: var.get("value") for var in container.get("env", [])}
            if name in PORT_SETTINGS:
                assert env[PORT_SETTINGS[name]] == str(port), name
            if name == "switchboard-exporter":
                command = container["command"]
                assert command[command.index("--port") + 1] == str(port)
            # For a Prometheus that scrapes by annotation.
            annotations = template["metadata"]["annotations"]
            assert annotations["prometheus.io/scrape"] == "true", name
            assert annotations["prometheus.io/port"] == str(port), name
            assert annotations["prometheus.io/path"] == "/metrics", name


def _documented_scrape_config() -> Doc:
    blocks = re.findall(r"```yaml\n(.*?)```", OPERATIONS.read_text(), re.S)
    configs = [yaml.safe_load(b) for b in blocks if b.startswith("scrape_configs:")]
    assert len(configs) == 1, "docs/operations.md: one scrape_configs block"
    (job,) = configs[0]["scrape_configs"]
    return dict(job)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_documented_scrape_config_scrapes_what_the_pod_monitors_do(overlay: str) -> None:
    job = _documented_scrape_config()
    docs = kustomize(overlay)
    namespace = one(docs, "Deployment", "switchboard-gateway")["metadata"]["namespace"]
    (discovery,) = job["kubernetes_sd_configs"]
    assert discovery["role"] == "pod"
    # The docs name the prod namespace; an operator of another overlay puts in theirs.
    assert discovery["namespaces"]["names"] == ["switchboard"]
    kept = []
    for workload, meta in pod_port_targets(docs):
        labels = relabel(meta, job["relabel_configs"])
        if labels is None:
            continue
        labels.setdefault("job", job["job_name"])
        kept.append(
            (workload["metadata"]["name"], meta["__meta_kubernetes_pod_container_port_name"])
        )
        assert set(labels) >= SCRAPE_LABELS, labels
        assert labels["namespace"] == namespace
        assert labels["job"] == "switchboard"
        assert labels["__address__"] == meta["__address__"]
    assert sorted(kept) == sorted(METRICS_PORTS.items())
    assert job.get("metrics_path", "/metrics") == "/metrics"


def _rules() -> list[Doc]:
    rule = yaml.safe_load(RULES.read_text())
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def _documented_alerts() -> dict[str, tuple[str, str]]:
    """The Alerts table of docs/operations.md: name -> (expression, for)."""
    text = OPERATIONS.read_text()
    section = text[text.index("### Alerts") :]
    section = section[: section.index("\n### ", 1)]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\|\s*(\w+)\s*\|\s*`(.+?)`\s*\|\s*(\w+)\s*\|", line)
        if match and match.group(1) != "Alert":
            rows[match.group(1)] = (match.group(2), match.group(3))
    return rows


def test_alert_rules_are_the_documented_alerts() -> None:
    shipped = {r["alert"]: (r["expr"], r.get("for", "0m")) for r in _rules()}
    assert shipped == _documented_alerts()
    for rule in _rules():
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_alert_rules_name_only_exported_metrics_and_keep_the_namespace(
    exported_metrics: set[str],
) -> None:
    for rule in _rules():
        series = set(re.findall(r"\b(switchboard_\w+)", rule["expr"]))
        assert series or "up{" in rule["expr"], rule["alert"]
        unknown = {s for s in series if _family(s) not in exported_metrics}
        assert not unknown, f"{rule['alert']}: {sorted(unknown)} are exported by no service"
        # Aggregations keep `namespace`, so each alert says which Switchboard it is about.
        for grouping in re.findall(
            r"\b(?:sum|max|min|avg|count)\b\s*(by\s*\([^)]*\))?", rule["expr"]
        ):
            assert "namespace" in grouping, f"{rule['alert']}: aggregates `namespace` away"


def _queue_triggers(scaled: Doc) -> list[Doc]:
    return [t for t in scaled["spec"]["triggers"] if t["type"] not in ("cpu", "memory")]


def test_worker_scaling_falls_back_instead_of_scaling_blind(monitored: tuple[str, Docs]) -> None:
    _, docs = monitored
    scaled = one(docs, "ScaledObject", "switchboard-worker")
    spec = scaled["spec"]
    fallback = spec["fallback"]
    assert fallback["failureThreshold"] >= 1
    assert spec["minReplicaCount"] <= fallback["replicas"] <= spec["maxReplicaCount"]
    assert fallback["behavior"] == "currentReplicasIfHigher"
    assert [t["type"] for t in spec["triggers"] if t["type"] == "cpu"] == ["cpu"]
    (queue,) = _queue_triggers(scaled)
    # KEDA falls back for AverageValue triggers only.
    assert queue["metricType"] == "AverageValue"
    if queue["type"] == "prometheus":
        # An empty answer (the exporter not scraped) must be an error, which falls back,
        # not a zero, which scales down to the minimum.
        assert queue["metadata"]["ignoreNullValues"] == "false"


def test_queue_trigger_reads_a_series_the_exporter_serves(
    monitored: tuple[str, Docs], exported_metrics: set[str]
) -> None:
    overlay, docs = monitored
    scaled = one(docs, "ScaledObject", "switchboard-worker")
    namespace = scaled["metadata"]["namespace"]
    (queue,) = _queue_triggers(scaled)
    metadata = queue["metadata"]
    exporter_metrics = {"switchboard_queue_depth"}
    assert exporter_metrics <= exported_metrics
    if queue["type"] == "prometheus":
        assert overlay == "prod"
        query = metadata["query"]
        assert set(re.findall(r"\b(switchboard_\w+)", query)) == exporter_metrics
        matchers = dict(re.findall(r'(\w+)="([^"]*)"', query))
        # Only labels scraping attaches, and the namespace this overlay deploys to.
        assert set(matchers) <= SCRAPE_LABELS
        assert matchers["namespace"] == namespace
        assert urlsplit(metadata["serverAddress"]).scheme in ("http", "https")
        return
    assert (overlay, queue["type"]) == ("dev", "metrics-api")
    url = urlsplit(metadata["url"])
    service = one(docs, "Service", "switchboard-exporter")
    (port,) = [p["port"] for p in service["spec"]["ports"] if p["name"] == "metrics"]
    assert (url.scheme, url.hostname, url.port, url.path) == (
        "http",
        f"switchboard-exporter.{namespace}.svc",
        port,
        "/metrics",
    )
    assert metadata["format"] == "prometheus"
    assert metadata["valueLocation"] in exporter_metrics
    # KEDA's operator (namespace keda) may reach the exporter's metrics port.
    exporter = next(p for p in pods(docs) if p.name == "switchboard-exporter")
    assert allowed(find(docs, "NetworkPolicy"), KEDA, exporter, exporter.ports["metrics"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def exporter_process(redis_url: str, redis_prefix: str) -> Iterator[str]:
    """`switchboard exporter` as the exporter Deployment runs it; yields its /metrics URL."""
    port = _free_port()
    process = subprocess.Popen(
        [tool("switchboard"), "exporter", "--port", str(port), "--host", "127.0.0.1"],
        env={
            **os.environ,
            "SWITCHBOARD_REDIS_URL": redis_url,
            "SWITCHBOARD_REDIS_PREFIX": redis_prefix,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the exporter did not answer within 30 s"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_exporter_answers_keda_with_the_queue_depth(
    exporter_process: str, redis_url: str, redis_prefix: str
) -> None:
    """What the dev overlay's metrics-api trigger reads: the queue's size, in Prometheus's
    text format, under the name the trigger asks for."""
    (trigger,) = _queue_triggers(one(kustomize("dev"), "ScaledObject", "switchboard-worker"))
    name = trigger["metadata"]["valueLocation"]
    client = redis.Redis.from_url(redis_url)
    try:
        now_ms = int(time.time() * 1000)
        client.zadd(RedisNames(redis_prefix).queue, {f"job-{i}": now_ms for i in range(7)})
        with urllib.request.urlopen(exporter_process, timeout=10) as answer:
            body = answer.read().decode()
    finally:
        client.close()
    families = {f.name: f for f in text_string_to_metric_families(body)}
    (sample,) = families[name].samples
    assert sample.value == 7
