"""Chainlit's single-table DynamoDB layout: keys, ids and the table itself.

============  ===================  ==================  ==============================
item          ``PK``               ``SK``              notes
============  ===================  ==================  ==============================
user          ``USER#<ident>``     ``USER``            ``id`` is the identifier
thread        ``THREAD#<id>``      ``THREAD``          GSI ``UserThread``: ``UserThreadPK``
                                                       ``USER#<userId>``, ``UserThreadSK``
                                                       ``TS#<last update>``
step          ``THREAD#<thread>``  ``STEP#<id>``       feedback is the step's ``feedback`` map
element       ``THREAD#<thread>``  ``ELEMENT#<id>``    ``objectKey`` names the stored file
============  ===================  ==================  ==============================

A feedback's id is ``THREAD#<thread>::STEP#<step>``. The layout is Chainlit's, so a
table Chainlit 2.12 filled is read as it is; :func:`create_table` makes one (Chainlit
leaves that to its users).
"""

from __future__ import annotations

from typing import Any, cast

from switchboard.sdk.dicts import ElementDict, StepDict, ThreadDict
from switchboard.sdk.user import PersistedUser

__all__ = (
    "INDEX_KEYS",
    "USER_THREAD_INDEX",
    "create_table",
    "feedback_id_of",
    "parse_feedback_id",
    "thread_from_item",
    "thread_key",
    "user_from_item",
)

USER_THREAD_INDEX = "UserThread"
# The attributes of a key in the UserThread index: a page cursor names these.
INDEX_KEYS = ("PK", "SK", "UserThreadPK", "UserThreadSK")


def create_table(client: Any, table_name: str) -> None:
    """Create Chainlit's single table (on-demand billing) and wait until it is active."""
    client.create_table(
        TableName=table_name,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in INDEX_KEYS],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": USER_THREAD_INDEX,
                "KeySchema": [
                    {"AttributeName": "UserThreadPK", "KeyType": "HASH"},
                    {"AttributeName": "UserThreadSK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=table_name)


def thread_key(thread_id: str) -> str:
    """The ``PK`` of a thread and of everything in it."""
    return f"THREAD#{thread_id}"


def feedback_id_of(thread_id: str, step_id: str) -> str:
    """A feedback's id names its step's item: a step holds at most one feedback."""
    return f"THREAD#{thread_id}::STEP#{step_id}"


def parse_feedback_id(feedback_id: str) -> tuple[str, str]:
    """The thread and step a feedback id names; ``ValueError`` for any other string."""
    thread_part, sep, step_part = feedback_id.partition("::")
    if not sep or not thread_part.startswith("THREAD#") or not step_part.startswith("STEP#"):
        raise ValueError(f"not a DynamoDB feedback id: {feedback_id!r}")
    return thread_part.removeprefix("THREAD#"), step_part.removeprefix("STEP#")


def user_from_item(item: dict[str, Any]) -> PersistedUser:
    """A user item as the user Chainlit's callbacks get."""
    return PersistedUser(
        id=item["id"],
        identifier=item["identifier"],
        createdAt=item.get("createdAt", ""),
        metadata=item.get("metadata") or {},
    )


def thread_from_item(
    item: dict[str, Any], steps: list[dict[str, Any]], elements: list[dict[str, Any]] | None
) -> ThreadDict:
    """A thread item as a thread dict; items Chainlit wrote may lack ``id`` and ``createdAt``."""
    return ThreadDict(
        id=item.get("id") or item["PK"].removeprefix("THREAD#"),
        createdAt=item.get("createdAt") or item.get("UserThreadSK", "").removeprefix("TS#"),
        name=item.get("name"),
        userId=item.get("userId"),
        userIdentifier=item.get("userIdentifier") or item.get("userId"),
        tags=item.get("tags"),
        metadata=item.get("metadata") or {},
        steps=cast(list[StepDict], steps),
        elements=cast(list[ElementDict], elements),
    )
