"""deploy/compose.yaml: valid against the compose-spec schema, and everything it names resolves."""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest

from switchboard.config import AppConfig
from switchboard.mcp_policy import McpRefused, check_spec, spec_from_body
from switchboard.schema.mcp import McpConnectBody
from tests.deploy.support import (
    COMPOSE_FILE,
    DEPLOY,
    ENV_EXAMPLE,
    InterpolationError,
    dockerfile_stages,
    environment,
    interpolate,
    load_compose,
    read_env_file,
    references,
    strings,
    tool,
)
from tests.support.fixtures import REPO

OUR_SERVICES = ("migrate", "auth-migrate", "persistence", "auth", "sessions", "gateway", "worker")


@pytest.fixture(scope="module")
def example_env() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def compose(example_env: dict[str, str]) -> dict[str, Any]:
    return load_compose(example_env)


def _check_jsonschema(path: Path) -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_matches_the_compose_spec_schema() -> None:
    _check_jsonschema(COMPOSE_FILE)


def test_interpolated_compose_matches_the_compose_spec_schema(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    rendered = tmp_path / "compose.json"
    rendered.write_text(json.dumps(compose))
    _check_jsonschema(rendered)


def test_every_variable_resolves_against_the_env_example(example_env: dict[str, str]) -> None:
    raw = load_compose()
    unresolved = []
    for text in strings(raw):
        for name, op in references(text):
            has_default = op in (":-", "-")
            if not has_default and not example_env.get(name):
                unresolved.append(name)
    assert not unresolved, f"not in deploy/.env.example and no default: {sorted(set(unresolved))}"
    interpolate(raw, example_env)  # raises on any malformed or missing reference


def test_secrets_are_required_not_defaulted() -> None:
    raw = load_compose()
    refs = {(name, op) for text in strings(raw) for name, op in references(text)}
    for secret in (
        "SWITCHBOARD_SERVICE_SECRET",
        "CHAINLIT_AUTH_SECRET",
        "POSTGRES_PASSWORD",
        "MINIO_ROOT_PASSWORD",
    ):
        ops = {op for name, op in refs if name == secret}
        assert ops == {":?"}, f"{secret} must be referenced as ${{{secret}:?...}}, got {ops}"
    with pytest.raises(InterpolationError):
        interpolate(raw, {})


def test_env_example_is_committed_and_env_is_ignored() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "deploy/.env"], cwd=REPO, check=False
    ).returncode
    assert ignored == 0, "deploy/.env must be git-ignored"
    secret = read_env_file(ENV_EXAMPLE)["SWITCHBOARD_SERVICE_SECRET"]
    assert len(secret) >= 32 and "CHANGE-ME" in secret


def test_references_between_services_resolve(compose: dict[str, Any]) -> None:
    services = compose["services"]
    networks = set(compose.get("networks") or {})
    volumes = set(compose.get("volumes") or {})
    for name, service in services.items():
        for target, spec in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"
            if condition == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} is not a one-shot"
        for network in service.get("networks") or []:
            assert network in networks, f"{name} uses undeclared network {network}"
        for volume in service.get("volumes") or []:
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            kind = volume.get("type") if isinstance(volume, dict) else None
            if kind == "bind" or source.startswith((".", "/")):
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in volumes, f"{name} uses undeclared volume {source}"
        build = service.get("build")
        if build:
            context = (DEPLOY / build["context"]).resolve()
            assert (context / build["dockerfile"]).is_file(), f"{name}: no {build['dockerfile']}"
            if "target" in build:
                assert build["target"] in dockerfile_stages(context / build["dockerfile"])


def test_every_long_running_service_is_health_checked_and_ordered(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name, service in services.items():
        if service.get("restart") == "no":
            continue
        assert "healthcheck" in service, f"{name} has no healthcheck"
    assert services["persistence"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["auth"]["depends_on"]["auth-migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert "--no-migrate" in services["persistence"]["command"]
    assert "--no-migrate" in services["auth"]["command"]


def test_only_the_edge_publishes_a_port_so_services_scale(compose: dict[str, Any]) -> None:
    services = compose["services"]
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"edge"}
    for name in ("gateway", "worker"):
        assert "container_name" not in services[name], f"{name} could not be scaled"
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text().splitlines()
    nginx = "\n".join(line.split("#", 1)[0] for line in conf)
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx
    assert "resolver 127.0.0.11" in nginx  # re-resolves `gateway` as replicas come and go
    assert "ip_hash" not in nginx and "sticky" not in nginx


def test_every_service_shares_the_config_and_secret(compose: dict[str, Any]) -> None:
    config = tomllib.loads((DEPLOY / "config.toml").read_text())
    assert config["project"]["transports"] == ["websocket"]
    secrets = set()
    for name in OUR_SERVICES:
        service = compose["services"][name]
        env = environment(service)
        assert env["SWITCHBOARD_CONFIG_FILE"] == "/etc/switchboard/config.toml"
        targets = {v["target"] for v in service["volumes"] if isinstance(v, dict)}
        assert "/etc/switchboard/config.toml" in targets, name
        secrets.add(env["SWITCHBOARD_SERVICE_SECRET"])
    assert len(secrets) == 1


def test_worker_serves_the_demo_app(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    stage = dockerfile_stages(REPO / worker["build"]["dockerfile"])[worker["build"]["target"]]
    assert "COPY examples/demo.py /app/app.py" in stage
    assert worker["command"][-1] == "/app/app.py"


def test_gateways_trust_the_edge_network_only(compose: dict[str, Any]) -> None:
    services = compose["services"]
    gateway, edge = services["gateway"], services["edge"]
    (subnet,) = [entry["subnet"] for entry in compose["networks"]["edge"]["ipam"]["config"]]
    assert environment(gateway)["SWITCHBOARD_TRUSTED_PROXIES"] == subnet
    assert ipaddress.ip_network(subnet).is_private
    # Only the edge and the gateways share that network: nothing else can speak as a proxy.
    on_edge = {name for name, s in services.items() if "edge" in (s.get("networks") or [])}
    assert on_edge == {"gateway", "edge"}
    assert edge["networks"] == ["edge"]
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text().splitlines()
    nginx = "\n".join(line.split("#", 1)[0] for line in conf)
    # The right-most hop is the peer the edge saw; the Host keeps the browser's port.
    assert nginx.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == 2
    assert nginx.count("proxy_set_header Host $http_host;") == 2
    assert "$host;" not in nginx


def test_gateway_operations_port_is_checked_and_not_proxied(compose: dict[str, Any]) -> None:
    gateway = compose["services"]["gateway"]
    ops = environment(gateway)["SWITCHBOARD_GATEWAY_OPS_PORT"]
    assert ops in [str(p) for p in gateway["expose"]]
    assert f"127.0.0.1:{ops}/readyz" in " ".join(gateway["healthcheck"]["test"])
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    assert f"gateway:{ops}" not in conf
    blocked = re.search(r"location ~ \^/\(([^)]*)\)", conf)
    assert blocked is not None
    assert {"metrics", "readyz", "docs", "redoc", r"openapi\.json"} <= set(
        blocked.group(1).split("|")
    )


def test_gateway_serves_the_public_folder_its_image_carries(compose: dict[str, Any]) -> None:
    gateway = compose["services"]["gateway"]
    public_dir = environment(gateway)["SWITCHBOARD_PUBLIC_DIR"]
    stages = dockerfile_stages(REPO / gateway["build"]["dockerfile"])
    copies = [line.split() for line in stages[gateway["build"]["target"]]]
    sources = [parts[1] for parts in copies if parts[0] == "COPY" and parts[-1] == public_dir]
    assert sources, f"{gateway['build']['target']} copies nothing to {public_dir}"
    assert all((REPO / source).is_dir() for source in sources)


@pytest.mark.parametrize(
    "url",
    [
        "http://redis:6379/",
        "http://gateway:8000/project/settings",
        "http://169.254.169.254/latest/",
    ],
)
def test_the_deployed_config_lets_users_reach_no_url_until_an_operator_lists_one(
    url: str,
) -> None:
    """An operator who turns MCP and user servers on does not open the stack's insides."""
    config = tomllib.loads((DEPLOY / "config.toml").read_text())
    mcp = config["features"].setdefault("mcp", {})
    mcp.update(enabled=True)
    mcp.setdefault("user_servers", {})["enabled"] = True
    app = AppConfig.model_validate(config)
    body = McpConnectBody.model_validate(
        {
            "sessionId": str(uuid.uuid4()),
            "name": "tools",
            "clientType": "streamable-http",
            "url": url,
        }
    )
    spec = spec_from_body(body, app.features.mcp)
    with pytest.raises(McpRefused, match=r"user_servers\.allowed_urls"):
        check_spec(app.features.mcp, spec)

    listed = dict(mcp["user_servers"], allowed_urls=["https://tools.example.com/mcp"])
    mcp["user_servers"] = listed
    opened = AppConfig.model_validate(config).features.mcp
    check_spec(
        opened,
        spec_from_body(body.model_copy(update={"url": "https://tools.example.com/mcp/x"}), opened),
    )
