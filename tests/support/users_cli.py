"""``switchboard users ...`` against a local stack's auth database and Redis.

``switchboard users`` hands over to ``python -m switchboard_auth users``; tests run
that tool many times, so where the stack was started by a prefork server the tool is
forked from it with its modules already imported, which saves an interpreter start-up
(several CPU-seconds) per run. Without one, or with ``through_entry_point``, it runs
as users run it: ``switchboard users`` in a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys

from switchboard.stack import LocalStack

__all__ = ("run_users",)


def run_users(
    stack: LocalStack,
    *args: str,
    password: str | None = None,
    through_entry_point: bool = False,
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **stack.env()}
    given = (password + "\n") if password is not None else None
    if stack.prefork is not None and not through_entry_point:
        return stack.prefork.run("switchboard_auth", ["users", *args], env, input=given)
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli", "users", *args],
        input=given,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
