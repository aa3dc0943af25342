"""Dockerfiles follow the image rules (metric names: test_metric_names.py)."""

from __future__ import annotations

import re

import pytest

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
