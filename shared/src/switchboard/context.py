"""Chainlit's ``chainlit.context``: the session a callback runs for.

``ChainlitContext`` and ``ChainlitContextException`` are Chainlit's names for
``SessionContext`` and ``ContextError``.
"""

from switchboard.sdk.context import ContextError, SessionContext, context, get_context

ChainlitContext = SessionContext
ChainlitContextException = ContextError

__all__ = (
    "ChainlitContext",
    "ChainlitContextException",
    "ContextError",
    "SessionContext",
    "context",
    "get_context",
)
