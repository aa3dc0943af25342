"""Readiness, metrics and the API description are not on the gateway's public port.

The public port is what the ingress forwards; ``/metrics``, ``/readyz``, ``/docs``
and ``/openapi.json`` used to be answered there for anyone. They now live on the
operations port, which only probes and Prometheus reach.
"""

from __future__ import annotations

import httpx
import pytest

from switchboard.stack import LocalStack
from tests.support.fixtures import StackFactory

OPS_ONLY = ("/metrics", "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")


@pytest.fixture
def stack(make_stack: StackFactory) -> LocalStack:
    return make_stack()


async def test_public_port_hides_operational_endpoints(stack: LocalStack) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        for path in OPS_ONLY:
            response = await http.get(path)
            assert response.status_code == 404, (path, response.text[:200])
            assert "<html" not in response.text.lower(), path  # not the web UI's page
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        assert (await http.get("/health")).json() == {"status": "ok"}


async def test_ops_port_serves_them(stack: LocalStack) -> None:
    assert stack.gateway_ops_url != stack.url
    async with httpx.AsyncClient(base_url=stack.gateway_ops_url, timeout=20) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ok"}
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        metrics = await http.get("/metrics")
        assert metrics.status_code == 200
        assert "switchboard_gateway_active_sockets" in metrics.text

        document = (await http.get("/openapi.json")).json()
        assert document["info"]["title"] == "switchboard-gateway"
        paths = document["paths"]
        for path in ("/login", "/project/thread", "/project/threads", "/feedback", "/project/file"):
            assert path in paths, path
        assert not set(paths) & {"/metrics", "/readyz", "/openapi.json"}
        docs = await http.get("/docs")
        assert docs.status_code == 200 and "/openapi.json" in docs.text

        # The ops port is not a second way into the app.
        assert (await http.get("/project/settings")).status_code == 404
        assert (await http.post("/login", data={"username": "a", "password": "b"})).status_code in (
            404,
            405,
        )
