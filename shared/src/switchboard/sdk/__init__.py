"""The app SDK: what ``import switchboard as cl`` gives app authors."""

from switchboard.sdk import input_widget
from switchboard.sdk.action import Action
from switchboard.sdk.ask import (
    AskActionMessage,
    AskElementMessage,
    AskFileMessage,
    AskFileResponse,
    AskTimeoutError,
    AskUserMessage,
)
from switchboard.sdk.audio import InputAudioChunk, OutputAudioChunk
from switchboard.sdk.cache import cache
from switchboard.sdk.callbacks import (
    AppCallbacks,
    action_callback,
    author_rename,
    data_layer,
    header_auth_callback,
    oauth_callback,
    on_app_shutdown,
    on_app_startup,
    on_audio_chunk,
    on_audio_end,
    on_audio_start,
    on_chat_end,
    on_chat_resume,
    on_chat_start,
    on_feedback,
    on_logout,
    on_mcp_connect,
    on_mcp_disconnect,
    on_message,
    on_settings_edit,
    on_settings_update,
    on_shared_thread_view,
    on_stop,
    on_window_message,
    password_auth_callback,
    registry,
    set_chat_profiles,
    set_starter_categories,
    set_starters,
)
from switchboard.sdk.chat_context import chat_context
from switchboard.sdk.chat_settings import ChatSettings
from switchboard.sdk.context import ContextError, Emitter, SessionContext, context
from switchboard.sdk.copilot import CallFnTimeoutError, CopilotFunction
from switchboard.sdk.dicts import GenerationMessage
from switchboard.sdk.element import (
    Audio,
    CustomElement,
    Dataframe,
    Element,
    ElementSidebar,
    File,
    Image,
    Pdf,
    Plotly,
    Pyplot,
    Task,
    TaskList,
    TaskStatus,
    Text,
    Video,
)
from switchboard.sdk.generation import ChatGeneration, CompletionGeneration
from switchboard.sdk.ignored_hooks import on_slack_reaction_added
from switchboard.sdk.instrumentation import instrument_mistralai, instrument_openai
from switchboard.sdk.message import ErrorMessage, Message
from switchboard.sdk.step import Step, step
from switchboard.sdk.types import (
    ChatProfile,
    Feedback,
    Mode,
    ModeOption,
    Starter,
    StarterCategory,
)
from switchboard.sdk.unavailable import UnavailableError
from switchboard.sdk.user import PersistedUser, User
from switchboard.sdk.user_session import user_session
from switchboard.sdk.utils import make_async, run_sync, send_window_message, sleep

__all__ = (
    "Action",
    "AppCallbacks",
    "AskActionMessage",
    "AskElementMessage",
    "AskFileMessage",
    "AskFileResponse",
    "AskTimeoutError",
    "AskUserMessage",
    "Audio",
    "CallFnTimeoutError",
    "ChatGeneration",
    "ChatProfile",
    "ChatSettings",
    "CompletionGeneration",
    "ContextError",
    "CopilotFunction",
    "CustomElement",
    "Dataframe",
    "Element",
    "ElementSidebar",
    "Emitter",
    "ErrorMessage",
    "Feedback",
    "File",
    "GenerationMessage",
    "Image",
    "InputAudioChunk",
    "Message",
    "Mode",
    "ModeOption",
    "OutputAudioChunk",
    "Pdf",
    "PersistedUser",
    "Plotly",
    "Pyplot",
    "SessionContext",
    "Starter",
    "StarterCategory",
    "Step",
    "Task",
    "TaskList",
    "TaskStatus",
    "Text",
    "UnavailableError",
    "User",
    "Video",
    "action_callback",
    "author_rename",
    "cache",
    "chat_context",
    "context",
    "data_layer",
    "header_auth_callback",
    "input_widget",
    "instrument_mistralai",
    "instrument_openai",
    "make_async",
    "oauth_callback",
    "on_app_shutdown",
    "on_app_startup",
    "on_audio_chunk",
    "on_audio_end",
    "on_audio_start",
    "on_chat_end",
    "on_chat_resume",
    "on_chat_start",
    "on_feedback",
    "on_logout",
    "on_mcp_connect",
    "on_mcp_disconnect",
    "on_message",
    "on_settings_edit",
    "on_settings_update",
    "on_shared_thread_view",
    "on_slack_reaction_added",
    "on_stop",
    "on_window_message",
    "password_auth_callback",
    "registry",
    "run_sync",
    "send_window_message",
    "set_chat_profiles",
    "set_starter_categories",
    "set_starters",
    "sleep",
    "step",
    "user_session",
)


# Integrations need their framework installed (an extra): loaded on first use.
_LAZY = {
    "LangchainCallbackHandler": "switchboard.integrations.langchain",
    "AsyncLangchainCallbackHandler": "switchboard.integrations.langchain",
    "LlamaIndexCallbackHandler": "switchboard.integrations.llama_index",
}


# Chainlit names Switchboard does not provide, with what to use instead.
_NOT_PROVIDED = {
    "SemanticKernelFilter": "Switchboard has no Semantic Kernel integration; wrap calls in "
    "cl.Step(type='llm') or use instrument_openai()",
}


def __getattr__(name: str) -> object:
    import importlib

    if name == "server":  # Chainlit loads ``cl.server`` on first use too
        return importlib.import_module("switchboard.server")
    module = _LAZY.get(name)
    if module is None:
        hint = _NOT_PROVIDED.get(name)
        suffix = f": {hint}" if hint else ""
        raise AttributeError(f"module 'switchboard' has no attribute {name!r}{suffix}")
    return getattr(importlib.import_module(module), name)
