"""The LlamaIndex handler with real LlamaIndex objects and its own mock LLM and embedding."""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.callbacks import CallbackManager
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import ChatMessage, MockLLM

import switchboard as cl
from shared.tests.sdk_support import bind_session
from switchboard.sdk.step import Step


async def test_llm_calls_and_retrieval_become_steps() -> None:
    async def run() -> Any:
        emitter = bind_session()
        async with Step(name="on_message", type="run") as outer:
            handler = cl.LlamaIndexCallbackHandler()
            manager = CallbackManager([handler])
            llm = MockLLM(max_tokens=3, callback_manager=manager)

            def work() -> tuple[str, str, int]:
                # Sync LlamaIndex calls from a thread, as make_async runs them.
                completion = llm.complete("hello").text
                chat = llm.chat([ChatMessage(role="user", content="hi there")]).message.content
                index = VectorStoreIndex.from_documents(
                    [Document(text="Paris is the capital of France.")],
                    embed_model=MockEmbedding(embed_dim=8),
                    callback_manager=manager,
                )
                nodes = index.as_retriever(similarity_top_k=1).retrieve("capital")
                return completion, chat or "", len(nodes)

            result = await cl.make_async(work)()
        return emitter, outer, result

    emitter, outer, (completion, chat, found) = await asyncio.create_task(run())
    assert completion == "text text text" and found == 1
    started = [s for s in emitter.shown("new_message") if s["name"] != "on_message"]
    updated = [s for s in emitter.shown("update_message") if s["name"] != "on_message"]
    # MockLLM answers a chat through its completion: a nested llm step.
    assert [s["name"] for s in started] == ["llm", "llm", "llm", "retrieve"]
    steps = {s["id"]: s for s in updated}
    done = steps[started[0]["id"]]
    chatted = steps[started[1]["id"]]
    nested = steps[started[2]["id"]]
    retrieved = steps[started[3]["id"]]
    assert started[0]["parentId"] == outer.id and started[3]["parentId"] == outer.id
    assert {s["parentId"] for s in started} <= {outer.id, *steps}
    assert done["type"] == "llm" and done["output"] == "text text text"
    assert done["generation"]["type"] == "COMPLETION"
    assert done["generation"]["prompt"] == "hello"
    assert done["generation"]["completion"] == "text text text"
    assert done["generation"]["provider"] == "MockLLM"
    assert done["generation"]["duration"] >= 0
    assert nested["generation"]["type"] == "COMPLETION"
    assert chatted["output"] == chat
    assert chatted["generation"]["type"] == "CHAT"
    assert chatted["generation"]["messages"][0] == {"role": "user", "content": "hi there"}
    assert chatted["generation"]["messageCompletion"] == {"role": "assistant", "content": chat}
    assert retrieved["type"] == "tool" and retrieved["input"] == "capital"
    assert "Paris is the capital of France." in retrieved["output"]


async def test_async_llm_call_on_the_loop_keeps_step_order() -> None:
    async def run() -> Any:
        emitter = bind_session()
        handler = cl.LlamaIndexCallbackHandler()
        llm = MockLLM(max_tokens=2, callback_manager=CallbackManager([handler]))
        text = (await llm.acomplete("hey")).text
        await handler.flush()
        return emitter, text

    emitter, text = await asyncio.create_task(run())
    assert text == "text text"
    shown = [(e.type, e.payload.id) for e in emitter.events]
    assert shown and all(kind in ("new_message", "update_message") for kind, _ in shown)
    # Each step is shown before it is updated, even though the calls could not block.
    for kind, step_id in shown:
        if kind == "update_message":
            assert shown.index(("new_message", step_id)) < shown.index((kind, step_id))
    assert emitter.shown("update_message")[-1]["output"] == "text text"
