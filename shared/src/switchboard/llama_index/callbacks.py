"""Chainlit's ``chainlit.llama_index.callbacks``; needs ``llama-index-core`` (extra ``llama-index``)."""

from switchboard.integrations.llama_index import LlamaIndexCallbackHandler

__all__ = ("LlamaIndexCallbackHandler",)
