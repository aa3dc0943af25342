"""Load an app module the way ``chainlit run app.py`` does.

``import chainlit`` in the app gives Switchboard's SDK: the alias is installed
first (``switchboard.chainlit_compat``), ahead of any installed Chainlit.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from switchboard import chainlit_compat
from switchboard.sdk.callbacks import AppCallbacks, registry
from switchboard_worker.errors import AppLoadError

__all__ = ("load_app",)


def load_app(path: Path) -> AppCallbacks:
    path = path.resolve()
    if not path.is_file():
        raise AppLoadError(f"app module not found: {path}")
    chainlit_compat.install()
    app_dir = str(path.parent)
    if app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    spec = importlib.util.spec_from_file_location("__switchboard_app__", path)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise AppLoadError(f"importing {path} failed: {exc!r}") from exc
    if registry.on_chat_start is None and registry.on_message is None:
        raise AppLoadError(f"{path} defines neither on_chat_start nor on_message")
    return registry
