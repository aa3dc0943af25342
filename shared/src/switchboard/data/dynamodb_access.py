"""Reading and writing DynamoDB items for :class:`DynamoDBDataLayer`, off the event loop.

boto3 blocks, so every call runs in a worker thread. Items cross this boundary as
plain Python values (numbers as ``int`` or ``float``, not ``Decimal``), writes only
set the attributes they name, queries follow every result page, and batch deletes
retry what DynamoDB leaves unprocessed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

__all__ = ("DynamoTableAccess",)

# BatchWriteItem takes at most this many requests.
_BATCH = 25
_MAX_BACKOFF_S = 8.0

T = TypeVar("T")


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


class DynamoTableAccess:
    """Item access to one table through a boto3 client (``client``, ``table_name``)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table_name = table_name
        self._serializer = TypeSerializer()
        self._deserializer = TypeDeserializer()

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

    async def _delete(self, pk: str, sk: str, **extra: Any) -> dict[str, Any]:
        return await self._call(
            self.client.delete_item, TableName=self.table_name, Key=self._key(pk, sk), **extra
        )

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

    async def _partition(self, pk: str) -> list[dict[str, Any]]:
        """Every item under ``pk``: a thread with its steps and elements."""
        return await self._query_all(
            KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": pk}}
        )

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
                    # Jittered, doubling backoff: DynamoDB throttles a hot partition.
                    await asyncio.sleep(backoff + random.uniform(0, backoff))
                    backoff = min(backoff * 2, _MAX_BACKOFF_S)
