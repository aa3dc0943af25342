"""Chainlit apps run unchanged: ``import chainlit`` and every public Chainlit import
path resolve to Switchboard's SDK in the worker, APIs that need the web server's
process raise naming the alternative, and an app that cannot be imported stops
``switchboard run`` before it prints its URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from switchboard.stack import free_port
from tests.support.client import ChainlitClient
from tests.support.fixtures import REPO, TEST_APPS, StackFactory

APP = TEST_APPS / "chainlit_imports_app.py"

# Every import path Chainlit apps use, with the names they import from it.
PATHS: dict[str, tuple[str, ...]] = {
    "types": (
        "ThreadDict", "Pagination", "ThreadFilter", "PaginatedResponse", "PageInfo",
        "FeedbackDict", "CommandDict", "FileDict", "AskFileResponse", "AskActionResponse",
        "AskElementResponse", "ChatProfile", "Starter", "StarterCategory", "Feedback",
        "InputAudioChunk", "OutputAudioChunk",
    ),
    "input_widget": (
        "InputWidget", "Select", "Slider", "Switch", "TextInput", "NumberInput", "Tags",
        "MultiSelect", "Checkbox", "RadioGroup", "DatePicker", "Tab",
    ),
    "element": (
        "Element", "ElementDict", "Image", "Text", "Pdf", "Audio", "Video", "File", "Plotly",
        "Pyplot", "Dataframe", "CustomElement", "Task", "TaskList", "TaskStatus",
    ),
    "message": (
        "Message", "ErrorMessage", "AskUserMessage", "AskFileMessage", "AskActionMessage",
        "AskElementMessage",
    ),
    "step": ("Step", "step", "StepDict"),
    "action": ("Action",),
    "user": ("User", "PersistedUser", "UserDict"),
    "chat_settings": ("ChatSettings",),
    "context": ("context", "get_context", "ChainlitContext", "ChainlitContextException"),
    "user_session": ("user_session", "UserSession"),
    "sidebar": ("ElementSidebar",),
    "chat_context": ("chat_context",),
    "mode": ("Mode", "ModeOption"),
    "logger": ("logger",),
    "data": ("BaseDataLayer", "get_data_layer", "queue_until_user_message"),
    "data.base": ("BaseDataLayer",),
    "data.utils": ("queue_until_user_message",),
    "data.sql_alchemy": ("SQLAlchemyDataLayer",),
    "data.dynamodb": ("DynamoDBDataLayer",),
    "data.storage_clients.base": ("BaseStorageClient", "storage_expiry_time"),
    "data.storage_clients.s3": ("S3StorageClient",),
    "data.storage_clients.gcs": ("GCSStorageClient",),
    "data.storage_clients.azure": ("AzureStorageClient",),
    "data.storage_clients.azure_blob": ("AzureBlobStorageClient",),
    "server": ("app",),
    "utils": ("mount_chainlit",),
    "oauth_providers": ("OAuthProvider", "providers", "get_oauth_provider"),
    "langchain.callbacks": (
        "LangchainCallbackHandler", "AsyncLangchainCallbackHandler", "LangchainTracer",
    ),
    "llama_index.callbacks": ("LlamaIndexCallbackHandler",),
    "openai": ("instrument_openai",),
    "mistralai": ("instrument_mistralai",),
    "mcp": ("McpConnection", "StdioMcpConnection", "SseMcpConnection", "HttpMcpConnection"),
    "sync": ("run_sync", "make_async"),
    "auth": ("create_jwt", "get_current_user", "require_login"),
    "config": (
        "ChainlitConfigOverrides", "FeaturesSettings", "UISettings", "ProjectSettings",
        "McpFeature", "config",
    ),
}  # fmt: skip

# Chainlit 2.12's ``cl.__all__``; Switchboard has no Semantic Kernel integration.
CHAINLIT_ALL = (
    "Action", "AskActionMessage", "AskElementMessage", "AskFileMessage", "AskUserMessage",
    "AsyncLangchainCallbackHandler", "Audio", "ChatGeneration", "ChatProfile", "ChatSettings",
    "CompletionGeneration", "CopilotFunction", "CustomElement", "Dataframe", "ElementSidebar",
    "ErrorMessage", "File", "GenerationMessage", "Image", "InputAudioChunk",
    "LangchainCallbackHandler", "LlamaIndexCallbackHandler", "Message", "Mode", "ModeOption",
    "OutputAudioChunk", "Pdf", "PersistedUser", "Plotly", "Pyplot", "SemanticKernelFilter",
    "Starter", "StarterCategory", "Step", "Task", "TaskList", "TaskStatus", "Text", "User",
    "Video", "__version__", "action_callback", "author_rename", "cache", "chat_context",
    "context", "data_layer", "header_auth_callback", "input_widget", "instrument_mistralai",
    "instrument_openai", "make_async", "oauth_callback", "on_app_shutdown", "on_app_startup",
    "on_audio_chunk", "on_audio_end", "on_audio_start", "on_chat_end", "on_chat_resume",
    "on_chat_start", "on_feedback", "on_logout", "on_mcp_connect", "on_mcp_disconnect",
    "on_message", "on_settings_edit", "on_settings_update", "on_shared_thread_view",
    "on_slack_reaction_added", "on_stop", "on_window_message", "password_auth_callback",
    "run_sync", "send_window_message", "set_chat_profiles", "set_starter_categories",
    "set_starters", "sleep", "step", "user_session",
)  # fmt: skip

# Run in a fresh interpreter: install the alias as the worker's loader does, then import
# each path under both names. A fake Chainlit distribution first on sys.path must lose.
PROBE = textwrap.dedent(
    """
    import importlib, json, sys
    from switchboard import chainlit_compat

    paths = json.loads(sys.argv[1])
    top_level = json.loads(sys.argv[2])
    chainlit_compat.install()
    import chainlit
    import switchboard

    report = {"root": chainlit is switchboard, "paths": {}}
    for path, names in paths.items():
        entry = {}
        try:
            for prefix in ("chainlit", "switchboard"):
                module = importlib.import_module(f"{prefix}.{path}")
                missing = []
                for name in names:
                    # ``from chainlit.config import config`` reads config.toml on first use.
                    scope = {}
                    exec(f"from {prefix}.{path} import {name}", scope)
                    if name not in scope:
                        missing.append(name)
                entry[prefix] = {"missing": missing, "module": module.__name__}
            entry["same"] = (
                importlib.import_module(f"chainlit.{path}")
                is importlib.import_module(f"switchboard.{path}")
            )
        except Exception as exc:
            entry["error"] = repr(exc)
        report["paths"][path] = entry
    # Package attributes named like submodules stay the SDK's objects.
    report["objects"] = {
        "context": type(chainlit.context).__name__,
        "step": type(chainlit.step).__name__,
        "user_session": type(chainlit.user_session).__name__,
        "chat_context": type(chainlit.chat_context).__name__,
    }
    from chainlit.config import config

    report["config_ui_name"] = config.ui.name
    report["missing_top_level"] = [name for name in top_level if not hasattr(chainlit, name)]
    report["server_attribute"] = chainlit.server is importlib.import_module("chainlit.server")
    try:
        importlib.import_module("chainlit.socket")
    except ModuleNotFoundError as exc:
        report["unknown"] = str(exc)
    print(json.dumps(report))
    """
)


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    fake = tmp_path_factory.mktemp("site") / "chainlit"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise RuntimeError('the installed Chainlit was imported')\n")
    config = fake.parent / "config.toml"
    config.write_text('[UI]\nname = "Probe"\n')
    env = {**os.environ, "PYTHONPATH": str(fake.parent), "SWITCHBOARD_CONFIG_FILE": str(config)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(PATHS), json.dumps(CHAINLIT_ALL)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize("path", sorted(PATHS))
def test_import_path_resolves_under_both_names(probe: dict[str, Any], path: str) -> None:
    entry = probe["paths"][path]
    assert "error" not in entry, entry.get("error")
    assert entry["chainlit"]["missing"] == [] and entry["switchboard"]["missing"] == []
    assert entry["chainlit"]["module"] == f"switchboard.{path}"
    assert entry["same"] is True


def test_chainlit_is_switchboard_even_with_chainlit_installed(probe: dict[str, Any]) -> None:
    assert probe["root"] is True
    assert probe["objects"] == {
        "context": "_ContextProxy",
        "step": "function",
        "user_session": "UserSession",
        "chat_context": "ChatContext",
    }
    assert probe["missing_top_level"] == ["SemanticKernelFilter"]
    assert probe["server_attribute"] is True
    assert probe["config_ui_name"] == "Probe"  # chainlit.config.config is the app's config.toml
    # Chainlit's internals are not aliased to Switchboard's: a clear error names the list.
    assert "chainlit.socket" in probe["unknown"] and "docs/chainlit-compat.md" in probe["unknown"]


async def test_an_app_written_for_chainlit_runs_unchanged(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(APP)
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    settings = await client.wait_for("chat_settings", timeout=20)
    assert [widget["id"] for widget in settings.data] == ["model", "stream"]
    hello = await client.wait_for("new_message", lambda m: m["output"].startswith("Hello"))
    assert hello.data["output"] == "Hello from Assistant"
    await client.wait_for("task_end", since=client.events.index(hello))

    mark = len(client.events)
    await client.send("three little words")
    reply = await client.wait_for(
        "new_message", lambda m: m["output"].startswith("echo:"), since=mark, timeout=20
    )
    assert reply.data["output"] == "echo: three little words | turn 1 | model small"
    events = client.events[mark:]
    outputs = [e.data.get("output") for e in events if e.name == "new_message"]
    assert "counted 3 words" in outputs  # run_sync from a make_async thread
    tool = [e.data for e in events if e.name == "update_message" and e.data["name"] == "count"]
    assert tool and tool[-1]["output"] == "3"
    await client.wait_for(
        "element", lambda e: e["name"] == "note" and e["forId"] == reply.data["id"], since=mark
    )

    mark = len(client.events)
    await client.send("again")
    again = await client.wait_for(
        "new_message", lambda m: m["output"].startswith("echo:"), since=mark, timeout=20
    )
    assert again.data["output"] == "echo: again | turn 2 | model small"


def test_server_side_apis_raise_naming_the_alternative() -> None:
    from switchboard.auth import get_current_user
    from switchboard.data import get_data_layer
    from switchboard.oauth_providers import OAuthProvider, providers
    from switchboard.sdk.unavailable import UnavailableError
    from switchboard.server import app
    from switchboard.utils import mount_chainlit

    with pytest.raises(UnavailableError, match="own ASGI service"):
        app.get("/hello")
    with pytest.raises(UnavailableError, match="own ASGI service"):
        app.add_middleware(object)
    with pytest.raises(UnavailableError, match=r"switchboard run app\.py"):
        mount_chainlit(app=None, target="app.py", path="/chat")
    with pytest.raises(UnavailableError, match="persistence service"):
        get_data_layer()
    with pytest.raises(UnavailableError, match="OAUTH_GENERIC_CLIENT_ID"):
        providers.append(OAuthProvider())
    with pytest.raises(UnavailableError, match=r"user_session\.get"):
        get_current_user()
    # Introspection sees a plain object, so tools that poke at module globals survive.
    assert not hasattr(app, "__wrapped__")
    assert "unavailable" in repr(app)


def _write_app(folder: Path, body: str) -> Path:
    app = folder / "app.py"
    app.write_text(textwrap.dedent(body))
    return app


def test_switchboard_run_stops_before_the_url_when_the_app_cannot_be_imported(
    tmp_path: Path,
) -> None:
    app = _write_app(
        tmp_path,
        """
        import chainlit as cl
        import a_module_that_is_not_installed


        @cl.on_message
        async def main(message: cl.Message) -> None:
            await cl.Message(content=message.content).send()
        """,
    )
    done = subprocess.run(
        [sys.executable, "-m", "switchboard.cli", "run", str(app), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "No module named 'a_module_that_is_not_installed'" in output
    assert 'app.py", line 3' in output  # the app's own traceback line
    assert "http://" not in output and "is running" not in output
    assert not (tmp_path / ".switchboard").exists()  # nothing was started


def test_a_worker_whose_app_cannot_be_imported_logs_it_once_and_exits(tmp_path: Path) -> None:
    app = _write_app(
        tmp_path,
        """
        import chainlit as cl

        raise RuntimeError("the app's own start-up failed")
        """,
    )
    env = {**os.environ, "SWITCHBOARD_SERVICE_SECRET": "s" * 48, "SWITCHBOARD_LOG_JSON": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "switchboard_worker", str(app)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 1
    errors = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    errors = [e for e in errors if e["level"] == "error"]
    assert len(errors) == 1, done.stderr
    assert "the app's own start-up failed" in errors[0]["event"]
    assert "RuntimeError" in errors[0]["exc"]
