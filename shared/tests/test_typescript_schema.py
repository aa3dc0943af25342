"""The web UI's TypeScript types: generated from the pydantic schema, and current."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, create_model

from switchboard.schema.envelope import Envelope
from switchboard.schema.typescript import generate, main

GENERATED = Path(__file__).resolve().parents[2] / "web" / "src" / "schema.gen.ts"

Colour = Literal["red", "green"]


class Leaf(BaseModel):
    """A nested model.

    Its docstring becomes a JSDoc comment.
    """

    size: int


class Sample(BaseModel):
    name: str
    note: str | None = None
    count: int = 0
    colour: Colour = "red"
    shade: Colour | None = None
    flag: Literal[0, 1]
    leaf: Leaf
    leaves: list[Leaf] = Field(default_factory=list)
    tags: list[str | int] | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    extra: dict[str, Any] | None = None
    anything: Any = None
    pair: tuple[str, int] | None = None
    described: str = Field(default="", description="Shown to the reader.")


def _body(text: str) -> str:
    """The declarations, without the three header lines."""
    lines = text.splitlines()
    assert lines[0].startswith("// Generated from the pydantic wire schema")
    assert "`make schema`" in lines[1]
    return "\n".join(lines[4:]) + "\n"


def test_the_committed_file_is_current() -> None:
    expected = generate()
    current = GENERATED.read_text(encoding="utf-8") if GENERATED.exists() else ""
    if current != expected:
        pytest.fail(
            f"{GENERATED.relative_to(GENERATED.parents[2])} does not match the pydantic "
            "schema. Run `make schema` "
            "(uv run --frozen python -m switchboard.schema.typescript -o web/src/schema.gen.ts) "
            "and commit the result.",
            pytrace=False,
        )


def test_a_model_becomes_an_interface_with_its_nested_models() -> None:
    assert _body(generate([("Colour", Colour), ("Sample", Sample)], [])) == (
        """export type Colour = 'red' | 'green';

/**
 * A nested model.
 *
 * Its docstring becomes a JSDoc comment.
 */
export interface Leaf {
  size: number;
}

export interface Sample {
  name: string;
  note?: string | null;
  count?: number;
  colour?: Colour;
  shade?: Colour | null;
  flag: 0 | 1;
  leaf: Leaf;
  leaves?: Leaf[];
  tags?: (string | number)[] | null;
  labels?: Record<string, string>;
  extra?: Record<string, unknown> | null;
  anything?: unknown;
  pair?: [string, number] | null;
  /** Shown to the reader. */
  described?: string;
}
"""
    )


def test_without_an_alias_a_union_stays_inline() -> None:
    body = _body(generate([("Sample", Sample)], []))
    assert "  colour?: 'red' | 'green';\n" in body
    assert "  shade?: 'red' | 'green' | null;\n" in body
    assert "Colour" not in body


class Ping(Envelope):
    type: Literal["ping"] = "ping"
    payload: Leaf


class Bare(Envelope):
    type: Literal["bare"] = "bare"


class Nothing(BaseModel):
    pass


class Quiet(Envelope):
    type: Literal["quiet-now"] = "quiet-now"
    payload: Nothing = Field(default_factory=Nothing)


def test_an_event_union_becomes_a_map_of_payloads() -> None:
    events = Ping | Bare | Quiet
    body = _body(generate([], [("Payloads", "By name.", events)]))
    assert body == (
        """/**
 * A nested model.
 *
 * Its docstring becomes a JSDoc comment.
 */
export interface Leaf {
  size: number;
}

export type Nothing = Record<string, never>;

/** By name. */
export interface Payloads {
  bare: unknown;
  ping: Leaf;
  'quiet-now': Nothing;
}
"""
    )
    # The envelopes themselves never reach the browser.
    assert "session_id" not in body


def test_a_long_alias_takes_a_line_per_member() -> None:
    Long = Literal["alpha_value", "beta_value", "gamma_value", "delta_value", "epsilon_value", "z"]
    body = _body(generate([("Long", Long), ("Other", Literal["x"])], []))
    assert body == (
        "export type Long =\n"
        "  | 'alpha_value'\n"
        "  | 'beta_value'\n"
        "  | 'gamma_value'\n"
        "  | 'delta_value'\n"
        "  | 'epsilon_value'\n"
        "  | 'z';\n"
        "\n"
        "export type Other = 'x';\n"
    )


def test_two_models_of_one_name_are_refused() -> None:
    first = create_model("Twin", a=(int, ...))
    second = create_model("Twin", b=(str, ...))
    with pytest.raises(ValueError, match="'Twin'"):
        generate([("First", first), ("Second", second)], [])


def test_output_is_deterministic_and_the_cli_writes_it(tmp_path: Path) -> None:
    assert generate() == generate()
    target = tmp_path / "schema.gen.ts"
    assert main(["-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == generate()
    assert main(["-o", str(target)]) == 0


def test_the_ui_gets_the_wire_shapes_it_reads() -> None:
    text = generate()
    for name in ("StepDict", "ElementDict", "ActionDict", "AskSpec", "ThreadDict", "ThreadPage"):
        assert f"export interface {name} {{" in text
    assert "export interface UiEventPayloads {" in text
    assert "  new_message: StepDict;\n" in text
    assert "  type?: StepType | null;\n" in text
