"""deploy/compose.yaml from a fresh clone: `make compose-env`, one build per image, worker metrics."""

from __future__ import annotations

import re
import stat
import subprocess
from collections import defaultdict
from pathlib import Path

from switchboard.config import Settings
from tests.deploy.support import (
    ENV_EXAMPLE,
    environment,
    interpolate,
    load_compose,
    read_env_file,
)
from tests.support.fixtures import REPO

SECRETS = ("SWITCHBOARD_SERVICE_SECRET", "CHAINLIT_AUTH_SECRET", "POSTGRES_PASSWORD")


def _compose_env(target: Path) -> str:
    result = subprocess.run(
        ["make", "-s", "compose-env", f"COMPOSE_ENV={target}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_compose_env_writes_random_secrets_the_stack_accepts(tmp_path: Path) -> None:
    first, second = tmp_path / "first.env", tmp_path / "second.env"
    _compose_env(first)
    _compose_env(second)
    one, two = read_env_file(first), read_env_file(second)

    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert set(one) == set(read_env_file(ENV_EXAMPLE))
    assert not [key for key, value in one.items() if "CHANGE-ME" in value]
    for key in (*SECRETS, "MINIO_ROOT_PASSWORD"):
        assert re.fullmatch(r"[0-9a-f]{64}", one[key]), key
        assert one[key] != two[key], f"{key} is not random"
    assert len({one[key] for key in SECRETS}) == len(SECRETS)
    # Non-secret settings keep the example's values.
    assert one["SWITCHBOARD_HTTP_PORT"] == read_env_file(ENV_EXAMPLE)["SWITCHBOARD_HTTP_PORT"]

    compose = interpolate(load_compose(), one)  # every required variable is set
    worker_env = environment(compose["services"]["worker"])
    settings = Settings(service_secret=worker_env["SWITCHBOARD_SERVICE_SECRET"])
    assert settings.require_service_secret() == one["SWITCHBOARD_SERVICE_SECRET"]


def test_compose_env_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "deploy.env"
    _compose_env(target)
    before = target.read_bytes()
    out = _compose_env(target)
    assert target.read_bytes() == before
    assert "kept" in out

    edited = before + b"SWITCHBOARD_LOG_LEVEL=DEBUG\n"
    target.write_bytes(edited)
    _compose_env(target)
    assert target.read_bytes() == edited


def test_each_image_is_built_by_exactly_one_service() -> None:
    compose = load_compose(read_env_file(ENV_EXAMPLE))
    builders: dict[str, list[str]] = defaultdict(list)
    users: dict[str, list[str]] = defaultdict(list)
    for name, service in compose["services"].items():
        users[service["image"]].append(name)
        if "build" in service:
            builders[service["image"]].append(name)
    ours = {image for image in users if image.startswith("switchboard/")}
    assert ours, "no Switchboard image in compose"
    for image in sorted(ours):
        assert len(builders[image]) == 1, f"{image} is built by {builders[image] or 'nobody'}"
    # A service that runs an image another service builds never pulls it.
    for image in ours:
        for name in users[image]:
            if name not in builders[image]:
                assert compose["services"][name].get("pull_policy") == "never", name
    assert {"migrate", "auth-migrate", "exporter"} <= {
        name for image in ours for name in users[image] if name not in builders[image]
    }


def test_worker_serves_metrics_on_its_own_port() -> None:
    worker = load_compose(read_env_file(ENV_EXAMPLE))["services"]["worker"]
    port = environment(worker)["SWITCHBOARD_WORKER_METRICS_PORT"]
    assert port == "9101"
    assert port in [str(p) for p in worker["expose"]]
    assert not worker.get("ports"), "worker metrics are for the backend network only"
