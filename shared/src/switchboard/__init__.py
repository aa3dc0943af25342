"""Switchboard: Chainlit's programming model as services that scale out.

App authors write ``import switchboard as cl`` and use the same decorators and
objects as with Chainlit; the services that run them live under ``services/``.
"""

from switchboard.sdk import *  # noqa: F403 - the SDK is the package's public surface
from switchboard.sdk import __all__ as _sdk_all
from switchboard.sdk import __getattr__ as __getattr__  # the integrations, loaded lazily

__version__ = "0.1.0"

__all__ = (*_sdk_all, "__version__")
