"""A small OpenAI-compatible chat completions server for tests, run as its own process.

Replies deterministically: "echo: <last user message>", split into word
tokens when ``stream`` is set (server-sent events, as the OpenAI API does).

    python -m tests.support.openai_server --port 9998
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


def _reply(body: dict) -> str:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return f"echo: {users[-1]['content'] if users else ''}"


async def completions(request: Request) -> Response:
    if request.headers.get("authorization", "") != "Bearer test-key":
        return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
    body = await request.json()
    text = _reply(body)
    created = int(time.time())
    model = body.get("model", "test-model")
    if not body.get("stream"):
        return JSONResponse(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
            }
        )

    async def events() -> AsyncIterator[str]:
        words = text.split(" ")
        for index, word in enumerate(words):
            token = word if index == 0 else " " + word
            chunk = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None}],
            }
            yield f"data: {json.dumps(chunk)}\n\n"
        done = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
        yield f"data: {json.dumps(done)}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def build_app() -> Starlette:
    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(build_app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
