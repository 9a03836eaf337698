"""The ranges of the app's controls, read from the scenario format's own field constraints.

A slider or number input offers exactly the values the scenario format accepts, so the two
cannot drift apart: :func:`bounds` reads a field's ``ge``/``gt``/``le``/``lt`` constraints
(``annotated_types`` metadata of ``Field(...)``) or its :class:`sim.scenario.fields.Between`
annotation. The constraint may sit on the field itself (``Scenario.horizon_years``), inside an
optional or union type (``RingFence.growth``: a number, ``"overall"`` or None) or on the
values of a table (``Board.seats``: seats per constituency).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.scenario.fields import Between


def bounds(model: type[BaseModel], name: str) -> tuple[float, float]:
    """The lowest and highest value the scenario format allows for a field.

    For a whole-number field an exclusive bound (``gt``/``lt``) is turned into the inclusive
    one next to it (``lt=2**63`` gives ``2**63 - 1``); for a real-number field it is returned
    as it is (a control's end may then be a value the validator refuses).

    Args:
        model: a model of :mod:`sim.scenario.format`, e.g. ``Board``.
        name: one of its fields, e.g. ``"quorum"``.

    Raises:
        LookupError: the field has no lower and upper bound.
    """
    field = model.model_fields[name]
    found = _constraints(field.annotation, field.metadata)
    if found is None:
        raise LookupError(f"{model.__name__}.{name} has no lower and upper bound")
    return found


def int_bounds(model: type[BaseModel], name: str) -> tuple[int, int]:
    """:func:`bounds` of a whole-number field, as integers.

    Raises:
        LookupError: the field has no lower and upper bound, or they are not whole numbers.
    """
    low, high = bounds(model, name)
    if not (float(low).is_integer() and float(high).is_integer()):
        raise LookupError(f"{model.__name__}.{name} is not bounded by whole numbers")
    return int(low), int(high)


def float_bounds(model: type[BaseModel], name: str) -> tuple[float, float]:
    """:func:`bounds` as floats (a slider of real numbers needs float ends).

    Raises:
        LookupError: the field has no lower and upper bound.
    """
    low, high = bounds(model, name)
    return float(low), float(high)


def _number(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise TypeError(f"a bound must be a number, got {x!r}")
    return x


def _constraints(annotation: Any, metadata: Any) -> tuple[float, float] | None:
    """Bounds from a field's metadata, else from the first bounded part of its type."""
    whole = annotation is int
    low: float | None = None
    high: float | None = None
    for item in metadata:
        for c in item.metadata if isinstance(item, FieldInfo) else [item]:
            if isinstance(c, Between):
                low, high = c.lo, c.hi
            elif isinstance(c, Ge):
                low = _number(c.ge)
            elif isinstance(c, Gt):
                low = _number(c.gt) + 1 if whole else _number(c.gt)
            elif isinstance(c, Le):
                high = _number(c.le)
            elif isinstance(c, Lt):
                high = _number(c.lt) - 1 if whole else _number(c.lt)
    if low is not None and high is not None:
        return low, high
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return _constraints(base, extra)
    if origin is Literal:
        return None
    for part in get_args(annotation):  # a union's options, a table's keys and values, ...
        found = _constraints(part, ())
        if found is not None:
            return found
    return None
