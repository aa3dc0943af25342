"""Browser render cost of a long streamed answer.

Starts a local stack (its own Redis, SQLite) with bench/apps/long_stream.py, opens the
built UI in headless Chromium, sends one message and records, until the 20,000-token
answer is complete: the time between animation frames (requestAnimationFrame deltas)
and long animation frames (PerformanceObserver "long-animation-frame", Chromium 123+),
plus the UI's own cost per render (a store publish to React's commit). Reports
p50/p95/max of both, the long frames, and how many times the UI re-rendered. On a small
machine the stack streaming at full speed competes with the browser for the CPU: frame
times include that; render times do not.

    uv run python bench/render.py            # needs the UI built: make web
    uv run python bench/render.py --url http://127.0.0.1:8000   # a running stack
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from switchboard.stack import LocalRedis, LocalStack

HERE = Path(__file__).resolve().parent
DIST = HERE.parent / "services/gateway/src/switchboard_gateway/static/dist/index.html"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

RECORDER = """() => {
  const rec = { deltas: [], loaf: [], longtasks: 0, running: true, tokens: 0 };
  window.__bench = rec;
  let last = performance.now();
  const tick = (now) => {
    rec.deltas.push(now - last);
    last = now;
    if (rec.running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) rec.loaf.push({ d: e.duration, b: e.blockingDuration ?? 0 });
    }).observe({ type: 'long-animation-frame', buffered: false });
  } catch (e) { rec.loafUnsupported = String(e); }
  new PerformanceObserver((list) => { rec.longtasks += list.getEntries().length; })
    .observe({ type: 'longtask', buffered: false });
  window.__switchboardSocket.on('stream_token', () => { rec.tokens += 1; });
  // UI cost alone: from a store publish to React's commit (the microtask after it).
  const store = window.__switchboardStore;
  const flush = store.flush.bind(store);
  rec.renders = [];
  store.flush = () => {
    const t0 = performance.now();
    flush();
    queueMicrotask(() => queueMicrotask(() => rec.renders.push(performance.now() - t0)));
  };
}"""

DONE = """() => {
  const msgs = document.querySelectorAll('[data-testid=assistant-message]');
  const last = msgs[msgs.length - 1];
  return !!last && last.dataset.streaming === 'false' && last.textContent.includes('DONE-STREAMING');
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


async def measure(url: str, chromium: str, timeout_s: float) -> dict[str, Any]:
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(url)
        await page.wait_for_function("() => window.__switchboardSocket?.connected")
        await page.wait_for_selector("#composer-input")
        await page.evaluate(RECORDER)
        started = time.perf_counter()
        await page.fill("#composer-input", "go")
        await page.press("#composer-input", "Enter")
        await page.wait_for_function(DONE, timeout=timeout_s * 1000, polling=250)
        elapsed = time.perf_counter() - started
        await page.evaluate("window.__bench.running = false")
        rec = await page.evaluate("window.__bench")
        chars = await page.evaluate(
            "[...document.querySelectorAll('[data-testid=assistant-message]')].pop().textContent.length"
        )
        await browser.close()
    deltas: list[float] = rec["deltas"][1:]
    renders: list[float] = rec["renders"]
    loaf = rec["loaf"]
    return {
        "seconds": round(elapsed, 2),
        "stream_token_events": rec["tokens"],
        "rendered_chars": chars,
        "frames": len(deltas),
        "renders": len(renders),
        "frame_ms": {
            "p50": round(percentile(deltas, 50), 2),
            "p95": round(percentile(deltas, 95), 2),
            "max": round(max(deltas, default=float("nan")), 2),
        },
        "render_ms": {
            "p50": round(percentile(renders, 50), 2),
            "p95": round(percentile(renders, 95), 2),
            "max": round(max(renders, default=float("nan")), 2),
        },
        "frames_over_50ms": sum(1 for d in deltas if d > 50),
        "long_animation_frames": len(loaf),
        "long_animation_frame_max_ms": round(max((e["d"] for e in loaf), default=0.0), 1),
        "long_tasks": rec["longtasks"],
        **({"loaf_unsupported": rec["loafUnsupported"]} if "loafUnsupported" in rec else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None, help="bench a running stack serving long_stream")
    parser.add_argument("--app", type=Path, default=HERE / "apps" / "long_stream.py")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    args = parser.parse_args()
    if not Path(args.chromium).is_file():
        sys.exit(f"{args.chromium} is missing: apt-get install -y chromium")
    if args.url is None and not DIST.is_file():
        sys.exit(f"{DIST} is missing: build the UI first (make web)")

    redis = stack = None
    try:
        url = args.url
        if url is None:
            redis = LocalRedis().start()
            tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
            stack = LocalStack(
                app=args.app.resolve(),
                redis_url=redis.url,
                database_url=f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
                log_dir=tmp / "logs",
            ).start()
            url = stack.url
        for _ in range(args.runs):
            result = asyncio.run(measure(url, args.chromium, args.timeout))
            print(json.dumps(result), flush=True)
            frame, render = result["frame_ms"], result["render_ms"]
            print(
                f"frame time p95 {frame['p95']} ms (p50 {frame['p50']}, max {frame['max']}) "
                f"over {result['frames']} frames while {result['stream_token_events']} "
                f"stream_token events drew {result['rendered_chars']} characters in "
                f"{result['seconds']} s; UI render p95 {render['p95']} ms",
                flush=True,
            )
    finally:
        if stack is not None:
            stack.stop()
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    main()
