"""The user store: persisted users, and the built-in password store (argon2id).

Password checks take the same time whether or not the account exists, and
give the same answer for an unknown user and a wrong password.
"""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from switchboard.schema.session import UserRef
from switchboard_auth.db.models import UserRow

__all__ = ("PersistedUserDict", "UserStore")

PersistedUserDict = dict[str, Any]

_HASHER = PasswordHasher()  # argon2id with the library's current parameters
# Verified against when the account does not exist, so both paths cost the same.
_DUMMY_HASH = _HASHER.hash("switchboard-timing-equaliser")


def _public(row: UserRow) -> PersistedUserDict:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return {
        "id": row.id,
        "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "identifier": row.identifier,
        "display_name": row.display_name,
        "metadata": row.metadata_ or {},
    }


class UserStore:
    def __init__(self, sessions: async_sessionmaker) -> None:  # type: ignore[type-arg]
        self._sessions = sessions

    async def upsert(self, user: UserRef) -> PersistedUserDict:
        """Create the user or refresh its display name and metadata (Chainlit's create_user)."""
        async with self._sessions.begin() as db:
            row = await db.scalar(select(UserRow).where(UserRow.identifier == user.identifier))
            if row is None:
                row = UserRow(
                    identifier=user.identifier,
                    display_name=user.display_name,
                    metadata_=user.metadata,
                )
                db.add(row)
            else:
                row.display_name = user.display_name or row.display_name
                row.metadata_ = {**(row.metadata_ or {}), **user.metadata}
            await db.flush()
            return _public(row)

    async def get(self, identifier: str) -> PersistedUserDict | None:
        async with self._sessions() as db:
            row = await db.scalar(select(UserRow).where(UserRow.identifier == identifier))
            return _public(row) if row else None

    async def list(self) -> list[PersistedUserDict]:
        async with self._sessions() as db:
            rows = await db.scalars(select(UserRow).order_by(UserRow.identifier))
            return [{**_public(r), "has_password": r.password_hash is not None} for r in rows]

    async def remove(self, identifier: str) -> bool:
        async with self._sessions.begin() as db:
            result = await db.execute(delete(UserRow).where(UserRow.identifier == identifier))
            return bool(result.rowcount)

    async def set_password(
        self, identifier: str, password: str, *, create: bool, display_name: str | None = None
    ) -> bool:
        hashed = await asyncio.to_thread(_HASHER.hash, password)
        async with self._sessions.begin() as db:
            row = await db.scalar(select(UserRow).where(UserRow.identifier == identifier))
            if row is None:
                if not create:
                    return False
                row = UserRow(identifier=identifier, display_name=display_name, metadata_={})
                db.add(row)
            row.password_hash = hashed
            return True

    async def has_passwords(self) -> bool:
        async with self._sessions() as db:
            found = await db.scalar(select(UserRow.id).where(UserRow.password_hash.is_not(None)))
            return found is not None

    async def authenticate(self, identifier: str, password: str) -> UserRef | None:
        async with self._sessions() as db:
            row = await db.scalar(select(UserRow).where(UserRow.identifier == identifier))
        stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
        ok = await asyncio.to_thread(_verify, stored, password)
        if not ok or row is None or row.password_hash is None:
            return None
        if _HASHER.check_needs_rehash(stored):
            await self.set_password(identifier, password, create=False)
        return UserRef(
            identifier=row.identifier,
            id=row.id,
            display_name=row.display_name,
            metadata=row.metadata_ or {},
        )


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
