"""TypeScript declarations for the web UI, generated from the wire schema.

``make schema`` runs ``python -m switchboard.schema.typescript -o web/src/schema.gen.ts``;
``shared/tests/test_typescript_schema.py`` fails when that file is stale.

The generator walks pydantic's JSON schema (validation mode: what the schema
accepts, so a field with a default may be absent on the wire) and writes one
declaration per model reachable from ``ROOTS``, in name order. Named aliases
(``StepType``) replace the same union wherever it appears inline. A
discriminated union of envelopes (``UiEvent``) becomes a map from each event's
``type`` to its ``payload``: the browser sees ``socket.on(type, payload)``,
never the envelope.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from switchboard.schema.client import ClientMessage, ClientType, ConnectAuth
from switchboard.schema.events import UiEvent
from switchboard.schema.history import FeedbackIn, ThreadListRequest, ThreadPage
from switchboard.schema.session import UserRef
from switchboard.schema.steps import (
    ActionDict,
    AskSpec,
    ElementDict,
    FeedbackDict,
    StepDict,
    StepType,
    ThreadDict,
)

__all__ = ("EVENT_MAPS", "ROOTS", "generate", "main")

Schema = dict[str, Any]

COMMAND = "make schema"
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_REF_PREFIX = "#/$defs/"
_WIDTH = 100

# Named types the UI imports, and (transitively) every model they reference.
ROOTS: tuple[tuple[str, Any], ...] = (
    # Aliases first: each names its union wherever that union recurs.
    ("StepType", StepType),
    ("ClientType", ClientType),
    # Steps, elements, actions, asks and threads as the server sends them.
    ("StepDict", StepDict),
    ("FeedbackDict", FeedbackDict),
    ("ElementDict", ElementDict),
    ("ActionDict", ActionDict),
    ("AskSpec", AskSpec),
    ("ThreadDict", ThreadDict),
    ("UserRef", UserRef),
    # What the browser sends: the socket's connect auth and client_message.
    ("ConnectAuth", ConnectAuth),
    ("ClientMessage", ClientMessage),
    # History REST: the thread list's request and answer, a rating.
    ("ThreadListRequest", ThreadListRequest),
    ("ThreadPage", ThreadPage),
    ("FeedbackIn", FeedbackIn),
)

# Discriminated unions of envelopes, as maps from event name to payload.
EVENT_MAPS: tuple[tuple[str, str, Any], ...] = (
    (
        "UiEventPayloads",
        "Each server event's payload by name: `socket.on(name, (payload) => ...)`.",
        UiEvent,
    ),
)


class _Generator:
    def __init__(self) -> None:
        self.defs: dict[str, Schema] = {}
        self.aliases: dict[str, str] = {}  # rendered union -> alias name

    # -- collecting -----------------------------------------------------------

    def schema_of(self, tp: Any) -> Schema:
        """``tp``'s JSON schema with its ``$defs`` merged into ``self.defs``."""
        schema: Schema = TypeAdapter(tp).json_schema(ref_template=_REF_PREFIX + "{model}")
        for def_name, definition in schema.pop("$defs", {}).items():
            self.add_def(def_name, definition)
        if schema.get("type") == "object" and "properties" in schema:
            # A model: declared under its own name, like the models it references.
            self.add_def(schema["title"], schema)
            return {"$ref": _REF_PREFIX + schema["title"]}
        return schema

    def add_def(self, name: str, definition: Schema) -> None:
        known = self.defs.setdefault(name, definition)
        if known != definition:
            raise ValueError(f"two different models are named {name!r}")

    def reachable(self, schemas: Iterable[Any]) -> list[str]:
        seen: set[str] = set()
        stack = list(schemas)
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
                    name = ref.removeprefix(_REF_PREFIX)
                    if name not in seen:
                        seen.add(name)
                        stack.append(self.defs[name])
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        return sorted(seen)

    # -- rendering ------------------------------------------------------------

    def render(self, node: Schema) -> str:
        """A schema node as a TypeScript type expression."""
        rendered = self._render(node)
        return self.aliases.get(rendered, rendered)

    def _render(self, node: Schema) -> str:
        if "$ref" in node:
            return str(node["$ref"]).removeprefix(_REF_PREFIX)
        if "const" in node:
            return _literal(node["const"])
        if "enum" in node:
            return _union(_literal(value) for value in node["enum"])
        for key in ("anyOf", "oneOf"):
            if key in node:
                return _union(self.render(member) for member in node[key])
        if "allOf" in node and len(node["allOf"]) == 1:
            return self.render(node["allOf"][0])
        kind = node.get("type")
        if isinstance(kind, list):
            return _union(self.render({**node, "type": one}) for one in kind)
        if kind == "string":
            return "string"
        if kind in ("integer", "number"):
            return "number"
        if kind == "boolean":
            return "boolean"
        if kind == "null":
            return "null"
        if kind == "array":
            if "prefixItems" in node:
                return "[" + ", ".join(self.render(item) for item in node["prefixItems"]) + "]"
            items = self.render(node["items"]) if "items" in node else "unknown"
            return f"({items})[]" if " | " in items else f"{items}[]"
        if kind == "object":
            if node.get("properties"):
                body = " ".join(self._members(node, indent=""))
                return "{ " + body + " }"
            extra = node.get("additionalProperties", True)
            if extra is False:
                return "Record<string, never>"
            value = "unknown" if extra is True else self.render(extra)
            return f"Record<string, {value}>"
        if not node or set(node) <= {"title", "description", "default"}:
            return "unknown"
        raise ValueError(f"no TypeScript for the schema {json.dumps(node, sort_keys=True)}")

    def _members(self, node: Schema, indent: str) -> list[str]:
        required = set(node.get("required", ()))
        lines: list[str] = []
        for key, prop in node["properties"].items():
            if indent:
                lines.extend(_doc(prop.get("description"), indent))
            optional = "" if key in required else "?"
            lines.append(f"{indent}{_key(key)}{optional}: {self.render(prop)};")
        return lines

    def declaration(self, name: str, node: Schema) -> list[str]:
        """A model as an interface (or a fieldless one as an empty record)."""
        if node.get("type") == "object" and node.get("properties"):
            lines = _doc(node.get("description"), "")
            lines.append(f"export interface {name} {{")
            lines.extend(self._members(node, indent="  "))
            lines.append("}")
            return lines
        if node.get("type") == "object" and "additionalProperties" not in node:
            return [
                *_doc(node.get("description"), ""),
                f"export type {name} = Record<string, never>;",
            ]
        return self.alias(name, node)

    def alias(self, name: str, node: Schema) -> list[str]:
        """``export type name = ...``, one member a line when it is long."""
        members = node.get("anyOf") or node.get("oneOf")
        if members is not None:
            parts = list(dict.fromkeys(self.render(member) for member in members))
        elif "enum" in node:
            parts = [_literal(value) for value in node["enum"]]
        else:
            parts = [self._render(node)]
        lines = _doc(node.get("description"), "")
        line = f"export type {name} = {' | '.join(parts)};"
        if len(line) <= _WIDTH or len(parts) == 1:
            return [*lines, line]
        return [
            *lines,
            f"export type {name} =",
            *(f"  | {part}" for part in parts[:-1]),
            f"  | {parts[-1]};",
        ]

    def payloads(self, union: Schema) -> dict[str, Schema]:
        """Each envelope's ``payload`` schema by its ``type`` constant."""
        found: dict[str, Schema] = {}
        for member in union.get("oneOf") or union.get("anyOf") or []:
            envelope = self.defs[str(member["$ref"]).removeprefix(_REF_PREFIX)]
            props = envelope["properties"]
            found[props["type"]["const"]] = props.get("payload", {})
        return found

    def event_map(self, name: str, doc: str, union: Schema) -> list[str]:
        payloads = self.payloads(union)
        lines = [*_doc(doc, ""), f"export interface {name} {{"]
        lines.extend(
            f"  {_key(event)}: {self.render(payloads[event])};" for event in sorted(payloads)
        )
        lines.append("}")
        return lines


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return json.dumps(value)


def _union(parts: Iterable[str]) -> str:
    unique = list(dict.fromkeys(parts))
    return "unknown" if "unknown" in unique else " | ".join(unique)


def _key(name: str) -> str:
    return name if _IDENTIFIER.match(name) else _literal(name)


def _doc(text: str | None, indent: str) -> list[str]:
    if not text:
        return []
    body = text.replace("``", "`").replace("*/", "*\\/").strip().splitlines()
    if len(body) == 1:
        return [f"{indent}/** {body[0]} */"]
    return [f"{indent}/**", *(f"{indent} * {line}".rstrip() for line in body), f"{indent} */"]


def generate(
    roots: Sequence[tuple[str, Any]] = ROOTS,
    event_maps: Sequence[tuple[str, str, Any]] = EVENT_MAPS,
) -> str:
    """The whole ``.ts`` file: ``roots`` and what they reference, then ``event_maps``."""
    gen = _Generator()
    aliases: dict[str, Schema] = {}
    used: list[Schema] = []
    for name, tp in roots:
        schema = gen.schema_of(tp)
        used.append(schema)
        if schema.get("$ref") != _REF_PREFIX + name:
            aliases[name] = schema
            rendered = gen.render(schema)
            if " | " in rendered:
                gen.aliases.setdefault(rendered, name)
    maps = [(name, doc, gen.schema_of(tp)) for name, doc, tp in event_maps]
    used.extend(payload for _, _, union in maps for payload in gen.payloads(union).values())

    declarations = {name: gen.alias(name, schema) for name, schema in aliases.items()}
    for name in gen.reachable(used):
        if name in declarations:
            raise ValueError(f"{name!r} names both an alias and a model")
        declarations[name] = gen.declaration(name, gen.defs[name])
    declarations.update((name, gen.event_map(name, doc, union)) for name, doc, union in maps)

    out = [
        "// Generated from the pydantic wire schema (shared/src/switchboard/schema/): do not edit.",
        f"// Regenerate with `{COMMAND}` (python -m switchboard.schema.typescript).",
        "// Types say what the schema accepts: a field with a default may be absent.",
    ]
    for lines in declarations.values():
        out.extend(["", *lines])
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m switchboard.schema.typescript", description=__doc__.splitlines()[0]
    )
    parser.add_argument("-o", "--output", type=Path, help="write here (default: stdout)")
    args = parser.parse_args(argv)
    text = generate()
    if args.output is None:
        sys.stdout.write(text)
    elif not args.output.exists() or args.output.read_text(encoding="utf-8") != text:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(f"{args.output} is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
