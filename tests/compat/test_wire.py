"""The same app on Chainlit 2.12 and on Switchboard sends the same events.

Each case starts Chainlit (from its own virtualenv, see ``tests/support/reference.py``)
and a Switchboard stack on the same app file, plays one scenario against both at once
with the same protocol client, and compares the normalised streams. Allowed differences
live in ``differences.py``; everything else must match exactly.
"""

from __future__ import annotations

import asyncio
import difflib
import re
from pathlib import Path

import pytest

from tests.compat.cases import CASES, Case
from tests.compat.driver import Scenario, Send, play
from tests.compat.normalize import normalise, render
from tests.support.fixtures import REPO, StackFactory
from tests.support.reference import ChainlitServer


async def _compare(case: Case, make_stack: StackFactory, tmp_path: Path) -> None:
    env = dict(case.env)
    reference = ChainlitServer(case.app, config=case.config, extra_env=env).launch()
    try:
        config_file = None
        if case.config:
            config_file = tmp_path / "config.toml"
            config_file.write_text(case.config)
        stack = make_stack(case.app, config_file=config_file, extra_env=env)
        reference.wait_ready()
        # Both are played at once, each by its own client: neither server sees the other.
        recorded = await asyncio.gather(
            play(reference.url, case.scenario), play(stack.url, case.scenario)
        )
    except BaseException:
        print(reference.log()[-4000:])
        raise
    finally:
        reference.stop()
    theirs, ours = (render(normalise(events)) for events in recorded)
    if ours != theirs:
        diff = "\n".join(difflib.unified_diff(theirs, ours, "chainlit", "switchboard", lineterm=""))
        pytest.fail(f"{case.name}: the event streams differ\n{diff}", pytrace=False)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_same_events_as_chainlit(
    case: Case, make_stack: StackFactory, tmp_path: Path
) -> None:
    await _compare(case, make_stack, tmp_path)


async def test_readme_minimal_app_runs_unchanged(make_stack: StackFactory, tmp_path: Path) -> None:
    """The app README shows (``import chainlit as cl``, ``chainlit.types``) is Chainlit's."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## A minimal app", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "README's minimal app section has no python block"
    source = match.group(1)
    assert "import chainlit as cl" in source and "from chainlit.types import" in source
    app = tmp_path / "app" / "app.py"
    app.parent.mkdir()
    app.write_text(source)
    scenario = Scenario((Send("three small words"), Send("two more")))
    await _compare(Case(app, scenario), make_stack, tmp_path)
