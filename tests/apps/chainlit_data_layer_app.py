"""Test app whose ``@cl.data_layer`` is one of Chainlit's: SQLAlchemy (SQLite) or DynamoDB.

``TEST_DATA_LAYER`` picks it: ``sql`` uses ``TEST_SQL_URL``; ``dynamodb`` uses the table
``TEST_DYNAMODB_TABLE`` at ``TEST_AWS_ENDPOINT`` (moto), with element files in the S3
bucket of the same name there.
"""

import os

import boto3
import chainlit as cl
from chainlit.data.base import BaseDataLayer
from chainlit.data.dynamodb import DynamoDBDataLayer
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.storage_clients.s3 import S3StorageClient

AWS = {"region_name": "us-east-1", "aws_access_key_id": "testing",
       "aws_secret_access_key": "testing"}  # fmt: skip


@cl.data_layer
def layer() -> BaseDataLayer:
    if os.environ["TEST_DATA_LAYER"] == "sql":
        return SQLAlchemyDataLayer(conninfo=os.environ["TEST_SQL_URL"])
    endpoint = os.environ["TEST_AWS_ENDPOINT"]
    table = os.environ["TEST_DYNAMODB_TABLE"]
    return DynamoDBDataLayer(
        table_name=table,
        client=boto3.client("dynamodb", endpoint_url=endpoint, **AWS),
        storage_provider=S3StorageClient(bucket=table, endpoint_url=endpoint, **AWS),
    )


@cl.header_auth_callback
async def header(headers: dict) -> cl.User | None:
    user = headers.get("x-test-user")
    return cl.User(identifier=user) if user else None


@cl.on_chat_resume
async def resumed(thread: dict) -> None:
    said = [s["output"] for s in thread["steps"] if s["type"].endswith("_message")]
    await cl.Message(content="resumed: " + " | ".join(said)).send()


@cl.on_message
async def reply(message: cl.Message) -> None:
    if message.content == "note":
        note = cl.Text(name="note", content="kept by the data layer", display="side")
        await cl.Message(content="here is a note", elements=[note]).send()
        return
    if message.content == "forget":
        step = cl.Message(content="this goes away")
        await step.send()
        await step.remove()
    await cl.Message(content=f"echo: {message.content}").send()
