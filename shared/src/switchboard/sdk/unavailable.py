"""Stand-ins for Chainlit APIs that need the app inside the web server process.

In Switchboard the app runs in workers, apart from the gateway that serves HTTP,
so such a name still imports (an app must not fail at startup for an import it
may never use) and raises ``UnavailableError`` naming the alternative when used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

__all__ = ("UnavailableError", "UnavailableObject", "unavailable", "unavailable_function")


class UnavailableError(RuntimeError):
    """A Chainlit API that cannot work with the app in workers; says what to use instead."""


def unavailable(what: str, alternative: str) -> NoReturn:
    raise UnavailableError(
        f"{what} is not available in Switchboard, where the app runs in workers apart "
        f"from the web server. {alternative}"
    )


def unavailable_function(what: str, alternative: str) -> Callable[..., NoReturn]:
    """A function that raises ``UnavailableError`` whenever it is called."""

    def stub(*_args: Any, **_kwargs: Any) -> NoReturn:
        unavailable(what, alternative)

    stub.__name__ = what.rsplit(".", 1)[-1].removesuffix("()")
    stub.__doc__ = f"Not available in Switchboard: {alternative}"
    return stub


class UnavailableObject:
    """An object whose every use (attribute, call, item) raises ``UnavailableError``."""

    _what: str
    _alternative: str

    def __init__(self, what: str, alternative: str) -> None:
        object.__setattr__(self, "_what", what)
        object.__setattr__(self, "_alternative", alternative)

    def _fail(self) -> NoReturn:
        unavailable(self._what, self._alternative)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            # Introspection (copy, inspect, pickling) must see a plain missing attribute.
            raise AttributeError(name)
        self._fail()

    def __setattr__(self, name: str, value: Any) -> None:
        self._fail()

    def __call__(self, *_args: Any, **_kwargs: Any) -> NoReturn:
        self._fail()

    def __getitem__(self, _key: Any) -> NoReturn:
        self._fail()

    def __repr__(self) -> str:
        return f"<unavailable in Switchboard: {self._what}>"
