"""Chainlit's ``DynamoDBDataLayer``: conversations in one DynamoDB table.

The table layout is Chainlit's (:mod:`switchboard.data.dynamodb_layout`), so a table
Chainlit 2.12 filled is read as it is and Chainlit reads back what this class writes;
:func:`create_table` makes such a table.

Unlike Chainlit's class, boto3's blocking calls run in worker threads (the event
loop never waits on the network), a thread's ``createdAt`` is set once, ids are
parsed by prefix, failures raise instead of passing silently, list pages hold
``pagination.first`` threads, and the feedback filter is applied.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import Any, cast

try:
    import boto3
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("DynamoDBDataLayer needs boto3: pip install 'switchboard[dynamodb]'") from exc

from switchboard.data.base import BaseDataLayer
from switchboard.data.dynamodb_access import DynamoTableAccess
from switchboard.data.dynamodb_layout import (
    INDEX_KEYS,
    USER_THREAD_INDEX,
    create_table,
    feedback_id_of,
    parse_feedback_id,
    thread_from_item,
    thread_key,
    user_from_item,
)
from switchboard.data.element_uploads import upload_content
from switchboard.data.storage_clients.base import BaseStorageClient
from switchboard.data.thread_pages import listing_owner, split_page, thread_page
from switchboard.data.utils import current_thread_id
from switchboard.logger import logger
from switchboard.schema.steps import utc_now_iso
from switchboard.sdk.dicts import ElementDict, StepDict, ThreadDict
from switchboard.sdk.element import Element
from switchboard.sdk.pagination import PaginatedResponse, Pagination, ThreadFilter
from switchboard.sdk.types import Feedback
from switchboard.sdk.user import PersistedUser, User

__all__ = ("USER_THREAD_INDEX", "DynamoDBDataLayer", "create_table")


class DynamoDBDataLayer(DynamoTableAccess, BaseDataLayer):
    """Chainlit's constructor: a table, an optional boto3 client, storage and page size."""

    def __init__(
        self,
        table_name: str,
        client: Any | None = None,
        storage_provider: BaseStorageClient | None = None,
        user_thread_limit: int = 10,
    ) -> None:
        super().__init__(
            client
            or boto3.client("dynamodb", region_name=os.environ.get("AWS_REGION", "us-east-1")),
            table_name,
        )
        self.storage_provider = storage_provider
        self.user_thread_limit = user_thread_limit

    # --- users --------------------------------------------------------------

    async def get_user(self, identifier: str) -> PersistedUser | None:
        item = await self._get(f"USER#{identifier}", "USER")
        return user_from_item(item) if item is not None else None

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
        feedback.id = feedback_id_of(feedback.threadId, feedback.forId)
        await self._set(thread_key(feedback.threadId), f"STEP#{feedback.forId}", {
            "feedback": {k: v for k, v in asdict(feedback).items() if v is not None}
        })  # fmt: skip
        return feedback.id

    async def delete_feedback(self, feedback_id: str) -> bool:
        thread_id, step_id = parse_feedback_id(feedback_id)
        await self._call(
            self.client.update_item,
            TableName=self.table_name,
            Key=self._key(thread_key(thread_id), f"STEP#{step_id}"),
            UpdateExpression="REMOVE #f",
            ExpressionAttributeNames={"#f": "feedback"},
        )
        return True

    # --- elements -----------------------------------------------------------

    async def create_element(self, element: Element) -> None:
        """Store the element; its content goes to ``storage_provider`` when there is one."""
        thread_id = element.thread_id or current_thread_id()
        if not thread_id:
            raise ValueError(f"element {element.id}: no thread to store it in")
        values: dict[str, Any] = dict(element.to_dict())
        values["threadId"] = thread_id

        async def object_key() -> str:
            thread = await self._get(thread_key(thread_id), "THREAD")
            owner = (thread or {}).get("userId") or "unknown"
            return f"{owner}/{thread_id}/{element.id}"

        values.update(await upload_content(self.storage_provider, element, object_key))
        values.update(PK=thread_key(thread_id), SK=f"ELEMENT#{element.id}")
        await self._call(
            self.client.put_item,
            TableName=self.table_name,
            Item=self._item({k: v for k, v in values.items() if v is not None}),
        )

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        item = await self._get(thread_key(thread_id), f"ELEMENT#{element_id}")
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
        response = await self._delete(
            thread_key(thread_id), f"ELEMENT#{element_id}", ReturnValues="ALL_OLD"
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
        await self._set(thread_key(step_dict["threadId"]), f"STEP#{step_dict['id']}", values)

    async def update_step(self, step_dict: StepDict) -> None:
        """Set the keys the dict carries; the step's other attributes (feedback) stay."""
        values = {k: v for k, v in step_dict.items() if k not in ("id", "threadId")}
        await self._set(thread_key(step_dict["threadId"]), f"STEP#{step_dict['id']}", values)

    async def delete_step(self, step_id: str) -> None:
        thread_id = current_thread_id()
        if not thread_id:
            raise ValueError(f"step {step_id}: no thread named to delete it from")
        await self._delete(thread_key(thread_id), f"STEP#{step_id}")

    # --- threads ------------------------------------------------------------

    async def get_thread_author(self, thread_id: str) -> str:
        item = await self._get(
            thread_key(thread_id),
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
                thread_key(thread_id), "THREAD", ProjectionExpression="metadata"
            )
            merged = {**((current or {}).get("metadata") or {}), **metadata}
            values["metadata"] = {k: v for k, v in merged.items() if v is not None}
        await self._set(
            thread_key(thread_id), "THREAD", values, once={"id": thread_id, "createdAt": now}
        )

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        items = await self._partition(thread_key(thread_id))
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
        return thread_from_item(thread, steps, elements)

    async def delete_thread(self, thread_id: str) -> None:
        items = await self._partition(thread_key(thread_id))
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
                ":pk": {"S": thread_key(thread_id)},
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
        user_id = listing_owner(filters, "DynamoDBDataLayer.list_threads needs filters.userId")
        size = max(1, pagination.first or self.user_thread_limit)
        query: dict[str, Any] = {
            "IndexName": USER_THREAD_INDEX,
            "ScanIndexForward": False,
            "KeyConditionExpression": "UserThreadPK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"USER#{user_id}"}},
            "Limit": size,
        }
        if filters.search:
            query["FilterExpression"] = "contains(#name, :search)"
            query["ExpressionAttributeNames"] = {"#name": "name"}
            query["ExpressionAttributeValues"][":search"] = {"S": filters.search}
        if pagination.cursor:
            query["ExclusiveStartKey"] = json.loads(pagination.cursor)
        # One match past the page tells whether there is a next page.
        page, more = split_page(await self._matches(query, size + 1, filters.feedback), size)
        threads = []
        for _, item in page:
            item.setdefault("userId", user_id)
            threads.append(thread_from_item(item, [], []))
        end = json.dumps({k: page[-1][0][k] for k in INDEX_KEYS}) if page and more else None
        return thread_page(threads, more=more, start=pagination.cursor, end=end)

    async def _matches(
        self, query: dict[str, Any], wanted: int, feedback: int | None
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Up to ``wanted`` threads the query finds (with a feedback of that value when
        given), each as stored and as plain values; the query's pages are read as needed."""
        found: list[tuple[dict[str, Any], dict[str, Any]]] = []
        while len(found) < wanted:
            response = await self._call(self.client.query, TableName=self.table_name, **query)
            for raw in response.get("Items", []):
                item = self._plain(raw)
                if feedback is not None and not await self._has_feedback(
                    item["PK"].removeprefix("THREAD#"), feedback
                ):
                    continue
                found.append((raw, item))
                if len(found) >= wanted:
                    break
            last = response.get("LastEvaluatedKey")
            if len(found) >= wanted or not last:
                break
            query["ExclusiveStartKey"] = last
        return found

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
