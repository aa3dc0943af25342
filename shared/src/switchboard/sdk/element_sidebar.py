"""The side panel's elements and title (Chainlit's ``ElementSidebar``)."""

from __future__ import annotations

from switchboard.schema.events import SetSidebarElements
from switchboard.schema.events import SetSidebarTitle as SetSidebarTitleEvent
from switchboard.sdk.context import get_context
from switchboard.sdk.element_base import Element

__all__ = ("ElementSidebar",)


class ElementSidebar:
    """The side panel: a title and a set of elements, keyed so the UI can tell sets apart."""

    @staticmethod
    async def set_title(title: str) -> None:
        ctx = get_context()
        await ctx.emitter.emit(
            SetSidebarTitleEvent(session_id=ctx.session_id, thread_id=ctx.thread_id, payload=title)
        )

    @staticmethod
    async def set_elements(
        elements: list[Element], key: str | None = None, persist: bool = False
    ) -> None:
        """Show ``elements`` in the side panel (an empty list closes it).

        As Chainlit: each element is sent first (``forId`` "" unless it has one, not
        stored with the thread unless ``persist``), then the panel gets them all.
        """
        ctx = get_context()
        for element in elements:
            await element.send(for_id=element.for_id or "", persist=persist)
        await ctx.emitter.emit(
            SetSidebarElements(
                session_id=ctx.session_id,
                thread_id=ctx.thread_id,
                payload={"elements": [element.to_dict() for element in elements], "key": key},
            )
        )
