"""Chainlit's ``chainlit.langchain.callbacks``; needs ``langchain-core`` (extra ``langchain``)."""

from switchboard.integrations.langchain import (
    AsyncLangchainCallbackHandler,
    LangchainCallbackHandler,
    LangchainTracer,
)

__all__ = ("AsyncLangchainCallbackHandler", "LangchainCallbackHandler", "LangchainTracer")
