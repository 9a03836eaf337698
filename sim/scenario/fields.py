"""Field types shared by every table of a scenario: bounded numbers with one-line messages,
months, names, and the strict base model (unknown fields are errors)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from sim.units.calendar import MONTH_PATTERN

SectorKind = Literal["primary", "secondary", "community", "mental_health", "other"]


def _fmt(v: float) -> str:
    return f"{v:g}"


@dataclass(frozen=True)
class Between:
    """Annotation: a number in ``[lo, hi]``, with a one-line message and JSON Schema bounds."""

    lo: float
    hi: float

    def _check(self, v: Any) -> Any:
        if not self.lo <= v <= self.hi:
            raise PydanticCustomError(
                "range",
                "must be between {lo} and {hi}, got {got}",
                {"lo": _fmt(self.lo), "hi": _fmt(self.hi), "got": _fmt(v)},
            )
        return v

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = handler(schema)
        out.update(minimum=self.lo, maximum=self.hi)
        return out


def _thousandths(v: float) -> float:
    if abs(v * 1000 - round(v * 1000)) > 1e-6:
        raise PydanticCustomError(
            "thousandths", "must be a multiple of 0.001, got {got}", {"got": _fmt(v)}
        )
    return v


def _month(v: str) -> str:
    m = MONTH_PATTERN.match(v)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise PydanticCustomError(
            "month", "must be a month like '2027-04', got {got!r}", {"got": v}
        )
    return v


Month = Annotated[
    str, Field(json_schema_extra={"pattern": r"^\d{4}-\d{2}$"}), AfterValidator(_month)
]
Fraction = Annotated[float, Between(0.0, 1.0)]
Name = Annotated[str, Field(min_length=1, max_length=80)]


class Strict(BaseModel):
    """Base: unknown fields are errors and TOML strings are never coerced into numbers."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)
