"""The error a user is shown when an MCP server does not open is its cause, not the
broken streams of the teardown that followed it."""

from __future__ import annotations

import anyio

from switchboard_worker.mcp_pool import describe


def test_the_cause_is_named_not_the_teardown() -> None:
    group = BaseExceptionGroup(
        "transport",
        [
            anyio.BrokenResourceError(),
            ExceptionGroup("session", [TimeoutError("no answer to initialize in 3 s")]),
        ],
    )
    assert describe(group) == "no answer to initialize in 3 s"


def test_a_teardown_error_alone_or_a_plain_error_is_named() -> None:
    assert describe(BaseExceptionGroup("t", [anyio.BrokenResourceError()])) == (
        "BrokenResourceError"
    )
    assert describe(ConnectionError("refused")) == "refused"


def test_a_failure_the_teardown_hid_is_found_in_the_context() -> None:
    try:
        try:
            raise TimeoutError("Timed out while waiting for response")
        except TimeoutError:
            raise BaseExceptionGroup("stdio", [anyio.BrokenResourceError()]) from None
    except BaseExceptionGroup as group:
        hidden = group
    assert hidden.__context__ is not None
    assert describe(hidden) == "Timed out while waiting for response"
