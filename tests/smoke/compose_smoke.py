"""deploy/compose.yaml for real: conversations through the edge, a worker killed mid-load.

`make compose-smoke` runs this inside deploy/compose-real/compose-real.sh, once the stack
is up and healthy on a private Docker engine (DOCKER_HOST and COMPOSE_FILE point plain
`docker` and `docker compose` at it). It checks, in order:

1. no image was built twice (no dangling image left by this run's build);
2. a warm bring-up (down, then up --wait from the built images) and a repeat
   `docker compose -f deploy/compose.yaml up -d --wait` that recreates no container;
3. CONVERSATIONS concurrent conversations through the nginx edge, every message answered;
4. workers scaled to 2, the same number of conversations again, and one worker SIGKILLed
   mid-load: every message is answered or reported failed to the user;
5. the fleet after the kill: the exporter's heartbeat gauge and `switchboard queues` count
   one live worker, the survivor, which is healthy;
6. every step the clients were shown, and every user message, is stored in PostgreSQL.

It prints the figures as it goes and exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio

from tests.support.client import ChainlitClient, Received

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "deploy" / "compose.yaml"
GREETING = "Hello! I am the Switchboard demo."
STEP_EVENTS = ("new_message", "update_message", "stream_start")


class SmokeError(RuntimeError):
    """A step the rest of the smoke cannot go on without failed."""


failures: list[str] = []


def say(text: str) -> None:
    print(f"[smoke {time.strftime('%H:%M:%S')}] {text}", flush=True)


def check(ok: bool, what: str) -> bool:
    say(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)
    return ok


def run(argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    if result.returncode != 0:
        raise SmokeError(
            f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result.stdout + result.stderr


def docker(*args: str, timeout: float = 300) -> str:
    return run(["docker", *args], timeout=timeout)


def compose(*args: str, timeout: float = 300) -> str:
    return docker("compose", *args, timeout=timeout)


def container_ids(*args: str) -> list[str]:
    return sorted(compose("ps", "-q", *args).split())


def exec_python(service: str, code: str) -> str:
    return compose("exec", "-T", service, "python", "-c", code, timeout=60)


def exporter_gauges() -> dict[str, float]:
    text = exec_python(
        "exporter",
        "import urllib.request; "
        "print(urllib.request.urlopen('http://127.0.0.1:9100/metrics', timeout=5).read().decode())",
    )
    gauges = {}
    for line in text.splitlines():
        match = re.fullmatch(r"switchboard_(\w+) ([0-9.e+-]+)", line.strip())
        if match:
            gauges[match.group(1)] = float(match.group(2))
    return gauges


def fleet() -> dict[str, Any]:
    report: dict[str, Any] = json.loads(
        compose("exec", "-T", "exporter", "switchboard", "queues", "--json", timeout=60)
    )
    return dict(report["workers"])


def worker_jobs(container: str) -> float:
    """Jobs this worker has run (or begun to run and ended), from its own /metrics."""
    text = run(
        [
            "docker",
            "exec",
            container,
            "python",
            "-c",
            "import urllib.request; print(urllib.request.urlopen("
            "'http://127.0.0.1:9101/metrics', timeout=5).read().decode())",
        ],
        timeout=60,
    )
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("switchboard_worker_job_run_seconds_count")
    )


def inspect(container: str, template: str) -> str:
    return docker("inspect", "-f", template, container).strip()


async def wait_until(
    what: str, probe: Callable[[], bool], timeout: float, every: float = 1.0
) -> float:
    """Seconds until ``probe()`` holds; SmokeError after ``timeout``."""
    started = time.monotonic()
    while True:
        with contextlib.suppress(SmokeError):
            if await asyncio.to_thread(probe):
                return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise SmokeError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(every)


# --- conversations --------------------------------------------------------------------------


@dataclass
class Outcome:
    text: str
    message_id: str
    result: str  # answered | failed | lost
    seconds: float
    detail: str = ""
    at: float = field(default_factory=time.monotonic)


@dataclass
class Conversation:
    url: str
    index: int
    client: ChainlitClient = field(init=False)
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = ChainlitClient(self.url)

    async def open(self, timeout: float) -> None:
        await self.client.start()
        await self.client.wait_for(
            "new_message", lambda m: str(m.get("output", "")).startswith(GREETING), timeout=timeout
        )

    def _failure(self, event: Received, message_id: str) -> str | None:
        if event.name == "error":
            return f"error event {event.data!r}"
        data = event.data if isinstance(event.data, dict) else {}
        if event.name in ("new_message", "update_message") and data.get("isError"):
            parent = data.get("parentId")
            # A failed run step names the message it ran for; an error notice names none.
            if parent in (None, "", message_id):
                return f"{data.get('name')}: {data.get('output')}"
        return None

    async def say(self, text: str, timeout: float) -> Outcome:
        mark = len(self.client.events)
        started = time.monotonic()
        try:
            payload = await self.client.send(text)
        except socketio.exceptions.SocketIOError as exc:  # the socket was closed on us
            outcome = Outcome(text, "", "lost", 0.0, f"not sent: {exc!r}")
            self.outcomes.append(outcome)
            return outcome
        message_id = str(payload["message"]["id"])
        answer = f"You said: {text} ("
        checked = mark
        while time.monotonic() - started < timeout:
            for event in self.client.events[checked:]:
                checked += 1
                data = event.data if isinstance(event.data, dict) else {}
                if event.name in ("new_message", "update_message") and str(
                    data.get("output", "")
                ).startswith(answer):
                    outcome = Outcome(text, message_id, "answered", time.monotonic() - started)
                    self.outcomes.append(outcome)
                    return outcome
                failure = self._failure(event, message_id)
                if failure is not None:
                    outcome = Outcome(
                        text, message_id, "failed", time.monotonic() - started, failure
                    )
                    self.outcomes.append(outcome)
                    return outcome
            if not self.client.sio.connected:
                break
            await asyncio.sleep(0.05)
        outcome = Outcome(
            text,
            message_id,
            "lost",
            time.monotonic() - started,
            f"connected={self.client.sio.connected}, events after send: {self.client.names(mark)}",
        )
        self.outcomes.append(outcome)
        return outcome

    async def talk(self, messages: int, timeout: float) -> None:
        for number in range(messages):
            await self.say(f"c{self.index:02d}m{number:02d}-{uuid.uuid4().hex[:8]}", timeout)

    def shown_steps(self) -> dict[str, dict[str, Any]]:
        """Every step this client was shown, user messages included: id -> what it was."""
        steps: dict[str, dict[str, Any]] = {}
        for event in self.client.events:
            data = event.data if isinstance(event.data, dict) else {}
            if event.name in STEP_EVENTS and data.get("id"):
                step = steps.setdefault(
                    str(data["id"]),
                    {"conversation": self.index, "events": [], "type": data.get("type")},
                )
                step["events"].append(event.name)
                step["name"] = data.get("name")
                step["parent"] = data.get("parentId")
                step["output"] = str(data.get("output", ""))[:70]
                step["error"] = step.get("error", False) or bool(data.get("isError"))
        for outcome in self.outcomes:
            steps.setdefault(
                outcome.message_id,
                {"conversation": self.index, "events": ["client_message"], "type": "user_message"},
            )
            steps[outcome.message_id]["outcome"] = outcome.result
        return steps


def outcome_of(step_id: str, shown: dict[str, dict[str, Any]]) -> str | None:
    """The outcome of the user message a step answers, following its parents."""
    seen = set()
    while step_id in shown and step_id not in seen:
        seen.add(step_id)
        if "outcome" in shown[step_id]:
            return str(shown[step_id]["outcome"])
        step_id = shown[step_id].get("parent") or ""
    return None


def tally(conversations: list[Conversation]) -> dict[str, int]:
    counts = {"answered": 0, "failed": 0, "lost": 0}
    for conversation in conversations:
        for outcome in conversation.outcomes:
            counts[outcome.result] += 1
    return counts


async def open_all(url: str, count: int, first: int) -> list[Conversation]:
    conversations = [Conversation(url, first + i) for i in range(count)]
    await asyncio.gather(*(c.open(timeout=60) for c in conversations))
    return conversations


# --- the smoke ------------------------------------------------------------------------------


def no_image_built_twice() -> None:
    before_file = os.environ.get("COMPOSE_REAL_IMAGES_BEFORE")
    before = set(Path(before_file).read_text().split()) if before_file else set()
    dangling = set(docker("image", "ls", "-q", "--no-trunc", "--filter", "dangling=true").split())
    check(
        not dangling - before,
        f"each image built once: {len(dangling - before)} dangling image(s) left by this build",
    )


def bring_up_again() -> dict[str, float]:
    """A warm bring-up from the built images, then a repeat up that must recreate nothing."""
    figures = {}
    compose("down", "-t", "10", timeout=180)
    started = time.monotonic()
    compose("up", "-d", "--wait", "--wait-timeout", "240", timeout=300)
    figures["warm"] = time.monotonic() - started
    say(f"warm bring-up (containers new, images built): {figures['warm']:.1f} s")

    before = container_ids("-a")
    # The command a user repeats, on deploy/compose.yaml alone.
    env = {k: v for k, v in os.environ.items() if k != "COMPOSE_FILE"}
    started = time.monotonic()
    output = run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "up", "-d", "--wait"], env=env, timeout=300
    )
    figures["repeat"] = time.monotonic() - started
    after = container_ids("-a")
    recreated = sorted({line.split()[1] for line in output.splitlines() if "Recreate" in line})
    say(f"repeat up -d: {figures['repeat']:.1f} s")
    check(
        before == after and not recreated,
        f"a repeat `up -d` recreates nothing (recreated: {recreated or 'none'}, "
        f"containers {len(before)} -> {len(after)}, same ids: {before == after})",
    )
    return figures


async def main(args: argparse.Namespace) -> int:
    cold = os.environ.get("COMPOSE_REAL_COLD") == "1"
    up_s = os.environ.get("COMPOSE_REAL_UP_S", "?")
    total_s = os.environ.get("COMPOSE_REAL_TOTAL_S", "?")
    say(
        f"first bring-up ({'cold: empty image cache' if cold else 'image cache kept'}): "
        f"up --build --wait {up_s} s, {total_s} s from start (engine, stand-ins, build, up)"
    )
    no_image_built_twice()
    figures = bring_up_again()

    edge = compose("port", "edge", "8080").strip().splitlines()[-1]
    url = f"http://{edge}"
    say(f"edge at {url}")
    await wait_until(
        "edge healthy",
        lambda: (
            subprocess.run(
                ["curl", "-fsS", "-o", "/dev/null", f"{url}/edge-healthz"],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        ),
        timeout=60,
    )

    # 3. one worker, CONVERSATIONS at once
    started = time.monotonic()
    first = await open_all(url, args.conversations, 0)
    await asyncio.gather(*(c.talk(args.messages, args.timeout) for c in first))
    baseline = tally(first)
    seconds = time.monotonic() - started
    say(
        f"1 worker: {args.conversations} conversations x {args.messages} messages in "
        f"{seconds:.1f} s: {baseline}"
    )
    check(
        baseline["answered"] == args.conversations * args.messages,
        f"with one worker every message is answered ({baseline})",
    )

    # 4. two workers, a SIGKILL mid-load
    compose("up", "-d", "--wait", "--scale", "worker=2", "--no-recreate", timeout=300)
    workers = container_ids("worker")
    if len(workers) != 2:
        raise SmokeError(f"scaled to 2 workers, compose runs {len(workers)}")
    waited = await wait_until("2 live workers", lambda: fleet()["live"] == 2, timeout=60)
    say(f"scaled to 2 workers ({waited:.0f} s until both beat)")
    names = {c: inspect(c, "{{.Name}}").lstrip("/") for c in workers}
    jobs_before = {c: worker_jobs(c) for c in workers}

    second = await open_all(url, args.conversations, args.conversations)
    load = asyncio.gather(*(c.talk(args.load_messages, args.timeout) for c in second))
    await wait_until(
        "load under way",
        lambda: tally(second)["answered"] >= args.kill_after,
        timeout=120,
        every=0.1,
    )
    # The victim is the worker that has taken the most of this load's jobs so far.
    jobs_now = await asyncio.gather(*(asyncio.to_thread(worker_jobs, c) for c in workers))
    taken = {c: now - jobs_before[c] for c, now in zip(workers, jobs_now, strict=True)}
    victim = max(workers, key=lambda c: taken[c])
    survivor = next(c for c in workers if c != victim)
    talking = sum(1 for c in second if len(c.outcomes) < args.load_messages)
    await asyncio.to_thread(docker, "kill", victim)
    killed_at = time.monotonic()
    answered_at_kill = tally(second)["answered"]
    say(
        f"killed {names[victim]} (SIGKILL) after {answered_at_kill} answers with "
        f"{talking} conversations talking; jobs of this load so far: "
        + ", ".join(f"{names[c]} {taken[c]:.0f}" for c in workers)
    )
    check(taken[victim] > 0, f"{names[victim]} was running this load when killed")
    await load
    loaded = tally(second)
    say(
        f"2 workers, one killed: {args.conversations} conversations x {args.load_messages} "
        f"messages: {loaded}"
    )
    for conversation in second:
        for outcome in conversation.outcomes:
            if outcome.result == "failed":
                say(f"  failed  {outcome.text} after {outcome.seconds:.1f} s: {outcome.detail}")
            elif outcome.result == "lost":
                say(f"  LOST    {outcome.text} after {outcome.seconds:.1f} s: {outcome.detail}")
    reported = sorted(o.at - killed_at for c in second for o in c.outcomes if o.result == "failed")
    if reported:
        say(
            f"kill outcome: {len(reported)} messages reported failed, "
            f"{reported[0]:.1f} to {reported[-1]:.1f} s after the kill"
        )
    check(
        loaded["lost"] == 0,
        f"every message answered or reported failed to the user ({loaded['lost']} neither)",
    )
    after_kill = sum(
        1 for c in second for o in c.outcomes if o.result == "answered" and o.at > killed_at
    )
    check(after_kill > 0, f"the surviving worker answers: {after_kill} answers after the kill")

    # 5. the fleet after the kill
    check(inspect(victim, "{{.State.Status}}") == "exited", f"{names[victim]} stays down")
    try:
        await wait_until(
            "heartbeat gauge back to 1",
            lambda: exporter_gauges().get("worker_heartbeat") == 1.0,
            timeout=60,
        )
        lapsed = time.monotonic() - killed_at
        check(True, f"exporter heartbeat = 1 live worker, {lapsed:.0f} s after the kill")
    except SmokeError as exc:
        check(False, str(exc))
    live = fleet()
    survivor_host = inspect(survivor, "{{.Config.Hostname}}")
    check(
        live["live"] == 1 and [b["host"] for b in live["fleet"]] == [survivor_host],
        f"switchboard queues: live workers {[b['host'] for b in live['fleet']]}, "
        f"survivor {survivor_host}",
    )
    ready = await asyncio.to_thread(
        subprocess.run,
        ["docker", "exec", survivor, "python", "-m", "switchboard_worker", "--ready"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    check(ready.returncode == 0, f"{names[survivor]} --ready exits {ready.returncode}")
    health = inspect(survivor, "{{.State.Health.Status}}")
    check(health == "healthy", f"{names[survivor]} health: {health}")
    survivor_jobs = worker_jobs(survivor)
    check(
        survivor_jobs > jobs_before[survivor],
        f"{names[survivor]} metrics on :9101: {survivor_jobs:.0f} jobs run",
    )

    # 6. everything shown is stored
    try:
        await wait_until(
            "persistence stream drained",
            lambda: (
                (g := exporter_gauges()).get("persist_stream_unread") == 0
                and g.get("persist_stream_pending") == 0
            ),
            timeout=60,
        )
    except SmokeError as exc:
        check(False, str(exc))
    shown: dict[str, dict[str, Any]] = {}
    for conversation in (*first, *second):
        shown.update(conversation.shown_steps())
    rows = compose(
        "exec",
        "-T",
        "postgres",
        "psql",
        "-U",
        "switchboard",
        "-d",
        "switchboard",
        "-AtF",
        "|",
        "-c",
        "SELECT id, coalesce(is_error, false) FROM steps",
    )
    stored = {
        line.split("|")[0]: line.split("|")[1] == "t" for line in rows.splitlines() if "|" in line
    }
    # As in Chainlit, a streamed message is stored when it is sent: one whose callback died
    # mid-stream was shown (stream_start, tokens) but never sent. It may go unstored only
    # when the message it answered was reported failed.
    cut_off = sorted(
        s
        for s in set(shown) - set(stored)
        if shown[s]["events"] == ["stream_start"] and outcome_of(s, shown) == "failed"
    )
    missing = sorted(set(shown) - set(stored) - set(cut_off))
    check(
        not missing,
        f"{len(shown)} steps shown, {len(shown) - len(missing) - len(cut_off)} stored, "
        f"{len(cut_off)} answers cut off mid-stream by the kill, {len(missing)} others not stored",
    )
    for step_id in missing:
        say(f"  not stored: {step_id} {json.dumps(shown[step_id])}")
    errors_lost = sorted(s for s, step in shown.items() if step.get("error") and not stored.get(s))
    check(not errors_lost, f"failed steps stored as errors ({len(errors_lost)} not)")

    for conversation in (*first, *second):
        await conversation.client.close()

    say(
        "figures: "
        + json.dumps(
            {
                "first_bring_up_s": up_s,
                "first_bring_up_cold": cold,
                "warm_bring_up_s": round(figures["warm"], 1),
                "repeat_up_s": round(figures["repeat"], 1),
                "conversations": 2 * args.conversations,
                "one_worker": baseline,
                "worker_killed": loaded,
                "steps_shown": len(shown),
                "steps_not_stored": len(missing),
                "answers_cut_off_by_kill": len(cut_off),
            }
        )
    )
    if failures:
        say(f"{len(failures)} check(s) failed:")
        for failure in failures:
            say(f"  - {failure}")
        return 1
    say("all checks passed")
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--messages", type=int, default=3, help="per conversation, one worker")
    parser.add_argument("--load-messages", type=int, default=20, help="per conversation, 2 workers")
    parser.add_argument("--kill-after", type=int, default=40, help="answers before the kill")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait per message")
    return parser.parse_args(argv)


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
    except SmokeError as exc:
        say(f"FAIL  {exc}")
        sys.exit(1)
    except Exception:  # anything else is a failure too, told with where it happened
        say(f"FAIL  unexpected error:\n{traceback.format_exc()}")
        sys.exit(1)
