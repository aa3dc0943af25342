"""Callback handlers for LLM frameworks; each needs its framework (an extra):
``pip install 'switchboard[langchain]'`` or ``'switchboard[llama-index]'``."""

from __future__ import annotations

__all__ = ("missing_extra",)


def missing_extra(module: str, extra: str) -> ImportError:
    return ImportError(
        f"switchboard.integrations needs {module!r} for this handler: "
        f"install it with pip install 'switchboard[{extra}]'"
    )
