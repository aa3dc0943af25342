"""What every HTTP service shares: health, readiness, metrics and caller checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from switchboard.internal_auth import InternalCaller, InvalidServiceToken, verify_service_token

__all__ = ("ReadinessCheck", "health_router", "serve", "service_caller")

ReadinessCheck = Callable[[], Awaitable[None]]


def health_router(checks: dict[str, ReadinessCheck]) -> APIRouter:
    """``/healthz`` (the process answers), ``/readyz`` (its dependencies answer), ``/metrics``."""
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz(response: Response) -> dict[str, object]:
        failures: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await check()
            except Exception as exc:  # readiness reports every failure, whatever it is
                failures[name] = f"{type(exc).__name__}: {exc}"
        if failures:
            response.status_code = 503
            return {"status": "unavailable", "failures": failures}
        return {"status": "ok"}

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def service_caller(app: FastAPI, audience: str) -> Callable[..., InternalCaller]:
    """A dependency that accepts only callers holding a valid service token."""

    def dependency(
        authorization: Annotated[str | None, Header()] = None,
    ) -> InternalCaller:
        secret: str = app.state.service_secret
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(status_code=401, detail="Missing service token")
        try:
            return verify_service_token(secret, authorization[7:], audience=audience)
        except InvalidServiceToken as exc:
            raise HTTPException(status_code=401, detail="Invalid service token") from exc

    return dependency


def serve(app: object, host: str, port: int, **options: object) -> None:
    """Run an ASGI app the way every Switchboard service does (logs are ours)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, **options)  # type: ignore[arg-type]
