"""The persistence service: the stream consumer plus its REST API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.refusals import log_refusals
from switchboard.service import health_router, instrument
from switchboard_persistence.api import build_router
from switchboard_persistence.consumer import ConsumerOptions, PersistConsumer
from switchboard_persistence.db.engine import make_engine
from switchboard_persistence.errors import PersistenceError
from switchboard_persistence.files import FileStore
from switchboard_persistence.routes.deps import Stores
from switchboard_persistence.settings import PersistenceSettings
from switchboard_persistence.storage import ObjectStorage, SpoolingStorage, make_storage
from switchboard_persistence.storage.spool import PROBE_KEY
from switchboard_persistence.stores.app_layer import AppDataLayerStore
from switchboard_persistence.stores.base import ConversationStore
from switchboard_persistence.stores.chainlit import ChainlitStore
from switchboard_persistence.stores.switchboard import SwitchboardStore

__all__ = ("create_app",)

logger = logging.getLogger(__name__)

# A graceful stop finishes the batch at hand; past this the consumer task is cancelled
# (its entries stay pending and are re-read, so nothing is lost either way).
_STOP_TIMEOUT_S = 10.0


def consumer_options(settings: PersistenceSettings) -> ConsumerOptions:
    return ConsumerOptions(
        consumer_name=settings.consumer_name,
        batch_size=settings.batch_size,
        claim_idle_ms=settings.claim_idle_ms,
        max_deliveries=settings.max_deliveries,
        maintenance_interval=min(5.0, settings.claim_idle_ms / 2000),
    )


async def _stop(consumer: PersistConsumer, task: asyncio.Task[None]) -> None:
    consumer.stop()
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=_STOP_TIMEOUT_S)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    except Exception:
        logger.exception("persistence consumer ended with an error")


async def open_store(
    settings: PersistenceSettings, engine: AsyncEngine, storage: ObjectStorage
) -> ConversationStore:
    """The storage mode the settings name; chainlit mode checks its tables first."""
    if settings.persistence_schema == "app":
        assert settings.app is not None  # the settings validate it
        # Built on the event loop's thread: a data layer may make loop-bound clients.
        return AppDataLayerStore.load(settings.app, engine, storage)
    if settings.persistence_schema == "chainlit":
        assert settings.chainlit_database_url is not None  # the settings validate it
        chainlit_engine = make_engine(settings, settings.chainlit_database_url)
        try:
            return await ChainlitStore.open(chainlit_engine, engine, storage)
        except BaseException:
            await chainlit_engine.dispose()
            raise
    return SwitchboardStore(engine, storage)


def create_app(settings: PersistenceSettings | None = None) -> FastAPI:
    settings = settings or PersistenceSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        redis = Redis.from_url(settings.redis_url)
        storage = make_storage(settings)
        await storage.start()
        try:
            store = await open_store(settings, engine, storage)
        except BaseException:
            await redis.aclose()
            await storage.close()
            await engine.dispose()
            raise
        consumer = PersistConsumer(redis, store, settings.names, consumer_options(settings))
        app.state.store = store
        # Switchboard's own schema keeps its Repository reachable (tests apply events to it).
        app.state.repository = store.repository if isinstance(store, SwitchboardStore) else store
        app.state.storage = storage
        app.state.stores = Stores(conversations=store, files=FileStore(engine, storage, store))
        app.state.redis = redis
        app.state.consumer = consumer
        task = asyncio.create_task(consumer.run(), name="persistence-consumer")
        app.state.consumer_task = task  # a strong reference keeps the task alive
        try:
            yield
        finally:
            await _stop(consumer, task)
            await redis.aclose()
            await storage.close()
            await store.close()
            await engine.dispose()

    app = FastAPI(title="switchboard-persistence", lifespan=lifespan)
    app.state.service_secret = settings.require_service_secret()

    async def database_ready() -> None:
        store: ConversationStore = app.state.store
        await store.ping()

    async def redis_ready() -> None:
        redis: Redis = app.state.redis
        await redis.ping()

    async def storage_ready() -> None:
        storage: ObjectStorage = app.state.storage
        if isinstance(storage, SpoolingStorage):
            # Ready while S3 is away if the spool takes the writes: the chat keeps working.
            await storage.ready()
            return
        # Any key will do: the store must answer, whether the object exists or not.
        await storage.exists(PROBE_KEY)

    @app.exception_handler(PersistenceError)
    async def persistence_error(_: Request, exc: PersistenceError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)

    log_refusals(app)
    app.include_router(
        health_router({"database": database_ready, "redis": redis_ready, "storage": storage_ready})
    )
    app.include_router(build_router(settings.max_file_bytes))
    instrument(app, "persistence")
    return app
