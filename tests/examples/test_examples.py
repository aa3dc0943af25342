"""Each example app, written as a Chainlit app with only its import line changed,
produces Chainlit's event sequence and payload fields (reference §1.4-1.6)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.client import ChainlitClient
from tests.support.fixtures import EXAMPLES, StackFactory
from tests.support.processes import module_server

STEP_FIELDS = {
    "name", "type", "id", "threadId", "parentId", "streaming", "metadata", "tags", "input",
    "isError", "output", "createdAt", "start", "end", "language", "defaultOpen", "autoCollapse",
    "showInput", "generation",
}  # fmt: skip
MESSAGE_FIELDS = {
    "id", "threadId", "parentId", "createdAt", "command", "modes", "start", "end", "output",
    "name", "type", "language", "streaming", "isError", "waitForAnswer", "metadata", "tags",
}  # fmt: skip


def _is(name: str, **fields: Any) -> Any:
    return lambda m: m.get("name") == name and all(m.get(k) == v for k, v in fields.items())


async def _started(stack: Any, client_factory: Any, **kwargs: Any) -> ChainlitClient:
    client: ChainlitClient = client_factory(stack.url, **kwargs)
    await client.start()
    # connection_successful is answered with task_end, clear_ask, clear_call_fn
    # straight from the gateway; what the test sends must come after them.
    await client.wait_for("clear_call_fn", timeout=15)
    return client


async def test_steps_example(make_stack: StackFactory, client_factory: Any) -> None:
    stack = make_stack(EXAMPLES / "steps.py")
    client = await _started(stack, client_factory)
    await client.wait_for("task_end", timeout=15)
    mark = len(client.events)
    sent = await client.send("find cats")
    done = await client.wait_for(
        "new_message", lambda m: m["type"] == "assistant_message", since=mark, timeout=15
    )
    await client.wait_for("task_end", since=mark)
    events = client.events[mark:]
    new = {e.data["name"]: e.data for e in events if e.name == "new_message"}
    run = new["on_message"]
    assert run["type"] == "run" and run["parentId"] == sent["message"]["id"]
    assert set(run) == STEP_FIELDS
    search = new["search"]
    assert search["type"] == "tool" and search["parentId"] == run["id"]
    # Shown on entry with no input yet (as Chainlit); the update carries it.
    assert search["input"] == ""
    assert new["rank"]["parentId"] == search["id"] and new["rank"]["type"] == "rerank"
    assert new["tokenize"]["parentId"] == run["id"]
    updates = {e.data["name"]: e.data for e in events if e.name == "update_message"}
    assert '"query": "find cats"' in updates["search"]["input"]
    assert updates["search"]["output"] == "2 results for find cats"
    assert updates["rank"]["language"] == "json" and "doc-1" in updates["rank"]["output"]
    assert updates["tokenize"]["output"].startswith("[")
    assert updates["search"]["end"] and updates["search"]["start"]
    stream = next(e.data for e in events if e.name == "stream_start")
    assert stream["name"] == "summarise" and stream["output"] == "**summary** "
    assert done.data["output"] == "2 results for find cats; **summary** of 2 words"
    assert set(done.data) == MESSAGE_FIELDS
    order = [e.name for e in events]
    assert order[0] == "task_start" and order[-1] == "task_end"


async def test_ask_example(make_stack: StackFactory, client_factory: Any) -> None:
    stack = make_stack(EXAMPLES / "ask.py")
    asks: list[Any] = []

    async def answer(data: Any, *_: Any) -> Any:
        asks.append(data)
        if data["spec"]["type"] == "text":
            return {"id": "5a2f0c36-4a55-4f9b-8b58-6b0f8b4f1d11", "output": "Ada", "name": "User"}
        coffee = next(a for a in client.events if a.name == "action" and a.data["name"] == "coffee")
        return coffee.data

    client: ChainlitClient = client_factory(stack.url)
    client.answer_asks(answer)
    await client.start()
    final = await client.wait_for(
        "new_message", lambda m: m["output"] == "Ada drinks coffee.", timeout=20
    )
    text, action = asks
    assert text["spec"]["type"] == "text" and text["spec"]["timeout"] == 30
    assert text["spec"]["step_id"] == text["msg"]["id"] and text["msg"]["waitForAnswer"] is True
    assert action["spec"]["type"] == "action"
    assert sorted(action["spec"]["keys"]) == sorted(
        e.data["id"] for e in client.events if e.name == "action"
    )
    assert action["msg"]["output"] == "Hello Ada! Tea or coffee?"
    names = client.names()
    first_ask = names.index("action")
    assert names[first_ask + 2] == "ask", " ".join(names)
    # As Chainlit: the text answer starts the thread in the background, so
    # first_interaction comes after clear_ask.
    after = names[names.index("ask") + 1 : names.index("ask") + 5]
    assert after == ["task_end", "clear_ask", "first_interaction", "task_start"]
    selected = await client.wait_for(
        "update_message", lambda m: m["output"] == "**Selected:** Coffee"
    )
    assert selected.data["id"] == action["msg"]["id"]
    assert final.data["parentId"] is not None


async def test_ask_files_example(make_stack: StackFactory, client_factory: Any) -> None:
    stack = make_stack(EXAMPLES / "ask_files.py")
    asks: list[Any] = []

    async def answer(data: Any, *_: Any) -> Any:
        asks.append(data)
        if data["spec"]["type"] == "file":
            async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
                wrong = await http.post(
                    "/project/file",
                    params={"session_id": client.session_id},
                    files={"file": ("notes.md", b"# no", "text/markdown")},
                )
                assert wrong.status_code == 400
                stored = await http.post(
                    "/project/file",
                    params={"session_id": client.session_id},
                    files={"file": ("notes.txt", b"hello world", "text/plain")},
                )
            return [{"id": stored.json()["id"]}]
        return {"submitted": True, "rating": 5, "comment": "great"}

    client: ChainlitClient = client_factory(stack.url)
    client.answer_asks(answer)
    await client.start()
    await client.wait_for("new_message", lambda m: m["output"] == "Rated 5: great", timeout=30)
    file_ask, form_ask = asks
    assert file_ask["spec"] == {
        "timeout": 90,
        "type": "file",
        "step_id": file_ask["msg"]["id"],
        "accept": ["text/plain"],
        "max_files": 1,
        "max_size_mb": 1,
    }
    assert any(
        e.name == "new_message"
        and e.data["output"] == "`notes.txt` uploaded, it contains 11 characters!"
        for e in client.events
    )
    form = next(e.data for e in client.events if e.name == "element" and e.data["type"] == "custom")
    assert form_ask["spec"]["type"] == "element"
    assert form_ask["spec"]["element_id"] == form["id"]
    assert form["props"] == {"rating": 3, "comment": ""} and form["forId"] == form_ask["msg"]["id"]
    removed = await client.wait_for("remove_element", lambda d: d["id"] == form["id"])
    assert removed.data == {"id": form["id"]}


ELEMENT_FIELDS = {
    "id", "threadId", "type", "chainlitKey", "url", "objectKey", "name", "display", "size",
    "language", "forId", "mime",
}  # fmt: skip


async def test_elements_example(make_stack: StackFactory, client_factory: Any) -> None:
    stack = make_stack(EXAMPLES / "elements.py")
    client = await _started(stack, client_factory)
    message = await client.wait_for(
        "new_message", lambda m: m["output"].startswith("Here are the notes"), timeout=15
    )
    await client.wait_for("set_sidebar_elements", timeout=15)
    # The task list is sent again once the work is done.
    done = await client.wait_for(
        "element", lambda e: e["type"] == "tasklist", since=client.events.index(message)
    )
    elements = {e.data["name"]: e.data for e in client.events if e.name == "element"}
    assert {"pixel", "notes", "paper", "data.csv", "beep", "clip", "Counter"} <= set(elements)
    for name in ("pixel", "notes", "paper", "data.csv", "beep", "clip", "Counter"):
        assert set(elements[name]) >= ELEMENT_FIELDS, name
        assert elements[name]["forId"] == message.data["id"]
    assert elements["pixel"]["type"] == "image" and elements["pixel"]["mime"] == "image/png"
    assert elements["notes"]["display"] == "side" and elements["notes"]["mime"] == "text/plain"
    assert elements["paper"]["type"] == "pdf" and elements["paper"]["page"] == 1
    assert elements["clip"]["url"] == "https://example.com/clip.mp4"
    assert elements["clip"]["chainlitKey"] is None
    assert elements["Counter"]["props"] == {"count": 3}
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        pixel = await http.get(client.element_url(elements["pixel"]))
        assert pixel.status_code == 200 and pixel.content.startswith(b"\x89PNG")
        assert (await http.get(client.element_url(elements["data.csv"]))).text == "a,b\n1,2\n"
        tasklists = [
            e.data for e in client.events if e.name == "element" and e.data["type"] == "tasklist"
        ]
        final = (await http.get(client.element_url(tasklists[-1]))).json()
    assert tasklists[-1]["forId"] == "" and done.data["type"] == "tasklist"
    assert final == {
        "status": "Done",
        "tasks": [
            {"title": "Load the data", "status": "done", "forId": None},
            {"title": "Plot it", "status": "done", "forId": None},
        ],
    }
    sidebar = next(e.data for e in client.events if e.name == "set_sidebar_elements")
    assert sidebar["key"] == "sources" and sidebar["elements"][0]["name"] == "source"
    assert any(e.name == "set_sidebar_title" and e.data == "Sources" for e in client.events)
    mark = len(client.events)
    await client.send("go")
    removed = await client.wait_for("remove_element", since=mark)
    gone = next(
        e.data for e in client.events[mark:] if e.name == "element" and e.data["name"] == "gone"
    )
    assert removed.data == {"id": gone["id"]}


async def test_actions_example(make_stack: StackFactory, client_factory: Any) -> None:
    stack = make_stack(EXAMPLES / "actions.py")
    client = await _started(stack, client_factory)
    action = await client.wait_for("action", timeout=15)
    message = next(
        e.data
        for e in client.events
        if e.name == "new_message" and e.data["type"] == "assistant_message"
    )
    assert action.data == {
        "name": "greet",
        "payload": {"who": "world"},
        "label": "Greet",
        "tooltip": "",
        "icon": None,
        "forId": message["id"],
        "id": action.data["id"],
    }
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        response = await http.post(
            "/project/action", json={"action": action.data, "sessionId": client.session_id}
        )
    assert response.json() == {"success": True, "response": "greeted"}
    await client.wait_for("new_message", lambda m: m["output"] == "Hello, world!")
    removed = await client.wait_for("remove_action")
    assert removed.data["id"] == action.data["id"]
    interaction = await client.wait_for("first_interaction")
    assert interaction.data["interaction"] == "greet"


async def test_chat_settings_example(make_stack: StackFactory, client_factory: Any) -> None:
    stack = make_stack(EXAMPLES / "chat_settings.py")
    client = await _started(stack, client_factory)
    settings = await client.wait_for("chat_settings", timeout=15)
    widgets = {w["id"]: w for w in settings.data}
    assert [w["type"] for w in settings.data] == [
        "select", "switch", "slider", "textinput", "numberinput", "tags", "multiselect",
        "checkbox", "radio", "datepicker",
    ]  # fmt: skip
    assert widgets["model"]["items"] == [
        {"label": "small", "value": "small"},
        {"label": "large", "value": "large"},
    ]
    assert widgets["model"]["initial"] == "small"
    assert set(widgets["stream"]) == {
        "type", "id", "label", "initial", "tooltip", "description", "disabled",
    }  # fmt: skip
    assert widgets["temperature"]["min"] == 0 and widgets["temperature"]["step"] == 0.1
    shown = await client.wait_for("new_message", lambda m: m["output"] == "model=small")
    await client.wait_for("task_end", since=client.events.index(shown))
    mark = len(client.events)
    await client.emit("chat_settings_change", {"model": "large", "temperature": 0.5})
    await client.wait_for(
        "new_message", lambda m: m["output"] == "now model=large temp=0.5", since=mark
    )
    await client.wait_for("task_end", since=mark)
    names = client.names(mark)
    assert names[0] == "task_start" and names[-1] == "task_end"


async def test_chat_profiles_example(make_stack: StackFactory, client_factory: Any) -> None:
    stack = make_stack(EXAMPLES / "chat_profiles.py")
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        for _ in range(100):
            settings = (await http.get("/project/settings", params={"language": "en-US"})).json()
            if settings["chatProfiles"]:
                break
        assert [p["name"] for p in settings["chatProfiles"]] == ["Fast", "Careful"]
        assert "config_overrides" not in settings["chatProfiles"][1]
        assert settings["chatProfiles"][0]["default"] is True
        assert [s["message"] for s in settings["starters"]] == ["hi", "help"]
        assert settings["ui"]["name"] == "Assistant" and settings["features"]["latex"] is False
        careful = (await http.get("/project/settings", params={"chat_profile": "Careful"})).json()
        assert careful["ui"]["name"] == "Careful Assistant"
        assert careful["features"]["latex"] is True
    client = await _started(stack, client_factory, auth={**_auth(), "chatProfile": "Careful"})
    await client.send("hello")
    await client.wait_for("new_message", lambda m: m["output"] == "[Careful] hello", timeout=15)


def _auth() -> dict[str, Any]:
    from tests.support.client import chainlit_auth

    return chainlit_auth()


async def test_commands_example(make_stack: StackFactory, client_factory: Any) -> None:
    stack = make_stack(EXAMPLES / "commands.py")
    client = await _started(stack, client_factory)
    commands = await client.wait_for("set_commands", timeout=15)
    assert commands.data == [{"id": "search", "icon": "globe", "description": "Search the web"}]
    modes = await client.wait_for("set_modes")
    assert modes.data[0]["options"][0] == {
        "id": "quick", "name": "Quick", "description": None, "icon": None, "default": True,
    }  # fmt: skip
    await client.wait_for("task_end")
    mark = len(client.events)
    await client.send("cats", command="search", modes={"depth": "deep"})
    await client.wait_for(
        "new_message", lambda m: m["output"] == "command=search depth=deep", since=mark
    )


@pytest.fixture
def openai_server() -> Iterator[str]:
    with module_server("tests.support.openai_server") as url:
        yield url


async def test_openai_example(
    make_stack: StackFactory, client_factory: Any, openai_server: str
) -> None:
    stack = make_stack(
        EXAMPLES / "openai_chat.py",
        extra_env={
            "OPENAI_BASE_URL": f"{openai_server}/v1",
            "OPENAI_API_KEY": "test-key",
            "OPENAI_MODEL": "test-model",
        },
    )
    client = await _started(stack, client_factory)
    mark = len(client.events)
    await client.send("hello there")
    final = await client.wait_for(
        "new_message",
        lambda m: m["type"] == "assistant_message" and not m["streaming"],
        since=mark,
        timeout=20,
    )
    assert final.data["output"] == "echo: hello there"
    llm = await client.wait_for("update_message", _is("test-model", type="llm"), since=mark)
    generation = llm.data["generation"]
    assert generation["type"] == "CHAT" and generation["provider"] == "openai"
    assert generation["model"] == "test-model"
    assert generation["settings"] == {"temperature": 0.2}
    assert generation["messages"] == [{"role": "user", "content": "hello there"}]
    assert generation["messageCompletion"] == {"role": "assistant", "content": "echo: hello there"}
    assert generation["ttFirstToken"] is not None and generation["duration"] > 0
    assert llm.data["output"] == "echo: hello there"
    started = next(
        e.data for e in client.events[mark:] if e.name == "new_message" and e.data["type"] == "llm"
    )
    run = next(
        e.data
        for e in client.events[mark:]
        if e.name == "new_message" and e.data["name"] == "on_message"
    )
    assert started["parentId"] == run["id"]


async def test_langchain_example(make_stack: StackFactory, client_factory: Any) -> None:
    stack = make_stack(EXAMPLES / "langchain_chat.py")
    client = await _started(stack, client_factory)
    started = await client.wait_for("update_message", _is("on_chat_start"), timeout=15)
    await client.wait_for("task_end", since=client.events.index(started))
    mark = len(client.events)
    sent = await client.send("What is the capital of France?")
    final = await client.wait_for(
        "new_message",
        lambda m: m["type"] == "assistant_message" and not m["streaming"],
        since=mark,
        timeout=20,
    )
    done = await client.wait_for("task_end", since=client.events.index(final))
    events = client.events[mark : client.events.index(done) + 1]
    assert final.data["output"] == "Paris is the capital of France."
    assert set(final.data) == MESSAGE_FIELDS
    streamed = next(e.data for e in events if e.name == "stream_start")
    assert streamed["id"] == final.data["id"] and streamed["streaming"] is True
    assert any(e.name == "stream_token" for e in events)
    new = {e.data["name"]: e.data for e in events if e.name == "new_message"}
    run = new["on_message"]
    assert run["parentId"] == sent["message"]["id"]
    # As Chainlit: the sequence is not shown, nor the prompt and parser inside it;
    # the LLM call is kept, under the open step.
    assert not {"RunnableSequence", "ChatPromptTemplate", "StrOutputParser"} & set(new)
    llm = await client.wait_for(
        "update_message", _is("GenericFakeChatModel", type="llm"), since=mark
    )
    assert set(llm.data) == STEP_FIELDS and llm.data["parentId"] == run["id"]
    # A chat call's answer is in its generation; the step shows no input or output.
    assert llm.data["input"] == "" and llm.data["output"] == ""
    generation = llm.data["generation"]
    assert generation["type"] == "CHAT"
    assert generation["messages"] == [
        {"role": "system", "content": "You answer geography questions in one sentence."},
        {"role": "user", "content": "What is the capital of France?"},
    ]
    assert generation["messageCompletion"] == {
        "role": "assistant",
        "content": "Paris is the capital of France.",
    }
    assert generation["ttFirstToken"] is not None and generation["duration"] > 0
    order = [e.name for e in events]
    assert order[0] == "task_start" and order[-1] == "task_end"
    # The answer streams while the llm step is open; the step closes after it.
    assert order.index("stream_start") < events.index(llm)
