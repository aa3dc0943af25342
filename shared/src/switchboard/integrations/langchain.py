"""LangChain callback handler: chains, tools, retrievers and LLM calls as steps.

``cl.LangchainCallbackHandler()`` (or ``AsyncLangchainCallbackHandler``, the same
class) goes in a runnable's ``config={"callbacks": [...]}``. LLM steps carry a
``ChatGeneration`` or ``CompletionGeneration``; ``stream_final_answer`` streams
the answer after ``answer_prefix_tokens`` into a message.

Runs become steps in :mod:`switchboard.integrations.langchain_steps`, LLM calls
in :mod:`~switchboard.integrations.langchain_llm`; LangChain's values are
converted in :mod:`~switchboard.integrations.langchain_values`.
"""

from __future__ import annotations

from typing import Any

from switchboard.integrations.langchain_llm import DEFAULT_ANSWER_PREFIX_TOKENS, LlmSteps
from switchboard.integrations.langchain_steps import DEFAULT_TO_IGNORE, DEFAULT_TO_KEEP

__all__ = (
    "DEFAULT_ANSWER_PREFIX_TOKENS",
    "DEFAULT_TO_IGNORE",
    "DEFAULT_TO_KEEP",
    "AsyncLangchainCallbackHandler",
    "LangchainCallbackHandler",
    "LangchainTracer",
)


class LangchainTracer(LlmSteps):
    """Turns LangChain runs into Switchboard steps of the current session.

    As Chainlit's tracer: a step's id is its run's id; runs named in ``to_ignore``
    (and runs under them, unless their type is in ``to_keep``) are not shown; an
    ``llm`` step shows no input, carries a generation, and a chat call's output
    stays empty (the answer is in the generation).
    """

    def __init__(
        self,
        answer_prefix_tokens: list[str] | None = None,
        stream_final_answer: bool = False,
        force_stream_final_answer: bool = False,
        to_ignore: list[str] | None = None,
        to_keep: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            answer_prefix_tokens,
            stream_final_answer,
            force_stream_final_answer,
            to_ignore,
            to_keep,
        )


LangchainCallbackHandler = LangchainTracer
AsyncLangchainCallbackHandler = LangchainTracer
