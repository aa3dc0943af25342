"""Build an app's ``@cl.data_layer`` outside a worker: the persistence service's ``app`` mode.

The app module is imported as a worker imports it (``import chainlit`` is Switchboard's
SDK), so its decorators register and its ``@cl.data_layer`` function can be called.
Nothing else of the app runs: no ``on_app_startup``, no chat callbacks.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from switchboard import chainlit_compat
from switchboard.data import get_data_layer
from switchboard.data.base import BaseDataLayer
from switchboard.sdk.callbacks import registry

__all__ = ("DataLayerUnavailable", "defines_data_layer", "load_app_data_layer", "main")

_MODULE = "__switchboard_app__"


class DataLayerUnavailable(RuntimeError):
    """The app module cannot be imported, or it defines no ``@cl.data_layer``."""


def _import_app(path: Path) -> None:
    """Import the app at ``path`` once per process, as the worker does."""
    path = path.resolve()
    if not path.is_file():
        raise DataLayerUnavailable(f"app module not found: {path}")
    if _MODULE not in sys.modules:
        chainlit_compat.install()
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(_MODULE, path)
        if spec is None or spec.loader is None:
            raise DataLayerUnavailable(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[_MODULE] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[_MODULE]
            raise DataLayerUnavailable(f"importing {path} failed: {exc!r}") from exc


def defines_data_layer(path: Path) -> bool:
    """Whether the app at ``path`` has a ``@cl.data_layer`` (the function is not called)."""
    _import_app(path)
    return registry.data_layer is not None


def load_app_data_layer(path: Path) -> BaseDataLayer:
    """Import the app at ``path`` (once per process) and return its data layer."""
    _import_app(path)
    if registry.data_layer is None:
        raise DataLayerUnavailable(
            f"{path} defines no @cl.data_layer, which SWITCHBOARD_PERSISTENCE_SCHEMA=app needs"
        )
    return get_data_layer()


def main(argv: list[str] | None = None) -> int:
    """``python -m switchboard.data.loading APP``: 0 when APP defines ``@cl.data_layer``,
    3 when it does not, 1 when it cannot be imported (``switchboard run`` asks this)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m switchboard.data.loading APP.py", file=sys.stderr)
        return 2
    try:
        return 0 if defines_data_layer(Path(args[0])) else 3
    except DataLayerUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
