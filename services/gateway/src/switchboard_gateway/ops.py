"""Operational endpoints, kept off the public port.

Readiness details, metrics and the API description help an attacker as much as an
operator, and the public port is what the ingress forwards. They live on a second
listener (``SWITCHBOARD_GATEWAY_OPS_PORT``) that probes and Prometheus reach inside
the cluster; the public port keeps only a bare ``/healthz`` and Chainlit's ``/health``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from switchboard.service import ReadinessCheck, health_router, instrument
from switchboard_gateway.errors import NotFound

__all__ = ("OPS_ONLY_PATHS", "build_ops_app", "not_on_public_port")

# Answered 404 on the public port: the web UI's catch-all route would serve its page.
OPS_ONLY_PATHS = (
    "/metrics",
    "/readyz",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
)


def not_on_public_port() -> APIRouter:
    """404 for the operational paths, before the web UI's catch-all claims them."""
    router = APIRouter()

    async def not_found() -> None:
        raise NotFound("Not Found")

    for path in OPS_ONLY_PATHS:
        router.add_api_route(path, not_found, methods=["GET", "HEAD"], include_in_schema=False)
    return router


def build_ops_app(public: FastAPI, checks: dict[str, ReadinessCheck]) -> FastAPI:
    """Health, readiness, metrics, and the public API's OpenAPI document and docs page."""
    ops = FastAPI(
        title="switchboard-gateway operations", openapi_url=None, docs_url=None, redoc_url=None
    )
    ops.include_router(health_router(checks))

    @ops.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        document: dict[str, Any] = public.openapi()
        return JSONResponse(document)

    @ops.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{public.title} API")

    instrument(ops, "gateway")
    return ops
