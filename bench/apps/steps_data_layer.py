"""Bench app: ``steps.py`` with its history kept by Chainlit's SQLAlchemy data layer.

``@cl.data_layer`` returns ``SQLAlchemyDataLayer`` on ``BENCH_CHAINLIT_DATABASE_URL``
(Chainlit's tables); run with ``SWITCHBOARD_PERSISTENCE_SCHEMA=app``.
"""

import os

import steps  # noqa: F401  (registers the bench's on_message)

import switchboard as cl
from switchboard.data.sql_alchemy import SQLAlchemyDataLayer


@cl.data_layer
def layer() -> SQLAlchemyDataLayer:
    return SQLAlchemyDataLayer(conninfo=os.environ["BENCH_CHAINLIT_DATABASE_URL"])
