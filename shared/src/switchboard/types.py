"""Chat profiles, starters and modes at Chainlit's import path (`chainlit.types`)."""

from switchboard.sdk.types import *  # noqa: F403
from switchboard.sdk.types import __all__ as __all__
