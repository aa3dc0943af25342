"""Chainlit's ``BaseDataLayer``, by name and signature (``chainlit.data.base``).

An app that returns a subclass from ``@cl.data_layer`` has it used by the
persistence service for every read and write (``SWITCHBOARD_PERSISTENCE_SCHEMA=app``,
docs/persistence-api.md); ``switchboard.data.get_data_layer()`` returns the same
instance in the app's own process.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from switchboard.sdk.dicts import ElementDict, StepDict, ThreadDict
from switchboard.sdk.element import Element
from switchboard.sdk.pagination import PaginatedResponse, Pagination, ThreadFilter
from switchboard.sdk.types import Feedback
from switchboard.sdk.user import PersistedUser, User

__all__ = ("BaseDataLayer",)


class BaseDataLayer(ABC):
    @abstractmethod
    async def get_user(self, identifier: str) -> PersistedUser | None: ...

    @abstractmethod
    async def create_user(self, user: User) -> PersistedUser | None: ...

    @abstractmethod
    async def delete_feedback(self, feedback_id: str) -> bool: ...

    @abstractmethod
    async def upsert_feedback(self, feedback: Feedback) -> str: ...

    @abstractmethod
    async def create_element(self, element: Element) -> None: ...

    @abstractmethod
    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None: ...

    @abstractmethod
    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None: ...

    @abstractmethod
    async def create_step(self, step_dict: StepDict) -> None: ...

    @abstractmethod
    async def update_step(self, step_dict: StepDict) -> None: ...

    @abstractmethod
    async def delete_step(self, step_id: str) -> None: ...

    @abstractmethod
    async def get_thread_author(self, thread_id: str) -> str: ...

    @abstractmethod
    async def delete_thread(self, thread_id: str) -> None: ...

    @abstractmethod
    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]: ...

    @abstractmethod
    async def get_thread(self, thread_id: str) -> ThreadDict | None: ...

    @abstractmethod
    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None: ...

    @abstractmethod
    async def build_debug_url(self) -> str: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def get_favorite_steps(self, user_id: str) -> list[StepDict]: ...

    async def set_step_favorite(self, step_dict: StepDict, favorite: bool) -> StepDict:
        """Chainlit's default: the flag lives in the step's metadata (``favorite``)."""
        metadata = dict(step_dict.get("metadata") or {})
        metadata["favorite"] = favorite
        step_dict["metadata"] = metadata
        await self.update_step(step_dict)
        return step_dict
