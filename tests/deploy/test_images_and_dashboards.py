"""Dockerfiles follow the image rules; the dashboard and docs name metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import redis

from switchboard.names import RedisNames
from switchboard.ops import RedisCollector
from tests.deploy.support import DEPLOY, dockerfile_stages
from tests.support.fixtures import REPO

SERVICES = ("gateway", "sessions", "auth", "worker")
DOCS = REPO / "docs" / "operations.md"


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_is_multi_stage_slim_and_unprivileged(service: str) -> None:
    path = REPO / "services" / service / "Dockerfile"
    text = path.read_text()
    stages = dockerfile_stages(path)
    assert "builder" in stages
    assert any("uv sync --frozen" in line for line in stages["builder"])
    runtime_name = "worker" if service == "worker" else "runtime"
    runtime = stages[runtime_name]
    assert runtime[0].startswith("FROM ${PYTHON_IMAGE}")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert any(line.startswith("COPY --from=builder /app/.venv") for line in runtime)
    assert not any("uv" in line.split() or "apt-get" in line for line in runtime[1:])
    assert any(re.match(r"USER 10001(:10001)?$", line) for line in runtime)
    assert any(line.startswith("HEALTHCHECK") for line in runtime)
    # What an old engine (compose-real: Docker 20.10) cannot build.
    assert "# syntax=" not in text and "<<EOF" not in text and "--link" not in text
    for line in stages["builder"]:
        if line.startswith("COPY ") and "--from" not in line:
            source = line.split()[1]
            assert (REPO / source).exists(), f"{path}: {source} missing"


def test_gateway_image_builds_the_web_ui() -> None:
    stages = dockerfile_stages(REPO / "services/gateway/Dockerfile")
    assert stages["web"][0].startswith("FROM ${NODE_IMAGE}")
    assert any("npm ci" in line and "npm run build" in line for line in stages["web"])
    assert any(line.startswith("COPY --from=web") for line in stages["builder"])
    vite = (REPO / "web" / "vite.config.ts").read_text()
    assert "services/gateway/src/switchboard_gateway/static/dist" in vite


def test_dockerignore_keeps_local_state_out_but_not_sources() -> None:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for pattern in ("**/.venv", "**/node_modules", "**/.env", "**/.git"):
        assert pattern in ignored
    for needed in ("shared", "services", "web", "examples", "uv.lock", "pyproject.toml"):
        assert needed not in ignored


def test_worker_app_example_extends_the_base() -> None:
    example = (DEPLOY / "examples" / "worker-app.Dockerfile").read_text()
    assert "COPY app.py /app/app.py" in example
    assert re.search(r"^FROM \$\{WORKER_IMAGE\}$", example, re.M)


def _documented_metrics() -> dict[str, str]:
    """Rows of the metrics table in docs/operations.md: name -> who exports it."""
    rows = {}
    for line in DOCS.read_text().splitlines():
        match = re.match(r"\|\s*`(switchboard_[a-z_]+)`\s*\|[^|]*\|\s*([^|]+?)\s*\|", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def _exported_in(folder: Path) -> set[str]:
    names = set()
    for source in folder.rglob("*.py"):
        names |= set(re.findall(r'"(switchboard_[a-z_]+)"', source.read_text()))
    return names


def test_dashboard_queries_documented_metrics() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "switchboard.json").read_text())
    documented = _documented_metrics()
    queried = set()
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            queried |= set(
                re.findall(r"\b(switchboard_[a-z_]+?)(?:_bucket|_total)?\b", target["expr"])
            )
    base = {re.sub(r"_(bucket|total)$", "", name) for name in documented}
    missing = {name for name in queried if name not in documented and name not in base}
    assert not missing, f"dashboard metrics missing from docs/operations.md: {sorted(missing)}"
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for topic in (
        "queue depth",
        "oldest",
        "wait",
        "run time",
        "sockets",
        "ui events",
        "lag",
        "dead letters",
        "asks",
    ):
        assert topic in titles, topic


def test_documented_metrics_exist_where_the_docs_say(redis_url: str, redis_prefix: str) -> None:
    documented = _documented_metrics()
    client = redis.Redis.from_url(redis_url)
    try:
        exporter = {m.name for m in RedisCollector(client, RedisNames(redis_prefix)).collect()}
    finally:
        client.close()
    services = {s: _exported_in(REPO / "services" / s / "src") for s in ("gateway", "persistence")}
    for name, source in documented.items():
        family = re.sub(r"_total$", "", name)
        if source.startswith("exporter"):
            assert name in exporter, name
        elif source.startswith(("gateway", "persistence")):
            service = source.split()[0]
            assert name in services[service] or family in services[service], (name, source)
        else:
            assert "not yet" in source, f"{name}: say who exports it ({source!r})"
    assert exporter <= set(documented), sorted(exporter - set(documented))
