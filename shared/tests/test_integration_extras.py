"""Without its framework installed, an integration says which extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("blocked", "name", "extra"),
    [
        ("langchain_core", "LangchainCallbackHandler", "langchain"),
        ("llama_index", "LlamaIndexCallbackHandler", "llama-index"),
    ],
)
def test_missing_framework_gives_a_clear_import_error(blocked: str, name: str, extra: str) -> None:
    code = (
        "import sys\n"
        f"sys.modules[{blocked!r}] = None\n"
        "import switchboard as cl\n"
        "try:\n"
        f"    cl.{name}\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert f"pip install 'switchboard[{extra}]'" in result.stdout


def test_unknown_attribute_still_raises_attribute_error() -> None:
    import switchboard as cl

    with pytest.raises(AttributeError):
        _ = cl.NoSuchThing  # type: ignore[attr-defined]
