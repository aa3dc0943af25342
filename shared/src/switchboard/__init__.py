"""Switchboard: Chainlit's programming model as services that scale out.

App authors write ``import chainlit as cl`` (workers alias it to this package,
see ``switchboard.chainlit_compat``) or ``import switchboard as cl`` and use the
same decorators and objects as with Chainlit; the services that run them live
under ``services/``.
"""

# Modules named like SDK objects (``cl.context``, ``cl.step``, ``cl.user_session``,
# ``cl.chat_context``) are imported before the SDK binds those names, so that
# importing them later (``from chainlit.context import context``) finds them loaded
# and never rebinds the package attribute to the module.
from switchboard import chat_context as _chat_context_module  # noqa: F401
from switchboard import context as _context_module  # noqa: F401
from switchboard import step as _step_module  # noqa: F401
from switchboard import user_session as _user_session_module  # noqa: F401
from switchboard.sdk import *  # noqa: F403 - the SDK is the package's public surface
from switchboard.sdk import __all__ as _sdk_all
from switchboard.sdk import __getattr__ as __getattr__  # the integrations, loaded lazily

__version__ = "0.1.0"

__all__ = (*_sdk_all, "__version__")
