"""Helpers of the gateway's in-process tests (imported by name: this folder is on sys.path).

Every service here runs in the test's own event loop as a real uvicorn server on an
ephemeral port, so the gateway reaches the others over HTTP as it does in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from switchboard_gateway.settings import GatewaySettings
from tests.support.client import ChainlitClient, chainlit_auth

__all__ = ("SERVICE_SECRET", "UNUSED_URL", "Gateway", "MakeGateway", "serve_in_process")

SERVICE_SECRET = "gateway-in-process-test-secret-" + "s" * 32
# Nothing listens here: the tests below never reach the persistence service.
UNUSED_URL = "http://127.0.0.1:9"


class _InProcessServer(uvicorn.Server):
    """uvicorn without its signal handlers: pytest keeps Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_in_process(app: Any, **options: Any) -> AsyncIterator[str]:
    """Serve an ASGI app (lifespan included) on 127.0.0.1 at an ephemeral port; its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        **options,
    )
    server = _InProcessServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if not server.started:
            if task.done():
                task.result()  # the startup error
            raise AssertionError("in-process server did not start within 5 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        sock.close()


@dataclass
class Gateway:
    url: str
    prefix: str
    settings: GatewaySettings
    clients: list[ChainlitClient] = field(default_factory=list)

    async def connect(self, **auth: Any) -> ChainlitClient:
        """A Chainlit-protocol client connected with ``chainlit_auth(**auth)``."""
        client = ChainlitClient(self.url, auth=chainlit_auth(**auth))
        self.clients.append(client)
        await client.connect()
        return client

    async def close_clients(self) -> None:
        while self.clients:
            await self.clients.pop().close()


MakeGateway = Callable[..., contextlib.AbstractAsyncContextManager[Gateway]]
