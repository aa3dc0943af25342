"""``switchboard run`` on an app with ``@cl.data_layer`` stores its history there, unasked."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from switchboard.data.sql_alchemy import CHAINLIT_TABLES
from switchboard.stack import free_port
from tests.support.client import ChainlitClient

APP = """
import chainlit as cl
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer


@cl.data_layer
def layer():
    return SQLAlchemyDataLayer(conninfo="sqlite+aiosqlite:///{db}")


@cl.on_message
async def main(message: cl.Message):
    await cl.Message(content="stored: " + message.content).send()
"""


def _start(args: list[str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "switchboard.cli", *args],
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.timeout(300)
async def test_switchboard_run_uses_the_apps_data_layer(tmp_path: Path) -> None:
    db = tmp_path / "chainlit.db"
    engine = create_async_engine(f"sqlite+aiosqlite:///{db}")
    async with engine.begin() as conn:
        await conn.run_sync(CHAINLIT_TABLES[0].metadata.create_all)
    await engine.dispose()
    app = tmp_path / "app.py"
    app.write_text(APP.format(db=db))
    port = free_port()
    log = tmp_path / "run.log"
    cli = _start(["run", str(app), "--port", str(port), "--headless"], tmp_path, log)
    try:
        deadline = time.monotonic() + 180
        while b"is running" not in log.read_bytes():
            assert cli.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            await asyncio.sleep(0.2)
        assert b"history is stored by app.py's @cl.data_layer" in log.read_bytes()
        client = ChainlitClient(f"http://127.0.0.1:{port}")
        try:
            await client.start()
            mark = len(client.events)
            await client.send("keep me")
            await client.wait_for(
                "new_message", lambda m: m["output"] == "stored: keep me", since=mark, timeout=30
            )
        finally:
            await client.close()
        outputs: list[str] = []
        for _ in range(100):
            with sqlite3.connect(db) as conn:
                outputs = [row[0] for row in conn.execute('SELECT "output" FROM steps')]
            if "stored: keep me" in outputs:
                break
            await asyncio.sleep(0.2)
        assert {"keep me", "stored: keep me"} <= set(outputs), outputs
    finally:
        if cli.poll() is None:
            cli.send_signal(signal.SIGINT)
            try:
                cli.wait(timeout=60)
            except subprocess.TimeoutExpired:
                cli.kill()
