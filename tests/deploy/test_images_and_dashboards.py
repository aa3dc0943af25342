"""Dockerfiles follow the image rules; the dashboard and docs name metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import redis

from switchboard.names import RedisNames
from switchboard.ops import RedisCollector
from tests.deploy.support import DEPLOY, ENV_EXAMPLE, dockerfile_stages, load_compose, read_env_file
from tests.support.fixtures import REPO

DOCKERFILE = REPO / "Dockerfile"
SERVICES = ("gateway", "sessions", "auth", "persistence", "worker")
DOCS = REPO / "docs" / "operations.md"


def _runtime_lines(stages: dict[str, list[str]], target: str) -> list[str]:
    """A target's instructions with those of the stages it is built FROM, base first."""
    lines: list[str] = []
    while target in stages:
        lines = stages[target][1:] + lines
        target = stages[target][0].split()[1]
    return [f"FROM {target}", *lines]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_image_is_slim_unprivileged_and_its_own(service: str) -> None:
    text = DOCKERFILE.read_text()
    stages = dockerfile_stages(DOCKERFILE)
    venv = stages[f"venv-{service}"]
    assert venv[0] == "FROM workspace AS venv-" + service
    sync = f"uv sync --frozen --no-dev --no-editable --package switchboard-{service}"
    assert any(sync in line for line in venv)
    runtime = _runtime_lines(stages, service)
    assert runtime[0] == "FROM ${PYTHON_IMAGE}"
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    copies = [line for line in runtime if line.startswith("COPY --from=")]
    assert copies == [f"COPY --from=venv-{service} /app/.venv /app/.venv"]
    assert not any("uv" in line.split() or "apt-get" in line for line in runtime[1:])
    assert any(re.match(r"USER 10001(:10001)?$", line) for line in runtime)
    assert any(line.startswith("HEALTHCHECK") for line in runtime)
    assert any(line.startswith("CMD [") for line in stages[service])
    # What an old engine (compose-real: Docker 20.10) cannot build.
    assert "# syntax=" not in text and "<<EOF" not in text and "--link" not in text
    for line in stages["workspace"]:
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), f"{source} missing"


def test_http_services_health_urls_match_their_ports() -> None:
    stages = dockerfile_stages(DOCKERFILE)
    for service in ("gateway", "sessions", "auth", "persistence"):
        env = " ".join(line for line in stages[service] if line.startswith("ENV"))
        port = re.search(rf"SWITCHBOARD_{service.upper()}_PORT=(\d+)", env)
        assert port is not None, service
        assert f"SWITCHBOARD_HEALTH_URL=http://127.0.0.1:{port.group(1)}/healthz" in env
        assert f"EXPOSE {port.group(1)}" in stages[service]


def test_gateway_image_builds_the_web_ui() -> None:
    stages = dockerfile_stages(DOCKERFILE)
    assert stages["web"][0].startswith("FROM ${NODE_IMAGE}")
    assert any("npm ci" in line and "npm run build" in line for line in stages["web"])
    assert any(line.startswith("COPY --from=web") for line in stages["workspace"])
    vite = (REPO / "web" / "vite.config.ts").read_text()
    assert "services/gateway/src/switchboard_gateway/static/dist" in vite


def test_compose_builds_each_service_from_its_target() -> None:
    stages = dockerfile_stages(DOCKERFILE)
    compose = load_compose(read_env_file(ENV_EXAMPLE))
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is None:
            continue
        assert build["dockerfile"] == "Dockerfile", name
        assert build["target"] in stages, f"{name}: no stage {build['target']}"
        assert service["image"].split("/")[-1].split(":")[0] == build["target"], name


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


def test_gateway_images_carry_the_public_folder_where_the_gateway_reads_it() -> None:
    stages = dockerfile_stages(DOCKERFILE)
    env = " ".join(line for line in stages["gateway"] if line.startswith("ENV"))
    assert "SWITCHBOARD_PUBLIC_DIR=/app/public" in env
    assert stages["gateway-demo"][1:] == ["COPY examples/public /app/public"]
    example = (DEPLOY / "examples" / "gateway-app.Dockerfile").read_text()
    assert re.search(r"^FROM \$\{GATEWAY_IMAGE\}$", example, re.M)
    assert re.search(r"^COPY public/ /app/public/$", example, re.M)


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
