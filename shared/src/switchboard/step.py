"""Chainlit's ``chainlit.step``."""

from switchboard.sdk.dicts import StepDict
from switchboard.sdk.step import Step, step

__all__ = ("Step", "StepDict", "step")
