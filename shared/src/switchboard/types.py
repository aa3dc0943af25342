"""Chainlit's ``chainlit.types``: profiles, starters, modes, thread and paging shapes."""

from switchboard.sdk.ask import AskFileResponse
from switchboard.sdk.audio import InputAudioChunk, OutputAudioChunk
from switchboard.sdk.dicts import (
    AskActionResponse,
    AskElementResponse,
    CommandDict,
    FeedbackDict,
    FileDict,
    ThreadDict,
)
from switchboard.sdk.pagination import PageInfo, PaginatedResponse, Pagination, ThreadFilter
from switchboard.sdk.types import *  # noqa: F403
from switchboard.sdk.types import __all__ as _sdk_types

__all__ = (
    *_sdk_types,
    "AskActionResponse",
    "AskElementResponse",
    "AskFileResponse",
    "CommandDict",
    "FeedbackDict",
    "FileDict",
    "InputAudioChunk",
    "OutputAudioChunk",
    "PageInfo",
    "PaginatedResponse",
    "Pagination",
    "ThreadDict",
    "ThreadFilter",
)
