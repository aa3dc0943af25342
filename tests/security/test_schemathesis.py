"""Schemathesis over the gateway's OpenAPI, as a signed-in user: no operation answers 5xx.

Before ids were checked by type, control characters in ids gave server errors
on eleven routes. Each operation gets valid (positive) and invalid (negative)
requests, bounded so the run takes a minute or two.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error

from switchboard.stack import LocalStack
from tests.support.fixtures import TEST_APPS, StackFactory

SECRET = "schemathesis-secret-" + "s" * 40
CONFIG = """
[features]
allow_thread_sharing = true

[features.spontaneous_file_upload]
enabled = true
accept = { "text/plain" = [".txt"] }
max_files = 5
max_size_mb = 1
"""
# Per operation and generation mode.
MAX_EXAMPLES = 20
# Run last: it revokes the cookie every other operation is called with.
LAST = "POST /logout"


def _sign_in(stack: LocalStack) -> str:
    with httpx.Client(base_url=stack.url, timeout=20) as http:
        for _ in range(100):
            if http.get("/auth/config").json()["headerAuth"]:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("header login never became available")
        login = http.post("/auth/header", headers={"X-Test-User": "fuzzer"})
        assert login.status_code == 200, login.text
        cookie: str = http.cookies["access_token"]
        assert http.get("/user", cookies={"access_token": cookie}).status_code == 200
        return cookie


def _describe(exc: BaseException) -> str:
    """The failure and the request that reproduces it, without the cookie."""
    return str(getattr(exc, "message", None) or exc)[:2000]


def _schema_url(stack: LocalStack) -> str:
    """The API description lives on the gateway's operations port when it has one."""
    base = getattr(stack, "gateway_ops_url", None) or stack.url
    return f"{base}/openapi.json"


@pytest.mark.timeout(600)
def test_no_operation_answers_with_a_server_error(
    make_stack: StackFactory, tmp_path: Path, postgres_url: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    stack = make_stack(
        TEST_APPS / "files_app.py",
        config_file=config,
        database_url=postgres_url,
        extra_env={"CHAINLIT_AUTH_SECRET": SECRET},
    )
    session = requests.Session()
    session.headers["Cookie"] = f"access_token={_sign_in(stack)}"
    schema = schemathesis.openapi.from_url(_schema_url(stack), timeout=20)
    operations = sorted(
        (r.ok() for r in schema.get_all_operations()), key=lambda o: o.label == LAST
    )
    assert len(operations) >= 25, [o.label for o in operations]

    cases: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: dict[str, str] = {}
    for operation in operations:
        for mode in GenerationMode:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def call(case: Case) -> None:
                cases[case.operation.label] += 1
                response = case.call(base_url=stack.url, session=session, timeout=20)
                statuses[response.status_code] += 1
                case.validate_response(response, checks=[not_a_server_error])

            try:
                call()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing in it can be made invalid
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis' failures are groups
                failures[f"{operation.label} ({mode.value})"] = _describe(exc)

    print(
        f"schemathesis: {len(operations)} operations, {sum(cases.values())} cases, "
        f"{sum(n for s, n in statuses.items() if s >= 500)} server errors; statuses {statuses}"
    )
    assert failures == {}
    assert set(cases) == {o.label for o in operations}
    assert not [s for s in statuses if s >= 500]
    # Refusals are log lines, not tracebacks.
    assert stack.log_dir is not None
    for log in sorted(stack.log_dir.glob("*.log")):
        tracebacks = [line[:300] for line in log.read_text().splitlines() if '"exc": ' in line]
        assert tracebacks == [], log.name
