"""The LangChain handler with real LangChain runnables and its own fake chat model."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool

import switchboard as cl
from shared.tests.sdk_support import bind_session
from switchboard.sdk.step import Step


def _by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


async def _in_session(coro: Any) -> Any:
    """Run in a task of its own, as workers run callbacks."""
    return await asyncio.create_task(coro)


async def test_chain_llm_and_tool_become_steps_with_generation() -> None:
    async def run() -> Any:
        emitter = bind_session()
        prompt = ChatPromptTemplate.from_messages(
            [("system", "You are terse."), ("human", "{question}")]
        )
        model = FakeListChatModel(responses=["Paris"])

        def shout(text: str) -> str:
            return text.upper()

        chain = prompt | model | StrOutputParser() | RunnableLambda(shout)

        @tool
        def capital(country: str) -> str:
            """The capital of a country."""
            return "Paris"

        async with Step(name="on_message", type="run") as outer:
            handler = cl.AsyncLangchainCallbackHandler()
            answer = await chain.ainvoke(
                {"question": "Capital of France?"}, config={"callbacks": [handler]}
            )
            found = await capital.ainvoke({"country": "France"}, config={"callbacks": [handler]})
        return emitter, outer, answer, found

    emitter, outer, answer, found = await _in_session(run())
    assert answer == "PARIS" and found == "Paris"
    started = _by_name(emitter.shown("new_message"))
    updated = _by_name(emitter.shown("update_message"))
    # The sequence itself is ignored by default; its parts hang under the open step.
    assert "RunnableSequence" not in started
    llm = updated["FakeListChatModel"]
    assert llm["type"] == "llm" and llm["parentId"] == outer.id
    # As Chainlit: a chat call shows no input or output; the exchange is its generation.
    assert llm["input"] == "" and llm["output"] == "" and llm["language"] == "json"
    generation = llm["generation"]
    assert generation["type"] == "CHAT"
    assert generation["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Capital of France?"},
    ]
    assert generation["messageCompletion"] == {"role": "assistant", "content": "Paris"}
    assert generation["duration"] > 0
    # The prompt and the parser run inside the ignored sequence and are not shown; a
    # chain kept there (``to_keep``) is, under the open step ("run" only if it is first).
    assert "ChatPromptTemplate" not in started and "StrOutputParser" not in started
    assert generation["variables"] == {"question": "Capital of France?"}
    assert started["shout"]["type"] == "undefined" and started["shout"]["parentId"] == outer.id
    assert '"output": "PARIS"' in updated["shout"]["output"]
    capital_step = updated["capital"]
    assert capital_step["type"] == "tool" and capital_step["output"] == '{"output": "Paris"}'
    assert '"country": "France"' in capital_step["input"]
    # Every step is also persisted.
    assert {e.payload.name for e in emitter.persisted} >= {"FakeListChatModel", "capital"}


async def test_errors_mark_the_step_and_sync_invoke_works() -> None:
    async def run() -> Any:
        emitter = bind_session()

        def explode(_: Any) -> str:
            raise ValueError("boom")

        handler = cl.LangchainCallbackHandler(to_ignore=[])
        chain = RunnableLambda(explode)
        with pytest.raises(ValueError):
            await chain.ainvoke("x", config={"callbacks": [handler]})
        # A sync invoke, from a thread as make_async runs it.
        model = FakeListChatModel(responses=["sync answer"])
        text = await cl.make_async(model.invoke)("hi", config={"callbacks": [handler]})
        return emitter, text

    emitter, text = await _in_session(run())
    failed = _by_name(emitter.shown("update_message"))["explode"]
    assert failed["isError"] is True and failed["output"] == "boom"
    assert text.content == "sync answer"
    llm = _by_name(emitter.shown("update_message"))["FakeListChatModel"]
    assert llm["generation"]["messageCompletion"]["content"] == "sync answer"


async def test_stream_final_answer_streams_after_the_prefix() -> None:
    async def run() -> Any:
        emitter = bind_session()
        # Streams word and whitespace tokens.
        model = GenericFakeChatModel(
            messages=iter([AIMessage(content="Thinking. Final Answer: Paris it is")])
        )
        chain = model | StrOutputParser()
        handler = cl.LangchainCallbackHandler(
            stream_final_answer=True, answer_prefix_tokens=["Final", "Answer:"]
        )
        chunks = [c async for c in chain.astream("q", config={"callbacks": [handler]})]
        return emitter, "".join(chunks)

    emitter, text = await _in_session(run())
    assert text == "Thinking. Final Answer: Paris it is"
    final = emitter.shown("stream_start")
    assert len(final) == 1 and final[0]["type"] == "assistant_message"
    streamed = final[0]["output"] + "".join(t["token"] for t in emitter.shown("stream_token"))
    assert streamed == " Paris it is"
    assert emitter.shown("update_message")[-1]["output"] == " Paris it is"
