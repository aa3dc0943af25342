"""Chainlit's ``DynamoDBDataLayer``: conversations in one DynamoDB table.

The table layout is Chainlit's, so a table Chainlit 2.12 filled is read as it is
and Chainlit reads back what this class writes:

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

A feedback's id is ``THREAD#<thread>::STEP#<step>``. :func:`create_table` makes a
table with the key schema and index above (Chainlit leaves that to its users).

Unlike Chainlit's class, boto3's blocking calls run in worker threads (the event
loop never waits on the network), a thread's ``createdAt`` is set once, ids are
parsed by prefix, failures raise instead of passing silently, list pages hold
``pagination.first`` threads, and the feedback filter is applied.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Callable, Mapping
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx

from switchboard.data.base import BaseDataLayer
from switchboard.data.storage_clients.base import BaseStorageClient
from switchboard.data.utils import current_thread_id
from switchboard.logger import logger
from switchboard.schema.steps import utc_now_iso
from switchboard.sdk.dicts import ElementDict, StepDict, ThreadDict
from switchboard.sdk.element import Element
from switchboard.sdk.pagination import PageInfo, PaginatedResponse, Pagination, ThreadFilter
from switchboard.sdk.types import Feedback
from switchboard.sdk.user import PersistedUser, User

try:
    import boto3
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("DynamoDBDataLayer needs boto3: pip install 'switchboard[dynamodb]'") from exc

__all__ = ("USER_THREAD_INDEX", "DynamoDBDataLayer", "create_table")

USER_THREAD_INDEX = "UserThread"
# BatchWriteItem takes at most this many requests.
_BATCH = 25
_MAX_BACKOFF_S = 8.0

T = TypeVar("T")


def create_table(client: Any, table_name: str) -> None:
    """Create Chainlit's single table (on-demand billing) and wait until it is active."""
    strings = ("PK", "SK", "UserThreadPK", "UserThreadSK")
    client.create_table(
        TableName=table_name,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in strings],
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


def _to_dynamo(value: Any) -> Any:
    """DynamoDB numbers are Decimals; floats are refused by boto3's serializer."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(v) for v in value]
    return value


def _thread_key(thread_id: str) -> str:
    return f"THREAD#{thread_id}"


def _feedback_id(thread_id: str, step_id: str) -> str:
    return f"THREAD#{thread_id}::STEP#{step_id}"


def _parse_feedback_id(feedback_id: str) -> tuple[str, str]:
    thread_part, sep, step_part = feedback_id.partition("::")
    if not sep or not thread_part.startswith("THREAD#") or not step_part.startswith("STEP#"):
        raise ValueError(f"not a DynamoDB feedback id: {feedback_id!r}")
    return thread_part.removeprefix("THREAD#"), step_part.removeprefix("STEP#")


class DynamoDBDataLayer(BaseDataLayer):
    """Chainlit's constructor: a table, an optional boto3 client, storage and page size."""

    def __init__(
        self,
        table_name: str,
        client: Any | None = None,
        storage_provider: BaseStorageClient | None = None,
        user_thread_limit: int = 10,
    ) -> None:
        self.client = client or boto3.client(
            "dynamodb", region_name=os.environ.get("AWS_REGION", "us-east-1")
        )
        self.table_name = table_name
        self.storage_provider = storage_provider
        self.user_thread_limit = user_thread_limit
        self._serializer = TypeSerializer()
        self._deserializer = TypeDeserializer()

    # --- plumbing -----------------------------------------------------------

    async def _call(self, method: Callable[..., T], **kwargs: Any) -> T:
        return await asyncio.to_thread(method, **kwargs)

    def _item(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self._serializer.serialize(_to_dynamo(v)) for k, v in values.items()}

    def _plain(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: _from_dynamo(self._deserializer.deserialize(v)) for k, v in item.items()}

    def _key(self, pk: str, sk: str) -> dict[str, Any]:
        return {"PK": {"S": pk}, "SK": {"S": sk}}

    async def _get(self, pk: str, sk: str, **extra: Any) -> dict[str, Any] | None:
        response = await self._call(
            self.client.get_item, TableName=self.table_name, Key=self._key(pk, sk), **extra
        )
        item = response.get("Item")
        return self._plain(item) if item else None

    async def _set(
        self, pk: str, sk: str, values: Mapping[str, Any], once: Mapping[str, Any] | None = None
    ) -> None:
        """SET every non-None value; ``once`` values only where the item has none yet."""
        names: dict[str, str] = {}
        params: dict[str, Any] = {}
        clauses: list[str] = []
        for index, (attr, value) in enumerate([*values.items(), *(once or {}).items()]):
            if value is None:
                continue
            names[f"#a{index}"] = attr
            params[f":v{index}"] = value
            if once is not None and attr in once and attr not in values:
                clauses.append(f"#a{index} = if_not_exists(#a{index}, :v{index})")
            else:
                clauses.append(f"#a{index} = :v{index}")
        if not clauses:
            return
        await self._call(
            self.client.update_item,
            TableName=self.table_name,
            Key=self._key(pk, sk),
            UpdateExpression="SET " + ", ".join(clauses),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=self._item(params),
        )

    async def _query_all(self, **query: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = await self._call(self.client.query, TableName=self.table_name, **query)
            items.extend(self._plain(i) for i in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return items
            query["ExclusiveStartKey"] = last

    async def _batch_delete(self, keys: list[dict[str, Any]]) -> None:
        for start in range(0, len(keys), _BATCH):
            requests: dict[str, Any] = {
                self.table_name: [
                    {"DeleteRequest": {"Key": k}} for k in keys[start : start + _BATCH]
                ]
            }
            backoff = 0.05
            while requests:
                response = await self._call(self.client.batch_write_item, RequestItems=requests)
                requests = response.get("UnprocessedItems") or {}
                if requests:
                    await asyncio.sleep(backoff + random.uniform(0, backoff))
                    backoff = min(backoff * 2, _MAX_BACKOFF_S)

    # --- users --------------------------------------------------------------

    async def get_user(self, identifier: str) -> PersistedUser | None:
        item = await self._get(f"USER#{identifier}", "USER")
        if item is None:
            return None
        return PersistedUser(
            id=item["id"],
            identifier=item["identifier"],
            createdAt=item.get("createdAt", ""),
            metadata=item.get("metadata") or {},
        )

    async def create_user(self, user: User) -> PersistedUser | None:
        """Create the user, or update its metadata (``createdAt`` stays the first one)."""
        await self._set(
            f"USER#{user.identifier}",
            "USER",
            {"metadata": user.metadata or {}},
            once={"id": user.identifier, "identifier": user.identifier, "createdAt": utc_now_iso()},
        )
        return await self.get_user(user.identifier)

    # --- feedback -----------------------------------------------------------

    async def upsert_feedback(self, feedback: Feedback) -> str:
        if not feedback.forId or not feedback.threadId:
            raise ValueError("DynamoDBDataLayer: feedback needs forId and threadId")
        feedback.id = _feedback_id(feedback.threadId, feedback.forId)
        await self._set(_thread_key(feedback.threadId), f"STEP#{feedback.forId}", {
            "feedback": {k: v for k, v in asdict(feedback).items() if v is not None}
        })  # fmt: skip
        return feedback.id

    async def delete_feedback(self, feedback_id: str) -> bool:
        thread_id, step_id = _parse_feedback_id(feedback_id)
        await self._call(
            self.client.update_item,
            TableName=self.table_name,
            Key=self._key(_thread_key(thread_id), f"STEP#{step_id}"),
            UpdateExpression="REMOVE #f",
            ExpressionAttributeNames={"#f": "feedback"},
        )
        return True

    # --- elements -----------------------------------------------------------

    async def _content(self, element: Element) -> bytes | str | None:
        if element.content is not None:
            return element.content
        if element.path:
            return await asyncio.to_thread(Path(element.path).read_bytes)
        if element.url and element.url.startswith(("http://", "https://")):
            async with httpx.AsyncClient() as http:
                response = await http.get(element.url)
                response.raise_for_status()
                return response.content
        return None

    async def create_element(self, element: Element) -> None:
        """Store the element; its content goes to ``storage_provider`` when there is one."""
        thread_id = element.thread_id or current_thread_id()
        if not thread_id:
            raise ValueError(f"element {element.id}: no thread to store it in")
        values: dict[str, Any] = dict(element.to_dict())
        values["threadId"] = thread_id
        if self.storage_provider is not None:
            content = await self._content(element)
            if content is not None:
                thread = await self._get(_thread_key(thread_id), "THREAD")
                owner = (thread or {}).get("userId") or "unknown"
                uploaded = await self.storage_provider.upload_file(
                    object_key=f"{owner}/{thread_id}/{element.id}",
                    data=content,
                    mime=element.mime or "application/octet-stream",
                    overwrite=True,
                )
                values["url"] = uploaded.get("url")
                values["objectKey"] = uploaded.get("object_key")
        values.update(PK=_thread_key(thread_id), SK=f"ELEMENT#{element.id}")
        await self._call(
            self.client.put_item,
            TableName=self.table_name,
            Item=self._item({k: v for k, v in values.items() if v is not None}),
        )

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        item = await self._get(_thread_key(thread_id), f"ELEMENT#{element_id}")
        return cast(ElementDict, await self._element(item)) if item else None

    async def _element(self, item: dict[str, Any]) -> dict[str, Any]:
        item.pop("PK", None)
        item.pop("SK", None)
        if self.storage_provider is not None and item.get("objectKey"):
            item["url"] = await self.storage_provider.get_read_url(object_key=item["objectKey"])
        return item

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        thread_id = thread_id or current_thread_id()
        if not thread_id:
            raise ValueError(f"element {element_id}: no thread named to delete it from")
        key = self._key(_thread_key(thread_id), f"ELEMENT#{element_id}")
        response = await self._call(
            self.client.delete_item, TableName=self.table_name, Key=key, ReturnValues="ALL_OLD"
        )
        old = response.get("Attributes")
        object_key = self._plain(old).get("objectKey") if old else None
        if object_key and self.storage_provider is not None:
            await self.storage_provider.delete_file(object_key=object_key)

    # --- steps --------------------------------------------------------------

    async def create_step(self, step_dict: StepDict) -> None:
        """Write the step's keys; what it already has and the dict lacks (feedback) stays."""
        values = {k: v for k, v in step_dict.items() if k not in ("id", "threadId")}
        values.update(id=step_dict["id"], threadId=step_dict["threadId"])
        await self._set(_thread_key(step_dict["threadId"]), f"STEP#{step_dict['id']}", values)

    async def update_step(self, step_dict: StepDict) -> None:
        """Set the keys the dict carries; the step's other attributes (feedback) stay."""
        values = {k: v for k, v in step_dict.items() if k not in ("id", "threadId")}
        await self._set(_thread_key(step_dict["threadId"]), f"STEP#{step_dict['id']}", values)

    async def delete_step(self, step_id: str) -> None:
        thread_id = current_thread_id()
        if not thread_id:
            raise ValueError(f"step {step_id}: no thread named to delete it from")
        await self._call(
            self.client.delete_item,
            TableName=self.table_name,
            Key=self._key(_thread_key(thread_id), f"STEP#{step_id}"),
        )

    # --- threads ------------------------------------------------------------

    async def get_thread_author(self, thread_id: str) -> str:
        item = await self._get(
            _thread_key(thread_id),
            "THREAD",
            ProjectionExpression="userId, userIdentifier",
        )
        author = (item or {}).get("userIdentifier") or (item or {}).get("userId")
        if not author:
            raise ValueError(f"Author not found for thread_id {thread_id}")
        return str(author)

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        """Set what is given; the thread moves to the top of its owner's list."""
        now = utc_now_iso()
        values: dict[str, Any] = {
            "UserThreadSK": f"TS#{now}",
            "name": name,
            "tags": tags,
            "userId": user_id,
            "userIdentifier": user_id,
            "UserThreadPK": f"USER#{user_id}" if user_id else None,
        }
        if metadata is not None:
            current = await self._get(
                _thread_key(thread_id), "THREAD", ProjectionExpression="metadata"
            )
            merged = {**((current or {}).get("metadata") or {}), **metadata}
            values["metadata"] = {k: v for k, v in merged.items() if v is not None}
        await self._set(
            _thread_key(thread_id), "THREAD", values, once={"id": thread_id, "createdAt": now}
        )

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        items = await self._query_all(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": _thread_key(thread_id)}},
        )
        thread: dict[str, Any] | None = None
        steps: list[dict[str, Any]] = []
        elements: list[dict[str, Any]] = []
        for item in items:
            sk = item["SK"]
            if sk == "THREAD":
                thread = item
            elif sk.startswith("STEP#"):
                item.pop("PK")
                item.pop("SK")
                steps.append(item)
            elif sk.startswith("ELEMENT#"):
                elements.append(await self._element(item))
        if thread is None:
            if items:
                logger.warning("DynamoDBDataLayer: thread %s has items but no THREAD", thread_id)
            return None
        steps.sort(key=lambda s: s.get("createdAt") or "")
        return self._thread_dict(thread, steps, elements)

    @staticmethod
    def _thread_dict(
        item: dict[str, Any], steps: list[dict[str, Any]], elements: list[dict[str, Any]] | None
    ) -> ThreadDict:
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

    async def delete_thread(self, thread_id: str) -> None:
        items = await self._query_all(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": _thread_key(thread_id)}},
        )
        if self.storage_provider is not None:
            for item in items:
                if item["SK"].startswith("ELEMENT#") and item.get("objectKey"):
                    await self.storage_provider.delete_file(object_key=item["objectKey"])
        # The thread item last: a delete cut short leaves a thread that can be deleted again.
        items.sort(key=lambda i: i["SK"] == "THREAD")
        await self._batch_delete([self._key(i["PK"], i["SK"]) for i in items])

    async def _has_feedback(self, thread_id: str, value: int) -> bool:
        steps = await self._query_all(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :step)",
            FilterExpression="feedback.#v = :value",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={
                ":pk": {"S": _thread_key(thread_id)},
                ":step": {"S": "STEP#"},
                ":value": {"N": str(value)},
            },
            ProjectionExpression="SK",
        )
        return bool(steps)

    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]:
        """The user's threads, latest update first; the cursor is the last key, as JSON."""
        if not filters.userId:
            raise ValueError("DynamoDBDataLayer.list_threads needs filters.userId")
        size = max(1, pagination.first or self.user_thread_limit)
        query: dict[str, Any] = {
            "IndexName": USER_THREAD_INDEX,
            "ScanIndexForward": False,
            "KeyConditionExpression": "UserThreadPK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"USER#{filters.userId}"}},
            "Limit": size,
        }
        if filters.search:
            query["FilterExpression"] = "contains(#name, :search)"
            query["ExpressionAttributeNames"] = {"#name": "name"}
            query["ExpressionAttributeValues"][":search"] = {"S": filters.search}
        if pagination.cursor:
            query["ExclusiveStartKey"] = json.loads(pagination.cursor)
        # One match past the page tells whether there is a next page.
        found: list[tuple[dict[str, Any], dict[str, Any]]] = []
        while len(found) <= size:
            response = await self._call(self.client.query, TableName=self.table_name, **query)
            for raw in response.get("Items", []):
                item = self._plain(raw)
                if filters.feedback is not None and not await self._has_feedback(
                    item["PK"].removeprefix("THREAD#"), filters.feedback
                ):
                    continue
                found.append((raw, item))
                if len(found) > size:
                    break
            last = response.get("LastEvaluatedKey")
            if len(found) > size or not last:
                break
            query["ExclusiveStartKey"] = last
        more = len(found) > size
        found = found[:size]
        page = []
        for _, item in found:
            item.setdefault("userId", filters.userId)
            page.append(self._thread_dict(item, [], []))
        end = None
        if found and more:
            raw = found[-1][0]
            end = json.dumps({k: raw[k] for k in ("PK", "SK", "UserThreadPK", "UserThreadSK")})
        return PaginatedResponse(
            pageInfo=PageInfo(hasNextPage=more, startCursor=pagination.cursor, endCursor=end),
            data=page,
        )

    async def get_favorite_steps(self, user_id: str) -> list[StepDict]:
        threads = await self._query_all(
            IndexName=USER_THREAD_INDEX,
            KeyConditionExpression="UserThreadPK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"USER#{user_id}"}},
        )
        favorites: list[dict[str, Any]] = []
        for thread in threads:
            steps = await self._query_all(
                KeyConditionExpression="PK = :pk AND begins_with(SK, :step)",
                FilterExpression="#m.#f = :yes",
                ExpressionAttributeNames={"#m": "metadata", "#f": "favorite"},
                ExpressionAttributeValues={
                    ":pk": {"S": thread["PK"]},
                    ":step": {"S": "STEP#"},
                    ":yes": {"BOOL": True},
                },
            )
            for step in steps:
                for key in ("PK", "SK", "feedback"):
                    step.pop(key, None)
                favorites.append(step)
        favorites.sort(key=lambda s: s.get("createdAt") or "", reverse=True)
        return cast(list[StepDict], favorites)

    async def build_debug_url(self) -> str:
        return ""

    async def close(self) -> None:
        if self.storage_provider is not None:
            await self.storage_provider.close()
        self.client.close()
