"""``import chainlit`` in a process that runs an app gives Switchboard's SDK.

Workers (and ``switchboard run``'s import check) call ``install()`` before they
import the app module, so a Chainlit app runs with its imports unchanged:
``chainlit`` is the ``switchboard`` package and ``chainlit.<path>`` is
``switchboard.<path>``, the very same module objects. The alias is put first on
``sys.meta_path``: in a worker it wins over an installed Chainlit distribution,
so Chainlit's own server code is never imported by mistake.

Only Chainlit's public import paths are aliased (``CHAINLIT_PATHS``); any other
``chainlit.`` module is a ``ModuleNotFoundError`` naming the list, never one of
Switchboard's internal modules under a Chainlit name.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ("ALIAS", "CHAINLIT_PATHS", "ChainlitAliasFinder", "install", "installed")

ALIAS = "chainlit"
TARGET = "switchboard"

# The first segment after ``chainlit.`` of every path apps import; each is a module
# (or package) of the same name under ``switchboard.``.
CHAINLIT_PATHS = frozenset(
    {
        "action",
        "auth",
        "chat_context",
        "chat_settings",
        "config",
        "context",
        "data",
        "element",
        "input_widget",
        "langchain",
        "llama_index",
        "logger",
        "mcp",
        "message",
        "mistralai",
        "mode",
        "oauth_providers",
        "openai",
        "server",
        "sidebar",
        "step",
        "sync",
        "types",
        "user",
        "user_session",
        "utils",
    }
)

DOCS = "docs/chainlit-compat.md"


def _target(fullname: str) -> str:
    return TARGET + fullname[len(ALIAS) :]


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system the already-imported Switchboard module."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias's spec on the module; it keeps its own.
        module.__spec__ = self._spec


class ChainlitAliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        first = fullname.split(".")[1] if "." in fullname else None
        if first is not None and first not in CHAINLIT_PATHS:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: Switchboard provides Chainlit's public "
                f"import paths only ({', '.join(sorted(CHAINLIT_PATHS))}); see {DOCS}",
                name=fullname,
            )
        target_name = _target(fullname)
        try:
            real = importlib.util.find_spec(target_name)
        except ModuleNotFoundError:
            real = None
        if real is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: Switchboard has no counterpart of it; see {DOCS}",
                name=fullname,
            )
        return importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(target_name),
            is_package=real.submodule_search_locations is not None,
        )


def installed() -> bool:
    return any(isinstance(finder, ChainlitAliasFinder) for finder in sys.meta_path)


def install() -> None:
    """Make ``chainlit`` and its public submodules resolve to Switchboard's (idempotent).

    Modules already imported under ``switchboard.`` are registered under their
    Chainlit name at once: importing them again through the alias would make the
    import system rebind the package attribute of the same name (``context``,
    ``step``, ``user_session``, ``chat_context`` are also SDK objects).
    """
    if not installed():
        sys.meta_path.insert(0, ChainlitAliasFinder())
    package = importlib.import_module(TARGET)
    sys.modules[ALIAS] = package
    for name, module in list(sys.modules.items()):
        if name.startswith(TARGET + ".") and name.split(".")[1] in CHAINLIT_PATHS:
            sys.modules.setdefault(ALIAS + name[len(TARGET) :], module)
