"""What a feature is: a named, documented definition, validated in one place.

A definition turns the events of a source table (one row per event: an entity, a timestamp, values)
into one value per entity and moment:

1. a row-level **expression** computes a value for every event, from a fixed safe set of operations
   on named columns (never ``eval``): ``column(a)``, ``ratio(a, b)``, ``difference(a, b)``,
   ``log1p(a)``, ``clip(a, lower, upper)``, ``equals(a, value)`` (1 when ``a`` is ``value``, else 0);
2. an **aggregate** of those values over the entity's events in a **window** before the moment:
   ``count``, ``sum``, ``mean``, ``min``, ``max`` or ``last``, over ``24h``, ``7d``, ``30d`` or the
   whole history (no window).

The window ends just *before* the moment: an event stamped exactly at the moment is not counted
(``transforms.WINDOW_CLOSED``). At serving time an event of the same instant may not be recorded yet,
and when the source is the labelled table itself the row would otherwise see its own values (and,
aggregating the label, its own answer). The point-in-time join makes the same choice for ties.

Configs store values only; ``validate_definition`` checks them, with messages naming the field
(``The 'window' of feature definition 'x' must be …; got … instead.``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import pandas as pd

from core.i18n import _
from core.workspace.errors import ConfigError

#: operation -> how many column names it takes
OPERATIONS = {"column": 1, "ratio": 2, "difference": 2, "log1p": 1, "clip": 1, "equals": 1}
AGGREGATES = ("count", "sum", "mean", "min", "max", "last")
WINDOWS = {"24h": pd.Timedelta(hours=24), "7d": pd.Timedelta(days=7), "30d": pd.Timedelta(days=30)}
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
MAX_TEXT = 2000  # owner and description: a paragraph, not a document


@dataclass(frozen=True)
class Expression:
    """A row-level value of an event. ``lower``/``upper`` are clip's bounds; ``value`` is equals' value."""

    op: str = "column"
    columns: tuple[str, ...] = ()
    lower: float | None = None
    upper: float | None = None
    value: str | float | None = None

    def describe(self) -> str:
        """The expression as it is written, e.g. ``ratio(amount, limit)`` (parse_expression reads it back)."""
        args = list(self.columns)
        if self.op == "clip":
            args += [_bound_text(self.lower), _bound_text(self.upper)]
        if self.op == "equals":
            args.append(repr(self.value))
        return f"{self.op}({', '.join(args)})"


@dataclass(frozen=True)
class FeatureDefinition:
    """A feature shared across projects. ``expression`` may be None only for ``count`` (events are
    counted, no value needed); ``window`` None means the entity's whole history before the moment."""

    name: str
    entity: str
    timestamp: str
    expression: Expression | None = None
    aggregate: str = "last"
    window: str | None = None
    owner: str = ""
    description: str = ""
    source_dataset_id: int | None = None

    def columns(self) -> list[str]:
        """Every column of the source table this definition reads."""
        used = [self.entity, self.timestamp, *(self.expression.columns if self.expression else ())]
        return list(dict.fromkeys(used))

    def window_length(self) -> pd.Timedelta | None:
        return WINDOWS[self.window] if self.window is not None else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.expression is not None:
            data["expression"]["columns"] = list(self.expression.columns)
        return data


def _bound_text(bound: float | None) -> str:
    return "none" if bound is None else repr(float(bound))


def _problem(name: str, field_name: str, must: str, got: Any) -> ConfigError:
    shown = repr(got)
    shown = shown if len(shown) <= 80 else shown[:79] + "…"  # a 5,000-character description is not repeated
    return ConfigError(
        _("The '{field}' of feature definition '{name}' must be {must}; got {got} instead.").format(
            field=field_name, name=name[:80], must=must, got=shown
        )
    )


def _check_column(name: str, field_name: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _problem(name, field_name, _("the name of a column of the source table"), value)


def _check_number(name: str, field_name: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value != value):
        raise _problem(name, field_name, _("a number or empty"), value)


def validate_expression(name: str, expression: Expression) -> None:
    if expression.op not in OPERATIONS:
        raise _problem(
            name, "expression.op", _("one of {choices}").format(choices=", ".join(OPERATIONS)), expression.op
        )
    wanted = OPERATIONS[expression.op]
    if not isinstance(expression.columns, tuple | list) or len(expression.columns) != wanted:
        raise _problem(
            name,
            "expression.columns",
            _("a list of {n} column names for {op}").format(n=wanted, op=expression.op),
            expression.columns,
        )
    for column in expression.columns:
        _check_column(name, "expression.columns", column)
    _check_number(name, "expression.lower", expression.lower)
    _check_number(name, "expression.upper", expression.upper)
    if expression.op == "clip":
        if expression.lower is None and expression.upper is None:
            raise _problem(name, "expression.lower", _("a number (clip needs a lower or an upper bound)"), None)
        if expression.lower is not None and expression.upper is not None and expression.lower > expression.upper:
            raise _problem(
                name,
                "expression.upper",
                _("at least the lower bound ({lower})").format(lower=expression.lower),
                expression.upper,
            )
    elif expression.lower is not None or expression.upper is not None:
        raise _problem(name, "expression.lower", _("empty (only clip has bounds)"), expression.lower)
    if expression.op == "equals":
        if not isinstance(expression.value, str | int | float) or isinstance(expression.value, bool):
            raise _problem(name, "expression.value", _("a text or a number to compare with"), expression.value)
    elif expression.value is not None:
        raise _problem(name, "expression.value", _("empty (only equals compares with a value)"), expression.value)


def validate_definition(definition: FeatureDefinition) -> FeatureDefinition:
    """The definition, tidied (names stripped, columns as a tuple), or ConfigError naming the field."""
    name = definition.name
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise _problem(
            str(name),
            "name",
            _("lowercase letters, digits and underscores, starting with a letter (at most 63 characters)"),
            name,
        )
    for field_name in ("entity", "timestamp"):
        _check_column(name, field_name, getattr(definition, field_name))
    if definition.entity.strip() == definition.timestamp.strip():
        raise _problem(name, "timestamp", _("a column other than the entity"), definition.timestamp)
    if definition.aggregate not in AGGREGATES:
        raise _problem(
            name, "aggregate", _("one of {choices}").format(choices=", ".join(AGGREGATES)), definition.aggregate
        )
    if definition.window is not None and definition.window not in WINDOWS:
        raise _problem(
            name,
            "window",
            _("one of {choices} or empty (the whole history)").format(choices=", ".join(WINDOWS)),
            definition.window,
        )
    expression = definition.expression
    if expression is None and definition.aggregate != "count":
        raise _problem(name, "expression", _("an expression (only count works without one)"), None)
    if expression is not None:
        validate_expression(name, expression)
        expression = replace(expression, columns=tuple(c.strip() for c in expression.columns))
    for field_name in ("owner", "description"):
        text = getattr(definition, field_name)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise _problem(
                name,
                field_name,
                _("a text of 1 to {n} characters").format(n=MAX_TEXT),
                text,
            )
    source = definition.source_dataset_id
    if source is not None and (isinstance(source, bool) or not isinstance(source, int) or source < 1):
        raise _problem(name, "source_dataset_id", _("the id of a dataset version in the workspace"), source)
    return replace(
        definition,
        entity=definition.entity.strip(),
        timestamp=definition.timestamp.strip(),
        expression=expression,
        owner=definition.owner.strip(),
        description=definition.description.strip(),
    )


_FIELDS = {f.name for f in fields(FeatureDefinition)}
_EXPRESSION_FIELDS = {f.name for f in fields(Expression)}


def definition_from_dict(data: Any) -> FeatureDefinition:
    """A validated definition from JSON-like data (a stored row, an exported spec). The expression may
    be a dict or its written form (``"ratio(amount, limit)"``)."""
    if not isinstance(data, dict):
        raise ConfigError(
            _("A feature definition must be an object of fields; got {got} instead.").format(got=repr(data))
        )
    name = str(data.get("name", ""))
    unknown = sorted(set(data) - _FIELDS - {"version", "id"})
    if unknown:
        raise _problem(
            name,
            unknown[0],
            _("one of the known fields ({fields})").format(fields=", ".join(sorted(_FIELDS))),
            data[unknown[0]],
        )
    values = {key: data[key] for key in _FIELDS if key in data}
    expression = values.get("expression")
    if isinstance(expression, str):
        values["expression"] = parse_expression(expression, name)
    elif isinstance(expression, dict):
        extra = sorted(set(expression) - _EXPRESSION_FIELDS)
        if extra:
            raise _problem(
                name, "expression." + extra[0], _("one of op, columns, lower, upper, value"), expression[extra[0]]
            )
        columns = expression.get("columns", ())
        values["expression"] = Expression(
            **{**expression, "columns": tuple(columns) if isinstance(columns, list | tuple) else columns}
        )
    elif expression is not None:
        raise _problem(name, "expression", _("an object or a written expression such as log1p(amount)"), expression)
    for required in ("name", "entity", "timestamp"):
        if required not in values:
            raise _problem(name, required, _("given"), None)
    return validate_definition(FeatureDefinition(**values))


_CALL = re.compile(r"\s*([a-z0-9_]+)\s*\((.*)\)\s*", re.DOTALL)


def parse_expression(text: str, name: str = "") -> Expression:
    """``amount``, ``log1p(amount)``, ``ratio(amount, limit)``, ``clip(amount, 0, 500)`` (``none`` for
    an open bound), ``equals(kind, 'chargeback')``: a fixed grammar, parsed, never evaluated."""
    match = _CALL.fullmatch(text)
    if match is None:
        if text.strip() and "(" not in text and ")" not in text and "," not in text:
            return Expression("column", (text.strip(),))
        raise _problem(name, "expression", _("a written expression such as ratio(amount, limit)"), text)
    op, inner = match.group(1), match.group(2)
    args = [a.strip() for a in inner.split(",")] if inner.strip() else []
    if op == "clip" and len(args) == 3:
        return Expression("clip", (args[0],), lower=_parse_bound(name, args[1]), upper=_parse_bound(name, args[2]))
    if op == "equals" and len(args) == 2:
        return Expression("equals", (args[0],), value=_parse_literal(name, args[1]))
    if op in ("clip", "equals"):
        raise _problem(
            name,
            "expression",
            _("{op} with its column and values, e.g. {example}").format(
                op=op, example="clip(amount, 0, 500)" if op == "clip" else "equals(kind, 'chargeback')"
            ),
            text,
        )
    return Expression(op, tuple(args))


def _parse_bound(name: str, text: str) -> float | None:
    if text.lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise _problem(name, "expression", _("a number or none as a bound of clip"), text) from None


def _parse_literal(name: str, text: str) -> str | float:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return float(text)
    except ValueError:
        raise _problem(name, "expression", _("a quoted text or a number to compare with"), text) from None
