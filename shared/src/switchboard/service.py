"""What every HTTP service shares: health, readiness, metrics and caller checks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, FastAPI, Header, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from switchboard.http_metrics import HttpMetrics
from switchboard.internal_auth import InternalCaller, InvalidServiceToken, verify_service_token

if TYPE_CHECKING:
    import uvicorn

__all__ = (
    "Listener",
    "ReadinessCheck",
    "health_router",
    "instrument",
    "liveness_router",
    "serve",
    "service_caller",
)

ReadinessCheck = Callable[[], Awaitable[None]]


def liveness_router() -> APIRouter:
    """``/healthz``: the process answers. Says nothing about dependencies, so safe anywhere."""
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return router


def health_router(checks: dict[str, ReadinessCheck]) -> APIRouter:
    """``/healthz`` (the process answers), ``/readyz`` (its dependencies answer), ``/metrics``."""
    router = liveness_router()

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


def instrument(app: FastAPI, service: str) -> None:
    """Count and time every request of ``app`` by route template, as ``service``.

    Called last in a service's factory, so the measure wraps every other middleware;
    the series are ``switchboard_http_*`` (``switchboard.http_metrics``).
    """
    app.add_middleware(HttpMetrics, service=service)


def service_caller(audience: str) -> Callable[..., InternalCaller]:
    """A dependency that accepts only callers holding a valid service token.

    The secret is the serving app's ``state.service_secret``, so the dependency can
    be built at import time (as an ``Annotated`` alias) before any app exists.
    """

    def dependency(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
    ) -> InternalCaller:
        secret: str = request.app.state.service_secret
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(status_code=401, detail="Missing service token")
        try:
            return verify_service_token(secret, authorization[7:], audience=audience)
        except InvalidServiceToken as exc:
            raise HTTPException(status_code=401, detail="Invalid service token") from exc

    return dependency


@dataclass(frozen=True)
class Listener:
    """A second app served by the same process on a port of its own (operations)."""

    app: object
    host: str
    port: int


def _config(app: object, host: str, port: int, **options: object) -> uvicorn.Config:
    import uvicorn

    # No proxy headers: uvicorn would trust X-Forwarded-For from 127.0.0.1; a service
    # that sits behind a proxy resolves the client itself, from configured proxies only.
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        **options,  # type: ignore[arg-type]
    )


def serve(
    app: object, host: str, port: int, *, listeners: Sequence[Listener] = (), **options: object
) -> None:
    """Run an ASGI app the way every Switchboard service does (logs are ours).

    ``listeners`` start once the main app listens and stop as soon as it is told to
    stop, so a readiness probe on them never answers for a process that cannot serve.
    """
    import uvicorn

    class Secondary(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # the main server owns the signals

    class Primary(uvicorn.Server):
        def __init__(self, config: uvicorn.Config, others: list[uvicorn.Server]) -> None:
            super().__init__(config)
            self.others = others
            self.tasks: list[asyncio.Task[None]] = []

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            self.tasks = [asyncio.create_task(other.serve()) for other in self.others]

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            for other in self.others:
                other.should_exit = True

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            for other in self.others:
                other.should_exit = True
            await super().shutdown(sockets=sockets)
            await asyncio.gather(*self.tasks, return_exceptions=True)

    others: list[uvicorn.Server] = [
        Secondary(_config(listener.app, listener.host, listener.port, lifespan="off"))
        for listener in listeners
    ]
    Primary(_config(app, host, port, **options), others).run()
