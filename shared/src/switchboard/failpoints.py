"""Named points where a process can be told to die at once, as a crash would kill it.

Crash safety is only shown by crashing: a test starts a real worker with
``SWITCHBOARD_FAILPOINTS=drain.popped@2`` and that worker SIGKILLs itself the
second time it passes ``failpoint("drain.popped")``, exactly between two
Redis writes, which no timing of an outside ``kill`` could hit reliably.

Unset (every deployment), a failpoint is a dictionary lookup. The variable is
read on first use, not at import, so processes forked from a server that
imported this module still read their own environment.
"""

from __future__ import annotations

import logging
import os
import signal

__all__ = ("ENV_VAR", "failpoint")

ENV_VAR = "SWITCHBOARD_FAILPOINTS"

logger = logging.getLogger(__name__)

# name -> the hit that kills (1 = the first); filled once per process from ENV_VAR.
_armed: dict[str, int] = {}
# name -> hits so far; only armed names are counted.
_hits: dict[str, int] = {}
_loaded: list[int] = []


def _parse(spec: str) -> dict[str, int]:
    armed: dict[str, int] = {}
    for part in spec.split(","):
        name, _, nth = part.strip().partition("@")
        if not name:
            continue
        try:
            armed[name] = max(int(nth), 1) if nth else 1
        except ValueError as exc:
            raise ValueError(f"{ENV_VAR}: {part!r} is not NAME or NAME@N") from exc
    return armed


def failpoint(name: str) -> None:
    """Die here by SIGKILL if ``name`` is armed and this is its fatal hit."""
    if not _loaded:
        _armed.update(_parse(os.environ.get(ENV_VAR, "")))
        _loaded.append(os.getpid())
    fatal = _armed.get(name)
    if fatal is None:
        return
    hits = _hits.get(name, 0) + 1
    _hits[name] = hits
    if hits == fatal:
        logger.warning("failpoint reached: killing this process", extra={"failpoint": name})
        os.kill(os.getpid(), signal.SIGKILL)
