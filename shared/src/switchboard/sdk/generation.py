"""LLM generation records attached to ``llm`` steps (``Step.generation``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ("ChatGeneration", "CompletionGeneration")


@dataclass
class _Generation:
    prompt_id: str | None = None
    provider: str | None = None
    model: str | None = None
    error: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] | None = None
    token_count: int | None = None
    input_token_count: int | None = None
    output_token_count: int | None = None
    tt_first_token: float | None = None
    token_throughput_in_s: float | None = None
    duration: float | None = None

    def _base(self) -> dict[str, Any]:
        return {
            "promptId": self.prompt_id,
            "provider": self.provider,
            "model": self.model,
            "error": self.error,
            "settings": self.settings,
            "variables": self.variables,
            "tags": self.tags,
            "metadata": self.metadata,
            "tools": self.tools,
            "tokenCount": self.token_count,
            "inputTokenCount": self.input_token_count,
            "outputTokenCount": self.output_token_count,
            "ttFirstToken": self.tt_first_token,
            "tokenThroughputInSeconds": self.token_throughput_in_s,
            "duration": self.duration,
        }


@dataclass
class ChatGeneration(_Generation):
    messages: list[dict[str, Any]] = field(default_factory=list)
    message_completion: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._base(),
            "type": "CHAT",
            "messages": self.messages,
            "messageCompletion": self.message_completion,
        }


@dataclass
class CompletionGeneration(_Generation):
    prompt: str | None = None
    completion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._base(),
            "type": "COMPLETION",
            "prompt": self.prompt,
            "completion": self.completion,
        }
