"""Every allowed difference between Chainlit 2.12 and Switchboard on the wire, with its reason.

Anything not listed here must be equal after normalisation (see ``normalize.py``). Keep
each entry narrow: one event, one key, and why the difference is right.
"""

from __future__ import annotations

__all__ = ("IGNORED_EVENTS", "IGNORED_KEYS")

# Events dropped from both streams before comparing.
IGNORED_EVENTS: dict[str, str] = {}

# (event, key) pairs dropped from both payloads before comparing; "*" means every event.
IGNORED_KEYS: dict[tuple[str, str], str] = {}
