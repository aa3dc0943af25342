"""Read the deploy files as the tools that consume them do: compose with its variable
interpolation, kustomize overlays rendered by kustomize itself, Dockerfile stages."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.fixtures import REPO

DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")
SCHEMAS = Path(__file__).parent / "schemas"
K8S_VERSION = "1.30.0"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, $NAME; $$ is a literal $.
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class InterpolationError(ValueError):
    """A required variable is missing, or a reference is malformed."""


def tool(name: str) -> str:
    """An installed command-line tool, from the test environment's bin/ first; fails if absent."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (uv sync installs the dev tools)")
    return found


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines as docker compose reads an env file (comments and blanks skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise InterpolationError(f"{path.name}: not KEY=VALUE: {line!r}")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def references(text: str) -> list[tuple[str, str | None]]:
    """Every variable a string refers to, with its operator (``:-``, ``:?``, ... or None)."""
    found = []
    for match in _VARIABLE.finditer(text):
        name = match.group("braced") or match.group("bare")
        if name:
            found.append((name, match.group("op")))
    return found


def interpolate_text(text: str, env: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        value = env.get(name)
        unset_or_empty = value is None or (op is not None and op.startswith(":") and value == "")
        if op in (":-", "-"):
            return arg if unset_or_empty else str(value)
        if op in (":?", "?"):
            if unset_or_empty:
                raise InterpolationError(f"required variable {name} is missing: {arg}")
            return str(value)
        return "" if value is None else value

    return _VARIABLE.sub(replace, text)


def interpolate(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate_text(node, env)
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    return node


def strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*strings(key), *strings(value))]
    return []


def load_compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    """deploy/compose.yaml with YAML merge keys resolved and, given ``env``, interpolated."""
    raw = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return raw if env is None else interpolate(raw, env)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


@functools.cache
def kustomize(overlay: str) -> list[dict[str, Any]]:
    """An overlay rendered by kustomize (the one built into kubectl, as `kubectl apply -k`)."""
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize overlays/{overlay} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def dockerfile_stages(path: Path) -> dict[str, list[str]]:
    """Instructions per stage (continuation lines joined), keyed by stage name or index."""
    stages: dict[str, list[str]] = {}
    current: list[str] | None = None
    logical = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            parts = line.split()
            name = parts[3] if len(parts) >= 4 and parts[2].upper() == "AS" else str(len(stages))
            current = stages.setdefault(name, [])
        if current is not None:
            current.append(line)
    return stages
