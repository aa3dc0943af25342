"""Worker scaling: messages/s of an app doing CPU work per message, with 1 and 2 workers.

Each worker process runs one CPU-bound callback at a time, so throughput should
grow with worker processes up to the cores available (the services themselves
need a little CPU too). Both runs use the same private Redis, app and load;
the figure that matters is the ratio, measured in one invocation.

    uv run python bench/scaling.py --sessions 8 --messages 12
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from latency import measure

from switchboard.stack import LocalRedis, LocalStack

HERE = Path(__file__).resolve().parent


def run(workers: int, sessions: int, messages: int, redis_url: str) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-scaling-"))
    stack = LocalStack(
        app=(HERE / "apps" / "cpu_work.py").resolve(),
        redis_url=redis_url,
        redis_prefix=f"scaling{workers}",
        database_url=f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        workers=workers,
        log_dir=tmp / "logs",
        storage_dir=tmp / "files",
        # CPU-bound callbacks run one at a time per process: a worker takes no more jobs
        # than it can run, so the other worker gets the rest.
        extra_env={"SWITCHBOARD_USER_MESSAGES_PER_MINUTE": "0", "SWITCHBOARD_MAX_JOBS": "1"},
    ).start()
    try:
        asyncio.run(measure(stack.url, workers, 2))  # warm up every worker
        result = asyncio.run(measure(stack.url, sessions, messages))
    finally:
        stack.stop()
    result["workers"] = workers
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--messages", type=int, default=12, help="per session")
    args = parser.parse_args()
    redis = LocalRedis().start()
    try:
        one = run(1, args.sessions, args.messages, redis.url)
        print(json.dumps(one), flush=True)
        two = run(2, args.sessions, args.messages, redis.url)
        print(json.dumps(two), flush=True)
    finally:
        redis.stop()
    ratio = float(two["messages_per_s"]) / float(one["messages_per_s"])  # type: ignore[arg-type]
    print(json.dumps({"speedup_2_over_1": round(ratio, 2)}), flush=True)


if __name__ == "__main__":
    main()
