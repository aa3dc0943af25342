"""A pool of client processes, each driving many Chainlit-protocol Socket.IO sessions.

One Python process with a thousand sockets is itself the bottleneck, so the
load benches spread their sessions over a few processes (``ClientPool``), each
running one asyncio loop with many ``socketio.AsyncClient`` on the websocket
transport. The parent drives the phases (connect, exchange, steady traffic,
disconnect) through a pipe per process and merges what they measured.

Every session follows Chainlit's web app: connect with its ``auth`` payload,
emit ``connection_successful``, then ``client_message`` and wait for the
reply's ``stream_token`` and ``task_end``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import random
import resource
import sys
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.client import chainlit_auth, user_message

__all__ = ("ClientPool", "merged", "percentile", "raise_open_files", "read_rss_kb")


def raise_open_files(wanted: int) -> int:
    """Raise this process's open-files soft limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def read_rss_kb(pid: int) -> int:
    """VmRSS of a process in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


# --- one session (inside a client process) -------------------------------------


@dataclass
class BenchSession:
    url: str
    errors: list[str]
    sio: socketio.AsyncClient = field(init=False)
    closing: bool = False
    waiting: bool = False
    token_at: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    greeted: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.auth = chainlit_auth()

        async def on_token(data: Any = None, event_id: Any = None) -> None:
            if self.waiting and self.token_at is None:
                self.token_at = time.perf_counter()

        async def on_task_end(data: Any = None, event_id: Any = None) -> None:
            # The gateway answers connection_successful with a task_end; the reply's
            # own task_end is the first one after a token of the reply.
            self.greeted.set()
            if self.waiting and self.token_at is not None:
                self.done.set()

        async def on_error(data: Any = None, event_id: Any = None) -> None:
            self.errors.append(f"error event: {data!r}"[:300])

        async def on_disconnect(reason: Any = None) -> None:
            if not self.closing:
                self.errors.append(f"unexpected disconnect: {reason!r}")
                self.done.set()

        self.sio.on("stream_token", on_token)
        self.sio.on("task_end", on_task_end)
        self.sio.on("error", on_error)
        self.sio.on("disconnect", on_disconnect)

    async def connect(self) -> float:
        """Connect and greet as Chainlit does; returns the Socket.IO connect time in ms."""
        start = time.perf_counter()
        await self.sio.connect(
            self.url,
            socketio_path="/ws/socket.io",
            auth=self.auth,
            transports=["websocket"],
            wait_timeout=60,
        )
        connected = time.perf_counter()
        await self.sio.emit("connection_successful")
        await asyncio.wait_for(self.greeted.wait(), 60)
        return (connected - start) * 1000

    async def exchange(self, text: str, timeout: float) -> tuple[float, float] | None:
        """One message and its streamed reply: (first token ms, task_end ms), or None."""
        self.done.clear()
        self.token_at = None
        self.waiting = True
        start = time.perf_counter()
        try:
            await self.sio.emit("client_message", user_message(text))
            await asyncio.wait_for(self.done.wait(), timeout)
        except TimeoutError:
            self.errors.append(f"no reply within {timeout:.0f} s")
            return None
        except Exception as exc:  # e.g. emitting on a socket the server dropped
            self.errors.append(f"send failed: {exc!r}"[:300])
            return None
        finally:
            self.waiting = False
        if self.token_at is None or not self.sio.connected:
            return None
        return (self.token_at - start) * 1000, (time.perf_counter() - start) * 1000

    async def close(self) -> None:
        self.closing = True
        if self.sio.connected:
            await self.sio.disconnect()
        # socketio leaves its aiohttp session to the garbage collector otherwise.
        http = getattr(self.sio.eio, "http", None)
        if http is not None and not http.closed:
            await http.close()


# --- a client process -------------------------------------------------------------


class _Worker:
    def __init__(self, url: str) -> None:
        self.url = url
        self.sessions: list[BenchSession] = []
        self.errors: list[str] = []

    def take_errors(self) -> list[str]:
        errors, self.errors[:] = list(self.errors), []
        return errors

    async def connect(self, count: int, concurrency: int) -> dict[str, Any]:
        gate = asyncio.Semaphore(concurrency)
        times: list[float] = []

        async def one() -> None:
            session = BenchSession(self.url, self.errors)
            async with gate:
                try:
                    times.append(await session.connect())
                    self.sessions.append(session)
                except Exception as exc:
                    self.errors.append(f"connect failed: {exc!r}"[:300])
                    await session.close()

        await asyncio.gather(*(one() for _ in range(count)))
        return {"connect_ms": times, "connected": len(self.sessions), "errors": self.take_errors()}

    async def exchange(self, start_at: float, messages: int, timeout: float) -> dict[str, Any]:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        first: list[float] = []
        end: list[float] = []
        # First-token times by the message's place in its session: tells a slow first
        # message (session and thread set-up) from queueing that hits any message.
        by_round: list[list[float]] = [[] for _ in range(messages)]

        async def run(session: BenchSession) -> None:
            for index in range(messages):
                result = await session.exchange(f"load {index}", timeout)
                if result is None:
                    return
                first.append(result[0])
                end.append(result[1])
                by_round[index].append(result[0])

        await asyncio.gather(*(run(s) for s in self.sessions))
        return {
            "first_ms": first,
            "first_ms_by_round": by_round,
            "end_ms": end,
            "finished_at": time.time(),
            "errors": self.take_errors(),
        }

    async def steady(
        self, start_at: float, seconds: float, interval: float, timeout: float
    ) -> dict[str, Any]:
        """Each session sends a message every ``interval`` s (jittered) until the end."""
        await asyncio.sleep(max(0.0, start_at - time.time()))
        deadline = start_at + seconds
        samples: list[tuple[float, float, float]] = []  # (sent at, first ms, end ms)

        async def run(session: BenchSession) -> None:
            rng = random.Random()
            await asyncio.sleep(rng.uniform(0, interval))
            index = 0
            while time.time() < deadline:
                sent = time.time()
                result = await session.exchange(f"soak {index}", timeout)
                index += 1
                if result is None:
                    if not session.sio.connected:
                        return
                else:
                    samples.append((sent, result[0], result[1]))
                pause = interval * rng.uniform(0.5, 1.5) - (time.time() - sent)
                await asyncio.sleep(max(0.0, min(pause, deadline - time.time())))

        await asyncio.gather(*(run(s) for s in self.sessions))
        connected = sum(1 for s in self.sessions if s.sio.connected)
        return {"samples": samples, "connected": connected, "errors": self.take_errors()}

    async def disconnect(self) -> dict[str, Any]:
        await asyncio.gather(*(s.close() for s in self.sessions), return_exceptions=True)
        self.sessions.clear()
        return {"errors": self.take_errors()}


def _serve(conn: Connection, url: str, open_files: int) -> None:
    raise_open_files(open_files)

    async def main() -> None:
        worker = _Worker(url)
        loop = asyncio.get_running_loop()
        while True:
            command, kwargs = await loop.run_in_executor(None, conn.recv)
            if command == "quit":
                with contextlib.suppress(Exception):
                    await worker.disconnect()
                conn.send({"ok": True})
                return
            try:
                result = await getattr(worker, command)(**kwargs)
            except Exception:
                result = {"errors": [f"{command} crashed: {traceback.format_exc()}"]}
            conn.send(result)

    asyncio.run(main())


# --- the parent side --------------------------------------------------------------


class ClientPool:
    """``processes`` client processes against one gateway URL."""

    def __init__(self, url: str, processes: int, open_files: int = 8192) -> None:
        context = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        for _ in range(processes):
            parent, child = context.Pipe()
            proc = context.Process(target=_serve, args=(child, url, open_files), daemon=True)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    def send(self, command: str, per_process: list[dict[str, Any]]) -> None:
        for conn, kwargs in zip(self.conns, per_process, strict=True):
            conn.send((command, kwargs))

    def gather(self, timeout: float | None = None) -> list[dict[str, Any]]:
        deadline = None if timeout is None else time.monotonic() + timeout
        results = []
        for conn in self.conns:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not conn.poll(left):
                raise TimeoutError("a client process did not answer in time")
            results.append(conn.recv())
        return results

    def ready(self) -> bool:
        """Whether every process has an answer waiting (for polling while sampling)."""
        return all(conn.poll(0) for conn in self.conns)

    def call(
        self, command: str, per_process: list[dict[str, Any]], timeout: float | None = None
    ) -> list[dict[str, Any]]:
        self.send(command, per_process)
        return self.gather(timeout)

    def split(self, total: int) -> list[int]:
        """``total`` spread as evenly as possible over the processes."""
        count = len(self.conns)
        return [total // count + (1 if i < total % count else 0) for i in range(count)]

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(Exception):
                conn.send(("quit", {}))
        for conn in self.conns:
            with contextlib.suppress(Exception):
                if conn.poll(30):
                    conn.recv()
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()


def merged(results: list[dict[str, Any]], key: str) -> list[Any]:
    return [item for result in results for item in result.get(key, [])]
