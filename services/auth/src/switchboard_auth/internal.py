"""Routes only other services call (with a service token): credential versions for gateways."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from switchboard_auth.credentials import Credentials

__all__ = ("build_internal_router",)


class CredentialQuery(BaseModel):
    identifier: str = Field(min_length=1, max_length=255)


class CredentialAnswer(BaseModel):
    # None: no such user, so no token naming it is valid.
    version: str | None


def build_internal_router(credentials: Credentials) -> APIRouter:
    router = APIRouter(prefix="/internal")

    @router.post("/credentials")
    async def credential_version(query: CredentialQuery) -> CredentialAnswer:
        """A gateway's cache miss: answered from the database, and the cache refilled."""
        return CredentialAnswer(version=await credentials.current(query.identifier))

    return router
