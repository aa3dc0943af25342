"""The per-socket limiter on a clock the test turns: rates, debt and the flood cut-off."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard_gateway.event_limits import DEFAULT_RULES, FLOOD_REFUSALS, EventBuckets

RULE = DEFAULT_RULES["window_message"]


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def _buckets(clock: Clock) -> EventBuckets:
    return EventBuckets(rules=DEFAULT_RULES, max_event_bytes=256 * 1024, clock=clock)


def test_a_client_within_the_rate_is_never_refused() -> None:
    clock = Clock()
    buckets = _buckets(clock)
    for _ in range(10 * RULE.burst):
        assert buckets.check("window_message", {"n": 1}) is None
        clock.now += 1.0 / RULE.per_second


def test_a_client_sending_at_twice_the_rate_is_cut_off() -> None:
    """Refill must not let one event through now and then and so reset the count.

    Before, a client sending at twice the sustained rate had every other event
    taken and was never dropped: its refusals never came 50 in a row.
    """
    clock = Clock()
    buckets = _buckets(clock)
    verdicts = []
    for _ in range(RULE.burst + 4 * FLOOD_REFUSALS):
        verdict = buckets.check("window_message", {"n": 1})
        verdicts.append(verdict)
        if verdict is not None and verdict.flooding:
            break
        clock.now += 0.5 / RULE.per_second
    assert verdicts[-1] is not None and verdicts[-1].flooding
    taken = sum(1 for v in verdicts if v is None)
    # The burst, and what refilled while the burst's tokens ran out.
    assert RULE.burst <= taken <= 2 * RULE.burst
    refused = [v for v in verdicts if v is not None]
    assert {v.code for v in refused} == {"rate_limited"}


def test_a_client_that_slows_down_is_served_again() -> None:
    clock = Clock()
    buckets = _buckets(clock)
    for _ in range(RULE.burst + 10):
        buckets.check("window_message", {})
    assert buckets.check("window_message", {}) is not None
    # The debt is at most a burst: a burst and one event's time later, one goes through.
    clock.now += (RULE.burst + 1) / RULE.per_second
    assert buckets.check("window_message", {}) is None
    assert buckets.refusals_in_a_row == 0


def test_kinds_have_buckets_of_their_own() -> None:
    clock = Clock()
    buckets = _buckets(clock)
    for _ in range(RULE.burst + 5):
        buckets.check("window_message", {})
    assert buckets.check("window_message", {}) is not None
    assert buckets.check("client_message", {"output": "hi"}) is None
