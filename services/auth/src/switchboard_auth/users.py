"""The user store: persisted users, and the built-in password store (argon2id).

Password checks take the same time whether or not the account exists, and
give the same answer for an unknown user and a wrong password. Every change
that should end a user's tokens (password, metadata such as roles) replaces
the user's credential version in the same transaction.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from switchboard.schema.session import UserRef
from switchboard_auth.db.models import UserRow, new_credential_version

__all__ = ("PersistedUserDict", "Removal", "SignedIn", "UserStore")

PersistedUserDict = dict[str, Any]
# What ``remove`` did. "last": refused, the user is the last with a password;
# "removed_last": removed anyway (allowed), so the built-in store no longer requires login.
Removal = Literal["removed", "removed_last", "missing", "last"]


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A user as stored after sign-in, and whether its credentials just changed."""

    user: PersistedUserDict
    credential_version: str
    created: bool
    rotated: bool


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

    async def upsert(self, user: UserRef) -> SignedIn:
        """Create the user or refresh its display name and metadata (Chainlit's create_user).

        Changed metadata (roles arrive there) replaces the credential version, so
        tokens carrying the old metadata end.
        """
        async with self._sessions.begin() as db:
            row = await db.scalar(select(UserRow).where(UserRow.identifier == user.identifier))
            created = row is None
            rotated = False
            if row is None:
                row = UserRow(
                    identifier=user.identifier,
                    display_name=user.display_name,
                    metadata_=user.metadata,
                    credential_version=new_credential_version(),
                )
                db.add(row)
            else:
                row.display_name = user.display_name or row.display_name
                merged = {**(row.metadata_ or {}), **user.metadata}
                if merged != (row.metadata_ or {}):
                    row.metadata_ = merged
                    row.credential_version = new_credential_version()
                    rotated = True
            await db.flush()
            return SignedIn(_public(row), row.credential_version, created, rotated)

    async def credential_version(self, identifier: str) -> str | None:
        """The user's current credential version; None when there is no such user."""
        async with self._sessions() as db:
            version: str | None = await db.scalar(
                select(UserRow.credential_version).where(UserRow.identifier == identifier)
            )
            return version

    async def get(self, identifier: str) -> PersistedUserDict | None:
        async with self._sessions() as db:
            row = await db.scalar(select(UserRow).where(UserRow.identifier == identifier))
            return _public(row) if row else None

    async def list(self) -> list[PersistedUserDict]:
        async with self._sessions() as db:
            rows = await db.scalars(select(UserRow).order_by(UserRow.identifier))
            return [{**_public(r), "has_password": r.password_hash is not None} for r in rows]

    async def remove(self, identifier: str, *, allow_last_password: bool = False) -> Removal:
        """Delete the user; refused for the last one with a password unless allowed.

        Without password users the built-in store stops requiring login, so that
        must be asked for, never a side effect.
        """
        async with self._sessions.begin() as db:
            row = await db.scalar(select(UserRow).where(UserRow.identifier == identifier))
            if row is None:
                return "missing"
            last = False
            if row.password_hash is not None:
                others = await db.scalar(
                    select(func.count())
                    .select_from(UserRow)
                    .where(UserRow.password_hash.is_not(None), UserRow.id != row.id)
                )
                last = not others
                if last and not allow_last_password:
                    return "last"
            await db.execute(delete(UserRow).where(UserRow.id == row.id))
            return "removed_last" if last else "removed"

    async def set_password(
        self, identifier: str, password: str, *, create: bool, display_name: str | None = None
    ) -> str | None:
        """Store a new password; returns the new credential version, None without such a user."""
        hashed = await asyncio.to_thread(_HASHER.hash, password)
        async with self._sessions.begin() as db:
            row = await db.scalar(select(UserRow).where(UserRow.identifier == identifier))
            if row is None:
                if not create:
                    return None
                row = UserRow(identifier=identifier, display_name=display_name, metadata_={})
                db.add(row)
            version = new_credential_version()
            row.password_hash = hashed
            row.credential_version = version
            return version

    async def _rehash(self, identifier: str, password: str, stored: str) -> None:
        """Same password under newer hashing parameters: tokens stay valid.

        Skipped if the password changed meanwhile, which must not be undone.
        """
        hashed = await asyncio.to_thread(_HASHER.hash, password)
        async with self._sessions.begin() as db:
            row = await db.scalar(select(UserRow).where(UserRow.identifier == identifier))
            if row is not None and row.password_hash == stored:
                row.password_hash = hashed

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
            await self._rehash(identifier, password, stored)
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
