"""Why a worker cannot start: reported by the CLI on one line, exit code 1.

The worker has no HTTP API for users; these stop it before it takes any job,
so a container that cannot serve never looks ready.

WorkerError
 ├── NoAppModule          neither APP.py nor SWITCHBOARD_APP names the app
 ├── AppLoadError         the app module is missing, fails to import, or has no entry hook
 └── LoginSecretMissing   the app makes login required but no token secret is set
"""

from __future__ import annotations

__all__ = ("AppLoadError", "LoginSecretMissing", "NoAppModule", "WorkerError")


class WorkerError(Exception):
    """Root of the errors that stop a worker at start; the message is the whole report."""


class NoAppModule(WorkerError):
    def __init__(self) -> None:
        super().__init__("no app module: pass APP.py or set SWITCHBOARD_APP")


class AppLoadError(WorkerError):
    """The app module is missing, fails to import, or defines no entry callback."""


class LoginSecretMissing(WorkerError):
    """An app that makes login required cannot run without the token secret (Chainlit's rule)."""

    def __init__(self, callbacks: list[str]) -> None:
        super().__init__(
            f"{' and '.join(callbacks)} make login required, so CHAINLIT_AUTH_SECRET must be set; "
            "generate one with `switchboard create-secret`"
        )
