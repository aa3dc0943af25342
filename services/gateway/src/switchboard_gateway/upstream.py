"""HTTP clients for the internal services, each call carrying a service token."""

from __future__ import annotations

from typing import Any

import httpx

from switchboard.http_clients import internal_client
from switchboard.internal_auth import mint_service_token
from switchboard.schema.session import UserRef

__all__ = ("UpstreamError", "Upstreams")


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
        self.auth = internal_client(auth_url, timeout=timeout, limits=limits)
        self.persistence = internal_client(persistence_url, timeout=timeout, limits=limits)

    def token_headers(self, audience: str, user: UserRef | None) -> dict[str, str]:
        token = mint_service_token(self._secret, service="gateway", audience=audience, user=user)
        return {"Authorization": f"Bearer {token}"}

    async def aclose(self) -> None:
        for client in (self.auth, self.persistence):
            await client.aclose()


def _raise_for(service: str, response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        detail: Any = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    raise UpstreamError(service, response.status_code, str(detail))
