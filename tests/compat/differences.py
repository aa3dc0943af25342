"""Every allowed difference between Chainlit 2.12 and Switchboard on the wire, with its reason.

Anything not listed here must be equal after normalisation (see ``normalize.py``). Keep
each entry narrow: one event, one key, and why the difference is right.
"""

from __future__ import annotations

__all__ = ("IGNORED_EVENTS", "IGNORED_KEYS", "NORMALISED")

# Events dropped from both streams before comparing.
IGNORED_EVENTS: dict[str, str] = {}

# (event, key) pairs dropped from both payloads before comparing; "*" means every event.
IGNORED_KEYS: dict[tuple[str, str], str] = {}

# What ``normalize.py`` evens out beyond ids, times and split tokens, and why.
NORMALISED: dict[str, str] = {
    "order of consecutive element events with one forId": (
        "Chainlit sends a message's elements (and the side panel's) from concurrent tasks, "
        "so their order varies from run to run; the client files each element under its "
        "forId, so the order inside such a run is not observable."
    ),
    "an attachment element sent after the callback's run step": (
        "Chainlit sends a user message's attachments from concurrent tasks while the "
        "callback starts, so one may follow the run step's new_message; it is moved back "
        "to its message's other elements, as the client files it under its forId anyway."
    ),
    "generation timings (duration, ttFirstToken, tokenThroughputInSeconds)": (
        "an llm step's generation carries clock measurements of the call, which differ "
        "between any two runs like timestamps; only their presence is compared."
    ),
}
