"""Chat settings widgets at Chainlit's import path (`chainlit.input_widget`)."""

from switchboard.sdk.input_widget import *  # noqa: F403
from switchboard.sdk.input_widget import __all__ as __all__
