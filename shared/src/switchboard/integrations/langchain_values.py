"""LangChain's values in Chainlit's shapes: run names, message dicts, step content, LLM settings."""

from __future__ import annotations

from typing import Any

from switchboard.integrations import missing_extra

try:
    from langchain_core.load import dumps
    from langchain_core.messages import BaseMessage
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise missing_extra("langchain_core", "langchain") from exc

__all__ = ("jsonable", "llm_settings", "message_dict", "role", "run_name", "step_content")

_MODEL_KEYS = ("azure_deployment", "deployment_name", "model", "model_name")


def run_name(serialized: dict[str, Any] | None, kwargs: dict[str, Any], default: str) -> str:
    name = kwargs.get("name")
    if name:
        return str(name)
    if serialized:
        if serialized.get("name"):
            return str(serialized["name"])
        ids = serialized.get("id")
        if isinstance(ids, list) and ids:
            return str(ids[-1])
    return default


def role(kind: str) -> str:
    """Chainlit's role of a LangChain message type (by substring, as it matches)."""
    kind = kind.lower()
    for part, role in (("human", "user"), ("system", "system"), ("function", "function")):
        if part in kind:
            return role
    return "tool" if "tool" in kind else "assistant"


def message_dict(message: BaseMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": role(message.type), "content": ""}
    if message.additional_kwargs.get("uuid"):
        out["uuid"] = message.additional_kwargs["uuid"]
        out["templated"] = True
    if getattr(message, "name", None):
        out["name"] = message.name
    function_call = message.additional_kwargs.get("function_call")
    if function_call:
        out["function_call"] = function_call
        return out
    if not isinstance(message.content, list):
        out["content"] = message.content
        return out
    tool_calls: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for item in message.content:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "tool_use":
            function = {"name": item.get("name"), "arguments": item.get("input")}
            tool_calls.append({"id": item.get("id"), "type": "function", "function": function})
        elif item.get("type") == "text":
            parts.append({"type": "text", "text": item.get("text")})
    if tool_calls:
        out["tool_calls"] = tool_calls
    if parts:
        out["content"] = parts
    return out


def step_content(value: Any) -> tuple[Any, str | None]:
    """What a non-LLM step shows of a run's inputs or outputs, and its language."""
    if value is None:
        return {}, None
    if isinstance(value, str):
        return {"content": value}, "text"
    return dumps(value), "json"


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    model_dump = getattr(value, "model_dump", None)
    return model_dump() if callable(model_dump) else str(value)


def llm_settings(
    serialized: dict[str, Any] | None, params: dict[str, Any] | None
) -> tuple[str, str | None, list[dict[str, Any]] | None, dict[str, Any]]:
    """Provider, model, tools and settings of an LLM call, from its invocation params."""
    params = dict(params or {})
    provider = str(params.pop("_type", "") or "")
    model_kwargs = params.pop("model_kwargs", None) or {}
    merged = {**params, **model_kwargs, **((serialized or {}).get("kwargs") or {})}
    settings = {k: v for k, v in merged.items() if not str(k).endswith("_api_key")}
    model = next((settings[k] for k in _MODEL_KEYS if k in settings), None)
    if isinstance(model, str):
        model = model.replace("models/", "")
    tools: list[dict[str, Any]] | None = None
    if "functions" in settings:
        tools = [{"type": "function", "function": f} for f in settings["functions"]]
    if "tools" in settings:
        tools = [
            t if t.get("type") == "function" else {"type": "function", "function": t}
            for t in settings["tools"]
        ]
    return provider, (str(model) if model is not None else None), tools, jsonable(settings)
