"""The scenario-format reference (``docs/scenarios.md``), rendered from the models themselves.

Rendering from the pydantic models keeps the documentation and the validator from drifting:
a test checks that the committed reference equals what this module renders.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.scenario.fields import Between
from sim.scenario.finance import Deficit, Planning, Recovery, SpillOver
from sim.scenario.format import (
    Allocation,
    Board,
    Member,
    Place,
    Pressure,
    Priorities,
    RingFence,
    Scenario,
    Sector,
)
from sim.scenario.toml_text import inline

#: Tables of the format, in reading order: (TOML path, model).
SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("(top level)", Scenario),
    ("[allocation]", Allocation),
    ("[[sectors]]", Sector),
    ("[[places]]", Place),
    ("[spill_over]", SpillOver),
    ("[pressure]", Pressure),
    ("[board]", Board),
    ("[[board.members]]", Member),
    ("[[ring_fences]]", RingFence),
    ("[planning]", Planning),
    ("[recovery]", Recovery),
    ("[deficit]", Deficit),
    ("[plan]", Priorities),
]
BEGIN = "<!-- BEGIN GENERATED REFERENCE (python -m sim schema --markdown) -->"
END = "<!-- END GENERATED REFERENCE -->"


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return f"table ({annotation.__name__})"
        return {float: "number", int: "integer", str: "string", bool: "boolean"}.get(
            annotation, str(annotation)
        )
    name = getattr(origin, "__name__", str(origin))
    if name == "Annotated":
        return _type_name(args[0])
    if name == "Literal":
        return " \\| ".join(f"`{a!r}`".replace("'", '"') for a in args)
    if name in ("Union", "UnionType"):
        parts = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(parts)
    if name == "list":
        return f"array of {_type_name(args[0])}"
    if name == "dict":
        return f"table of {_type_name(args[1])}"
    return name


def _bounds(field: FieldInfo) -> str:
    parts = []
    for meta in field.metadata:
        if isinstance(meta, Between):
            parts.append(f"{meta.lo:g} to {meta.hi:g}")
        for attr, text in (("gt", "> {}"), ("ge", ">= {}"), ("lt", "< {}"), ("le", "<= {}")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(text.format(f"{value:,}" if isinstance(value, int) else value))
        for attr, text in (("min_length", "at least {}"), ("max_length", "at most {}")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(text.format(value))
    return ", ".join(parts)


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return ""
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return "see its table"
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return "one place, 'ICB', population 1,000,000"
    return "not set" if value is None else f"`{inline(value)}`"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (the model's schema plus the file-only ``extends``)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["properties"]["extends"] = {
        "type": "string",
        "title": "Extends",
        "description": "Parent scenario file, relative to this file; this file gives only what "
        "differs (tables merge key by key, arrays are replaced whole, name is not inherited).",
    }
    return schema


def render() -> str:
    """The generated part of ``docs/scenarios.md``."""
    lines = [BEGIN, ""]
    for path, model in SECTIONS:
        lines += [f"### `{path}`", "", (model.__doc__ or "").strip(), ""]
        lines += ["| field | type | range | default | meaning |", "|---|---|---|---|---|"]
        for name, field in model.model_fields.items():
            key = field.alias or name
            desc = (field.description or "").replace("|", "\\|")
            lines.append(
                f"| `{key}` | {_type_name(field.annotation)} | {_bounds(field)} | "
                f"{_default(field)} | {desc} |"
            )
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"
