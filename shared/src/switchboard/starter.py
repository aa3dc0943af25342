"""What ``switchboard init``, ``hello`` and ``run -w`` need: starter files and a watcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ("HELLO_APP", "AppWatcher", "write_starter")

_FILES = Path(__file__).parent / "starter_files"
HELLO_APP = _FILES / "hello.py"

# Starter file -> where init writes it, relative to the target folder.
_STARTER = {
    "app.py": Path("app.py"),
    "chainlit.md": Path("chainlit.md"),
    "config.toml": Path(".chainlit") / "config.toml",
}

# Folders a change in which never reloads the app.
_SKIPPED = frozenset({".git", ".switchboard", ".venv", "venv", "node_modules", "__pycache__"})


def write_starter(folder: Path) -> list[Path]:
    """Write the starter files into ``folder``; refuse to overwrite any of them."""
    targets = {name: folder / relative for name, relative in _STARTER.items()}
    for target in targets.values():
        if target.exists():
            raise FileExistsError(str(target))
    written = []
    for name, target in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((_FILES / name).read_text())
        written.append(target)
    return written


def _watched(root: Path) -> dict[Path, float]:
    found: dict[Path, float] = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root).parts
        if any(part in _SKIPPED for part in relative[:-1]):
            continue
        is_config = relative == (".chainlit", "config.toml")
        if path.suffix == ".py" or is_config or path.name == "chainlit.md":
            try:
                found[path] = path.stat().st_mtime_ns
            except OSError:
                continue
    return found


@dataclass
class AppWatcher:
    """Polls the app's folder: Python files, ``chainlit.md`` and ``.chainlit/config.toml``.

    Polling (twice a second, by the caller) needs no extra dependency and sees edits on
    every filesystem, network and container mounts included.
    """

    root: Path
    _seen: dict[Path, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._seen = _watched(self.root)

    def changed(self) -> bool:
        now = _watched(self.root)
        if now == self._seen:
            return False
        self._seen = now
        return True
