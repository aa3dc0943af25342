"""HTTP clients for the internal services, each call carrying a service token."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from switchboard.http_clients import internal_client
from switchboard.internal_auth import mint_service_token
from switchboard.schema.session import ConnectRequest, ConnectResult, DisconnectRequest, UserRef

__all__ = ("UpstreamError", "Upstreams")

# Calls to the sessions service in flight at once; the others wait their turn here.
# httpcore's pool rescans every queued request on each connection state change, so
# a burst of a thousand calls queued there (all of a gateway's clients leaving at
# once) costs quadratic CPU and stalls the gateway's event loop for a minute.
SESSIONS_IN_FLIGHT = 50


class UpstreamError(Exception):
    """An internal service refused or failed a call."""

    def __init__(self, service: str, status_code: int, detail: str) -> None:
        super().__init__(f"{service} answered {status_code}: {detail}")
        self.service = service
        self.status_code = status_code
        self.detail = detail


class Upstreams:
    def __init__(
        self,
        secret: str,
        *,
        sessions_url: str,
        auth_url: str,
        persistence_url: str,
        timeout: float,
    ) -> None:
        self._secret = secret
        # Idle connections are dropped before the services' own keep-alive (uvicorn: 5 s)
        # closes them, so a request never goes out on a connection being closed.
        limits = httpx.Limits(
            max_connections=200, max_keepalive_connections=50, keepalive_expiry=2.0
        )
        # No cookie jars: each call carries only the browser's own headers.
        self.sessions = internal_client(sessions_url, timeout=timeout, limits=limits)
        self._sessions_slots = asyncio.Semaphore(SESSIONS_IN_FLIGHT)
        self.auth = internal_client(auth_url, timeout=timeout, limits=limits)
        self.persistence = internal_client(persistence_url, timeout=timeout, limits=limits)

    def token_headers(self, audience: str, user: UserRef | None) -> dict[str, str]:
        token = mint_service_token(self._secret, service="gateway", audience=audience, user=user)
        return {"Authorization": f"Bearer {token}"}

    async def connect_session(self, request: ConnectRequest) -> ConnectResult:
        async with self._sessions_slots:
            response = await self.sessions.post(
                "/sessions/connect",
                content=request.model_dump_json(),
                headers={
                    **self.token_headers("sessions", request.user),
                    "content-type": "application/json",
                },
            )
        _raise_for("sessions", response)
        return ConnectResult.model_validate_json(response.content)

    async def disconnect_session(self, session_id: str, user: UserRef | None, clear: bool) -> None:
        async with self._sessions_slots:
            response = await self.sessions.post(
                f"/sessions/{session_id}/disconnect",
                content=DisconnectRequest(clear=clear).model_dump_json(),
                headers={
                    **self.token_headers("sessions", user),
                    "content-type": "application/json",
                },
            )
        _raise_for("sessions", response)

    async def aclose(self) -> None:
        for client in (self.sessions, self.auth, self.persistence):
            await client.aclose()


def _raise_for(service: str, response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        detail: Any = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    raise UpstreamError(service, response.status_code, str(detail))
