"""What ``on_logout(request, response)`` receives when it runs in a worker.

The browser's request and the auth service's response live in another
process, so the hook gets faithful stand-ins: the request's headers and
cookies (credentials removed), and a response whose cookie changes are sent
back and applied to the real one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from switchboard.schema.app_calls import CookieChange
from switchboard.sdk.user import User

__all__ = ("LogoutRequest", "LogoutResponse")


@dataclass(frozen=True)
class LogoutRequest:
    headers: dict[str, str]
    cookies: dict[str, str]
    user: User | None = None


@dataclass
class LogoutResponse:
    changes: list[CookieChange] = field(default_factory=list)

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        max_age: int | None = None,
        path: str = "/",
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        self.changes.append(
            CookieChange(
                name=key,
                value=value,
                path=path,
                max_age=max_age,
                httponly=httponly,
                secure=secure,
                samesite=samesite,
            )
        )

    def delete_cookie(self, key: str, path: str = "/") -> None:
        self.changes.append(CookieChange(name=key, value=None, path=path))
