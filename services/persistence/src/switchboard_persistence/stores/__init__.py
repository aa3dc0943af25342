"""Storage modes behind one protocol (:mod:`switchboard_persistence.stores.base`)."""

from switchboard_persistence.stores.base import (
    ConversationStore,
    EventWriter,
    FileThreads,
    ThreadOwner,
)

__all__ = ("ConversationStore", "EventWriter", "FileThreads", "ThreadOwner")
