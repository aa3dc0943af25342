"""Each service's /metrics shows the traffic it served: real processes, real requests.

HTTP requests appear under their route template (never the raw path), client events
under their event and outcome, and a worker's jobs in its wait and run histograms.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from switchboard.http_metrics import UNMATCHED
from switchboard.stack import free_port
from switchboard.streams import JOB_FUNCTION
from tests.support.client import ChainlitClient
from tests.support.fixtures import StackFactory

GREETING = "Hello! I am the Switchboard demo. Say something."
HTTP_SERVICES = ("gateway", "sessions", "auth", "persistence")


async def _scrape(http: httpx.AsyncClient, url: str) -> tuple[str, list[Sample]]:
    response = await http.get(f"{url}/metrics")
    assert response.status_code == 200, (url, response.status_code)
    samples = [
        s for family in text_string_to_metric_families(response.text) for s in family.samples
    ]
    return response.text, samples


def _value(samples: list[Sample], name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 when none)."""
    return sum(
        sample.value
        for sample in samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


async def test_http_requests_show_in_each_service_by_route_template(
    make_stack: StackFactory,
) -> None:
    stack = make_stack()
    raw = uuid.uuid4().hex
    base = {name: f"http://127.0.0.1:{stack.ports[name]}" for name in HTTP_SERVICES}
    # Requests to routes with a path parameter, the raw id in the path. The gateway
    # forwards its /auth/oauth/... to the auth service: one request, measured by both.
    calls = [
        ("gateway", "GET", f"/project/thread/{raw}", "/project/thread/{thread_id}"),
        ("gateway", "GET", f"/auth/oauth/{raw}", "/auth/oauth/{provider_id}"),
        ("persistence", "GET", f"/threads/{raw}", "/threads/{thread_id}"),
        ("sessions", "GET", "/readyz", "/readyz"),
    ]
    async with httpx.AsyncClient(timeout=10) as http:
        # The stack's start polled /readyz: what counts is what these requests added.
        before = {name: (await _scrape(http, stack.ops_url(name)))[1] for name in HTTP_SERVICES}
        answered = []
        for name, method, path, template in calls:
            response = await http.request(method, base[name] + path)
            answered.append((name, method, template, str(response.status_code)))
        for name in HTTP_SERVICES:  # the gateway's public port serves the UI for any GET
            missing = await http.get(f"{stack.ops_url(name)}/no-such-page-{raw}")
            assert missing.status_code == 404, name
        scraped = {name: await _scrape(http, stack.ops_url(name)) for name in HTTP_SERVICES}

    def added(name: str, sample: str, **labels: str) -> float:
        return _value(scraped[name][1], sample, **labels) - _value(before[name], sample, **labels)

    for name, method, template, status in answered:
        labels = {"service": name, "method": method, "route": template}
        counted = added(name, "switchboard_http_requests_total", **labels, status=status)
        assert counted == 1, (name, template, status)
        assert added(name, "switchboard_http_request_seconds_count", **labels) == 1
        assert added(name, "switchboard_http_request_seconds_sum", **labels) > 0
    # The gateway's call to the auth service, as the auth service measured it.
    oauth = {"service": "auth", "method": "GET", "route": "/auth/oauth/{provider_id}"}
    assert added("auth", "switchboard_http_request_seconds_count", **oauth) == 1
    for name in HTTP_SERVICES:
        text, samples = scraped[name]
        assert raw not in text, f"{name}: a raw path became a label"
        unmatched = {"service": name, "method": "GET", "route": UNMATCHED, "status": "404"}
        assert added(name, "switchboard_http_requests_total", **unmatched) == 1, name
        assert not any(
            s.labels.get("service") not in (None, name)
            for s in samples
            if s.name.startswith("switchboard_http_")
        ), f"{name} counts requests as another service"


async def test_client_events_are_timed_by_event_and_outcome(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack()
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: m["output"] == GREETING, timeout=15)
    mark = len(client.events)
    await client.send("hello metrics")
    await client.wait_for("task_end", since=mark, timeout=15)
    mark = len(client.events)
    await client.emit("no_such_event", {})
    await client.wait_for("error", lambda e: e.get("code") == "unknown_event", since=mark)

    async with httpx.AsyncClient(timeout=10) as http:
        _, samples = await _scrape(http, stack.gateway_ops_url)
    count = "switchboard_gateway_client_event_seconds_count"
    assert _value(samples, count, event="connect", outcome="ok") == 1
    assert _value(samples, count, event="connection_successful", outcome="ok") == 1
    assert _value(samples, count, event="client_message", outcome="ok") == 1
    assert _value(samples, count, event="unknown", outcome="refused") == 1
    assert _value(samples, count, outcome="failed") == 0


async def test_worker_jobs_show_in_its_wait_and_run_histograms(
    make_stack: StackFactory, client_factory: Any
) -> None:
    port = free_port()
    stack = make_stack(
        extra_env={
            "SWITCHBOARD_WORKER_METRICS_PORT": str(port),
            "SWITCHBOARD_WORKER_METRICS_HOST": "127.0.0.1",
        }
    )
    client: ChainlitClient = client_factory(stack.url)
    await client.start()
    await client.wait_for("new_message", lambda m: m["output"] == GREETING, timeout=15)
    mark = len(client.events)
    await client.send("hello worker metrics")
    await client.wait_for("task_end", since=mark, timeout=15)

    url = f"http://127.0.0.1:{port}"
    run = "switchboard_worker_job_run_seconds"
    async with httpx.AsyncClient(timeout=10) as http:
        # A job's run is observed after arq has recorded its result: shortly after its
        # last UI event. Every job started (wait) has then also ended (run).
        deadline = time.monotonic() + 15
        while True:
            _, samples = await _scrape(http, url)
            waited = _value(samples, "switchboard_worker_job_wait_seconds_count")
            ran = _value(samples, f"{run}_count")
            ok = _value(samples, f"{run}_count", function=JOB_FUNCTION, outcome="ok")
            if ok >= 2 and waited == ran:
                break
            assert time.monotonic() < deadline, (waited, ran, ok)
            await asyncio.sleep(0.1)
    # The chat start and the message: two session jobs, each waited for and run.
    assert _value(samples, f"{run}_sum", function=JOB_FUNCTION, outcome="ok") > 0
    assert _value(samples, f"{run}_count", outcome="failed") == 0
    assert _value(samples, "switchboard_worker_job_wait_seconds_bucket", le="+Inf") == waited
    fast = _value(samples, "switchboard_worker_job_wait_seconds_bucket", le="5.0")
    assert fast == waited, "a job waited more than 5 s for an idle worker"
