"""Every metric the dashboard, the alert rules and the docs name is one the project exports.

What is exported is read from the code, not from a list: the Prometheus registry after
importing every service's app (each service's metrics, the shared HTTP ones), and the
exporter's families collected against a real Redis. What is referenced is read from
deploy/grafana/switchboard.json, every ``PrometheusRule`` under deploy/k8s, the KEDA
queries, and docs/operations.md (its metrics table, its alerts table and any metric
named in backticks anywhere in the docs).
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

from switchboard.names import RedisNames
from switchboard.ops import RedisCollector
from tests.deploy.support import DEPLOY, K8S
from tests.support.fixtures import REPO

DOCS = REPO / "docs"
OPERATIONS = DOCS / "operations.md"
DASHBOARD = DEPLOY / "grafana" / "switchboard.json"
SERVICES = ("gateway", "sessions", "auth", "persistence", "worker")
HTTP_SERVICES = frozenset({"gateway", "sessions", "auth", "persistence"})
# Shared modules that define metrics, and the services that serve them.
SHARED_METRICS = {"switchboard.http_metrics": HTTP_SERVICES}
# Series other exporters publish, each named on purpose.
OTHER_EXPORTERS = {
    "up": "Prometheus itself, per scrape target",
    "kube_deployment_status_replicas_available": "kube-state-metrics",
    "redis_memory_used_bytes": "redis_exporter",
    "redis_memory_max_bytes": "redis_exporter",
}
# Backticked words in the docs that look like metric names and are not.
NOT_METRICS = {
    "switchboard_auth": "the auth service's database",
    **{f"switchboard_{service}": "a service's Python package" for service in SERVICES},
}
# PromQL words that are not series: aggregation modifiers, set operators, keywords.
_PROMQL_WORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or"}
    | {"unless", "offset", "inf", "nan", "atan2"}
)
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


@dataclass(frozen=True)
class Family:
    name: str
    type: str
    sources: frozenset[str]

    def series(self) -> set[str]:
        """The names PromQL can select for this family (prometheus_client's exposition)."""
        if self.type == "counter":
            return {f"{self.name}_total", f"{self.name}_created"}
        if self.type == "histogram":
            return {f"{self.name}_{suffix}" for suffix in ("bucket", "sum", "count", "created")}
        if self.type == "summary":
            return {self.name, f"{self.name}_sum", f"{self.name}_count", f"{self.name}_created"}
        if self.type == "info":
            return {f"{self.name}_info"}
        return {self.name}

    def documented_name(self) -> str:
        """How the metrics table names it: counters with ``_total``, others by family."""
        return f"{self.name}_total" if self.type == "counter" else self.name


def promql_series(expr: str) -> set[str]:
    """The series names an expression selects (label names, functions, keywords left out)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers, Grafana variables in them
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range and subquery durations
    expr = re.sub(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr
    )  # label lists
    names = set()
    for match in _NAME.finditer(expr):
        if expr[match.end() :].lstrip().startswith("("):
            continue  # a function or an aggregation
        if match.group(0).lower() in _PROMQL_WORDS:
            continue
        if match.start() > 0 and (
            expr[match.start() - 1].isdigit() or expr[match.start() - 1] == "."
        ):
            continue  # the exponent or unit of a number (1e3, 5m)
        names.add(match.group(0))
    return names


def _source_of(module: str) -> frozenset[str]:
    package = module.split(".")[0]
    if package.startswith("switchboard_"):
        return frozenset({package.removeprefix("switchboard_")})
    shared = SHARED_METRICS.get(module)
    assert shared is not None, f"{module} defines metrics: add it to SHARED_METRICS"
    return shared


def _service_families() -> dict[str, Family]:
    """Families defined by the services' code, each with the services that serve it."""
    for service in SERVICES:
        importlib.import_module(f"switchboard_{service}.app")
    families: dict[str, Family] = {}
    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith("switchboard"):
            continue
        for value in list(vars(module).values()):
            if not isinstance(value, MetricWrapperBase):
                continue
            sources = _source_of(module_name)
            for family in value.collect():
                known = families.get(family.name)
                if known is not None:
                    sources |= known.sources
                families[family.name] = Family(family.name, family.type, sources)
    # What the registry holds is what a process serves: nothing defined elsewhere.
    registered = {
        family.name for family in REGISTRY.collect() if family.name.startswith("switchboard_")
    }
    assert registered == set(families), registered ^ set(families)
    return families


@pytest.fixture
def exported(redis_url: str, redis_prefix: str) -> dict[str, Family]:
    """Every family the project exports: services' and the exporter's (read from Redis)."""
    families = _service_families()
    client = redis.Redis.from_url(redis_url)
    try:
        for family in RedisCollector(client, RedisNames(redis_prefix)).collect():
            families[family.name] = Family(family.name, family.type, frozenset({"exporter"}))
    finally:
        client.close()
    assert {"switchboard_queue_depth", "switchboard_http_requests"} <= set(families)
    return families


def _selectable(families: dict[str, Family]) -> set[str]:
    return {name for family in families.values() for name in family.series()}


def _dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    for variable in dashboard["templating"]["list"]:
        definition = variable.get("definition", "")
        values = re.fullmatch(r"label_values\((.+),\s*\w+\)", definition)
        if values:
            queries.append(values.group(1))
        elif definition:
            queries.append(definition)
    return queries


def _k8s_documents() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(K8S.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict):
                yield path, document


def _rule_expressions() -> tuple[dict[str, list[str]], set[str]]:
    """Expressions of every PrometheusRule under deploy/k8s, and the series they record."""
    expressions: dict[str, list[str]] = {}
    recorded: set[str] = set()
    for path, document in _k8s_documents():
        if document.get("kind") != "PrometheusRule":
            continue
        found = expressions.setdefault(str(path.relative_to(REPO)), [])
        for group in document.get("spec", {}).get("groups", []):
            for rule in group.get("rules", []):
                found.append(str(rule["expr"]))
                if "record" in rule:
                    recorded.add(rule["record"])
        assert found, f"{path}: a PrometheusRule without rules"
    return expressions, recorded


def _keda_queries() -> list[str]:
    return [
        trigger["metadata"]["query"]
        for _, document in _k8s_documents()
        if document.get("kind") == "ScaledObject"
        for trigger in document.get("spec", {}).get("triggers", [])
        if trigger.get("type") == "prometheus"
    ]


def _section(text: str, heading: str) -> str:
    """The lines under a markdown heading, up to the next heading of any level."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip("#").strip() == heading)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return "\n".join(lines[start + 1 : end])


def _table_rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not re.match(r"\|\s*-", line):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # the header


def _documented_metrics() -> dict[str, tuple[str, str]]:
    """Rows of the metrics table: name -> (type, exported by)."""
    rows = {}
    for cells in _table_rows(_section(OPERATIONS.read_text(), "4. Monitoring")):
        name = re.fullmatch(r"`(switchboard_[a-z0-9_]+)`", cells[0])
        if name:
            rows[name.group(1)] = (cells[1], cells[2])
    return rows


def _alert_expressions() -> dict[str, str]:
    section = _section(OPERATIONS.read_text(), "Alerts (Prometheus rules to start from)")
    alerts = {}
    for cells in _table_rows(section):
        expr = re.match(r"`([^`]+)`", cells[1])
        assert expr, f"alert {cells[0]}: no expression in backticks"
        alerts[cells[0]] = expr.group(1)
    return alerts


def _unknown(names: set[str], known: set[str]) -> list[str]:
    return sorted(name for name in names if name not in known and name not in OTHER_EXPORTERS)


def test_promql_reading_finds_series_and_only_series() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (service, le) (rate(a_seconds_bucket{service=~"$x",'
        'status=~"5.."}[$__rate_interval]))) / on (service) group_left max(b_total offset 5m)'
        " > 1e3 and up{job='x'} == 0"
    )
    assert promql_series(expr) == {"a_seconds_bucket", "b_total", "up"}


def test_dashboard_queries_exported_metrics(exported: dict[str, Family]) -> None:
    queried = set().union(*(promql_series(query) for query in _dashboard_queries()))
    assert "switchboard_queue_depth" in queried and "switchboard_http_requests_total" in queried
    assert not _unknown(queried, _selectable(exported)), _unknown(queried, _selectable(exported))
    dashboard = json.loads(DASHBOARD.read_text())
    titles = " ".join(panel["title"].lower() for panel in dashboard["panels"])
    for topic in (
        "queue depth",
        "oldest",
        "wait",
        "run time",
        "sockets",
        "ui events",
        "client event",
        "lag",
        "dead letters",
        "asks",
        "http requests",
        "http errors",
        "http latency",
    ):
        assert topic in titles, topic


def test_alert_rules_use_exported_metrics(exported: dict[str, Family]) -> None:
    rules, recorded = _rule_expressions()
    known = _selectable(exported) | recorded
    alerts = _alert_expressions()
    assert len(alerts) >= 5, alerts
    for name, expr in alerts.items():
        series = promql_series(expr)
        assert series, f"alert {name}: no series in {expr!r}"
        assert not _unknown(series, known), (name, _unknown(series, known))
    for path, expressions in rules.items():
        for expr in expressions:
            assert not _unknown(promql_series(expr), known), (path, expr)
    for query in _keda_queries():
        assert not _unknown(promql_series(query), known), query


def test_metrics_table_lists_every_exported_metric_as_exported(
    exported: dict[str, Family],
) -> None:
    documented = _documented_metrics()
    by_documented_name = {family.documented_name(): family for family in exported.values()}
    undocumented = sorted(set(by_documented_name) - set(documented))
    assert not undocumented, f"add rows to docs/operations.md for {undocumented}"
    for name, (kind, exported_by) in documented.items():
        family = by_documented_name.get(name)
        assert family is not None, f"{name} is documented but nothing exports it"
        assert kind == family.type, (name, kind, family.type)
        sources = set(re.findall(r"\b(exporter|" + "|".join(SERVICES) + r")\b", exported_by))
        assert sources == family.sources, (name, exported_by, sorted(family.sources))


def test_metrics_named_in_the_docs_exist(exported: dict[str, Family]) -> None:
    known = _selectable(exported) | set(exported)
    named = set()
    for page in [*sorted(DOCS.glob("*.md")), REPO / "README.md"]:
        for span in re.findall(r"`([^`\n]+)`", page.read_text()):
            if re.fullmatch(r"switchboard_[a-z0-9_]+", span) and span not in NOT_METRICS:
                named.add(span)
    assert len(named) >= len(_documented_metrics())
    assert not _unknown(named, known), _unknown(named, known)
