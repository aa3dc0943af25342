"""Chainlit's LangChain pattern: a runnable kept in the user session, streamed
with the callback handler so each LLM call shows as an ``llm`` step.

It uses langchain-core's own fake chat model so it runs offline; a real app puts
``ChatOpenAI(streaming=True)`` (or any chat model) in its place.
Needs the extra: ``pip install 'switchboard[langchain]'``.
"""

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig

import switchboard as cl


def _model() -> GenericFakeChatModel:
    replies = (AIMessage(content="Paris is the capital of France.") for _ in iter(int, 1))
    return GenericFakeChatModel(messages=replies)


@cl.on_chat_start
async def on_chat_start() -> None:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You answer geography questions in one sentence."), ("human", "{question}")]
    )
    runnable = prompt | _model() | StrOutputParser()
    cl.user_session.set("runnable", runnable)


@cl.on_message
async def on_message(message: cl.Message) -> None:
    runnable: Runnable[dict[str, str], str] = cl.user_session.get("runnable")
    msg = cl.Message(content="")
    async for chunk in runnable.astream(
        {"question": message.content},
        config=RunnableConfig(callbacks=[cl.LangchainCallbackHandler()]),
    ):
        await msg.stream_token(chunk)
    await msg.send()
