"""Read threads from the persistence service, as the session's user."""

from __future__ import annotations

from typing import Any

import httpx

from switchboard.internal_auth import mint_service_token
from switchboard.schema.session import UserRef

__all__ = ("ThreadReader",)


class ThreadReader:
    def __init__(self, base_url: str, secret: str, timeout: float = 10.0) -> None:
        self._secret = secret
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def get(self, thread_id: str, user: UserRef | None) -> dict[str, Any] | None:
        """The thread if it exists and ``user`` owns it, else None."""
        token = mint_service_token(
            self._secret, service="worker", audience="persistence", user=user
        )
        response = await self._client.get(
            f"/threads/{thread_id}", headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        thread: dict[str, Any] = response.json()
        return thread

    async def aclose(self) -> None:
        await self._client.aclose()
