"""The endpoint's input schema, built from the served model(s): one pydantic model of a row (a field
per input column, its type, and in its description the range or categories validation learned) and
of the whole ``/predict`` body. ``/docs`` and ``/openapi.json`` are generated from it.

Only what the model cannot take as its input's type is refused here (422): a text that is not a
number in a numeric column, a value that is not a date in a date column (read as the served model
reads dates), NaN or infinity, a list or an object where one value belongs, a missing
column, a row that is not an object. A value of the right type that breaks a learned rule (out of
range, a category never seen, missing) passes: the deployment's validation policy decides what it
gets. Values are passed on exactly as sent: the served model reads them, as for any other caller.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError

from core.data.dates import parse_datetimes
from core.data.validation import ColumnRule
from core.deployment.date_formats import date_example, reads_as_date
from core.deployment.endpoint.body import MAX_ROWS, NonFinite, problem, rejected
from core.deployment.request import quoted_value, shown_value, type_words
from core.deployment.served_model import ServedModel

RequestId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _fail(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message.replace("{", "{{").replace("}", "}}"))


def _single_value(column: str, value: Any) -> None:
    """Refuse what no column can hold: a list or an object, and the NaN/Infinity literals."""
    if isinstance(value, NonFinite):
        raise _fail("not_finite", f"{column} must be a finite number or null; got {value.text}, which is not JSON.")
    if isinstance(value, (list, dict)):
        raise _fail("not_a_single_value", f"{column} must be a single value; got {type_words(value)} instead.")
    if isinstance(value, float) and not math.isfinite(value):  # 1e400 reads as infinity
        raise _fail("not_finite", f"{column} must be a finite number; got {value!r} instead.")


def _number_check(column: str, takes_booleans: bool, text_allowed: bool) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is None:
            return value
        _single_value(column, value)
        if isinstance(value, bool):
            if takes_booleans:
                return value
            raise _fail("not_a_number", f"{column} must be a number; got true/false ({value}) instead.")
        if isinstance(value, int):
            try:
                float(value)
            except OverflowError:
                digits = len(str(abs(value)))
                raise _fail(
                    "too_large",
                    f"{column} is too large a number to compute with (a whole number of {digits:,} digits); "
                    f"got {shown_value(value)} instead.",
                ) from None
            return value
        if isinstance(value, float):
            return value
        text = value.strip()
        if not text or text_allowed:  # a blank is a missing value; the recipe reads this column's text
            return value
        try:
            number = float(text) if "_" not in text else math.nan
        except ValueError:
            number = math.nan
        if math.isnan(number):
            raise _fail(
                "not_a_number", f"{column} must be a number; got {quoted_value(value, shown_value(value))} instead."
            )
        if math.isinf(number):
            raise _fail(
                "not_finite",
                f"{column} must be a finite number; got {quoted_value(value, shown_value(value))} instead.",
            )
        return value

    return check


# ISO dates and times the served model's parser reads (checked by datetime too, so 2024-02-30 is no
# date); anything else is asked of the parser itself.
_ISO_DATE = re.compile(r"(1[7-9]|2[01])\d\d-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)?)?")


def _date_check(column: str, text_allowed: bool, fmt: str | None = None) -> Callable[[Any], Any]:
    """A date column: null, a blank (missing), or text the served model reads as a date
    (`request.read_dates`: ISO, or ``fmt``, the format the reader detected for the column at upload);
    a number, true/false or other text is refused as not a date."""

    def check(value: Any) -> Any:
        if value is None:
            return value
        _single_value(column, value)
        if isinstance(value, str) and (
            text_allowed
            or not value.strip()
            or _reads_as_date(value.strip())
            or (fmt is not None and _reads_in_format(value.strip(), fmt))
        ):
            return value
        raise _fail(
            "not_a_date",
            f"{column} must be a date such as {date_example(fmt)}; got {quoted_value(value, shown_value(value))} instead.",
        )

    return check


@lru_cache(maxsize=4096)
def _reads_as_date(text: str) -> bool:
    if _ISO_DATE.fullmatch(text):
        try:
            dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return True
        except ValueError:
            pass
    return bool(parse_datetimes(pd.Series([text], dtype=object)).notna().iloc[0])


@lru_cache(maxsize=4096)
def _reads_in_format(text: str, fmt: str) -> bool:
    return reads_as_date(text, fmt)


def _value_check(column: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is not None:
            _single_value(column, value)
        return value

    return check


def _ignored_check(value: Any) -> Any:
    """A column the model does not take is ignored, whatever it holds, except what is not JSON."""
    if isinstance(value, NonFinite):
        raise _fail("not_finite", f"{value.text} is not JSON; send null for a missing value.")
    return value


class _RowBase(BaseModel):
    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Annotated[Any, PlainValidator(_ignored_check)]] = Field(init=False)


@dataclass(frozen=True)
class InputColumn:
    """One input column of the schema: its name, kind (numeric, categorical, datetime, other) and rule."""

    name: str
    kind: str
    rule: ColumnRule | None
    takes_text: bool  # the recipe reads this column's text as numbers: text goes to it as sent
    date_format: str | None = None  # a date column's format as the reader detected it at upload (None: ISO only)

    def json_schema(self) -> dict[str, Any]:
        rule = self.rule
        learned = rule.describe().split(": ", 1)[1] if rule else "no rule was learned"
        base: dict[str, Any] = {"title": self.name}
        if self.kind == "numeric":
            base["anyOf"] = [{"type": "number"}, {"type": "null"}] + ([{"type": "string"}] if self.takes_text else [])
            if rule is not None and rule.kind == "boolean":
                base["anyOf"].append({"type": "boolean"})
            what = "A number (null when unknown)"
        elif self.kind == "datetime":
            iso = {"type": "string", "format": "date-time"}
            base["anyOf"] = [iso if self.date_format is None else {"type": "string"}, {"type": "null"}]
            what = f"A date such as {date_example(self.date_format)} (null when unknown)"
        else:
            base["anyOf"] = [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]
            what = "A category (null when unknown)"
        base["description"] = (
            f"{what}. Learned from the training data: {learned}. A value outside this is still answered, "
            "under the deployment's validation policy (see each result's status and problems)."
        )
        base["x-kind"] = self.kind
        if rule is not None and rule.allowed is not None:
            base["x-categories"] = list(rule.allowed)
        if rule is not None and (rule.min is not None or rule.max is not None):
            base["x-learned-range"] = [rule.min, rule.max]
        example = self.example()
        if example is not None:
            base["examples"] = [example]
        return base

    def example(self) -> Any:
        rule = self.rule
        if rule is None:
            return None
        if rule.allowed:
            return rule.allowed[0]
        if self.kind == "numeric" and isinstance(rule.min, (int, float)) and isinstance(rule.max, (int, float)):
            middle = (rule.min + rule.max) / 2
            return round(middle, 2) if abs(middle) < 1e12 else rule.min
        if self.kind == "datetime" and isinstance(rule.min, str):
            return rule.min[:10]
        return None

    def validator(self) -> Callable[[Any], Any]:
        if self.kind == "numeric":
            return _number_check(self.name, self.rule is not None and self.rule.kind == "boolean", self.takes_text)
        if self.kind == "datetime":
            return _date_check(self.name, self.takes_text, self.date_format)
        return _value_check(self.name)


def input_columns(models: Iterable[ServedModel]) -> list[InputColumn]:
    """The columns every answering model needs, in their order (the first model's first), each with
    the rule learned for it."""
    columns: dict[str, InputColumn] = {}
    for model in models:
        recipe_columns = _recipe_columns(model)
        for name in model.required_columns:
            if name in columns:
                continue
            rule = model.rules.get(name) if model.rules is not None else None
            kind = model.input_kinds.get(name, "other")
            columns[name] = InputColumn(name, kind, rule, name in recipe_columns, model.date_formats.get(name))
    return list(columns.values())


# Recipe steps that read a column's text as numbers, flags or dates (in a format of their own): a
# request may send that text as is.
TEXT_READING_OPS = ("to_numeric", "to_boolean", "to_datetime")


def _recipe_columns(model: ServedModel) -> set[str]:
    """Columns a step of the model's cleaning recipe reads from text (to_numeric, to_boolean, to_datetime)."""
    names: set[str] = set()
    for step in model.recipe.steps if model.recipe is not None else ():
        if step.op in TEXT_READING_OPS:
            value = step.params.get("columns", step.params.get("column"))
            names.update([value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)])
    return names


def _normal_form(categories: Any) -> Literal["NFC", "NFD"]:
    """The Unicode normal form a column's learned categories are written in: "NFD" when every one
    that has accents keeps them decomposed (as macOS file names do), else "NFC", the usual."""
    accented = [c for c in categories if isinstance(c, str) and not c.isascii()]
    decomposed = [c for c in accented if unicodedata.normalize("NFC", c) != c]
    return "NFD" if decomposed and len(decomposed) == len(accented) else "NFC"


@dataclass(frozen=True)
class ReadRequest:
    rows: list[dict[str, Any]]  # only the model's columns, values as sent
    request_ids: list[str] | None
    user_ids: list[str] | None
    ignored_columns: list[str]


class InputSchema:
    """The pydantic models of a row and of the ``/predict`` body for one set of answering models."""

    def __init__(self, models: list[ServedModel]):
        self.columns = input_columns(models)
        self.labels = [m.label for m in models]
        self._known = {c.name for c in self.columns}
        self._by_nfc = {unicodedata.normalize("NFC", c.name): c.name for c in self.columns}
        self._value_forms = {c.name: _normal_form(c.rule.allowed) for c in self.columns if c.rule and c.rule.allowed}
        fields: dict[str, Any] = {
            f"c{i}": (
                Annotated[Any, PlainValidator(col.validator()), WithJsonSchema(col.json_schema())],
                Field(alias=col.name, title=col.name),
            )
            for i, col in enumerate(self.columns)
        }
        self.row_model = create_model("Row", __base__=_RowBase, **fields)
        example = {c.name: c.example() for c in self.columns}
        self.request_model = create_model(
            "PredictRequest",
            __config__=ConfigDict(
                coerce_numbers_to_str=True, extra="ignore", json_schema_extra={"examples": [{"rows": [example]}]}
            ),
            rows=(
                list[self.row_model],  # type: ignore[name-defined]
                Field(
                    min_length=1,
                    max_length=MAX_ROWS,
                    description=f"The rows to score: 1 to {MAX_ROWS:,} objects of column: value.",
                ),
            ),
            request_ids=(
                list[RequestId] | None,
                Field(
                    None,
                    description="One id per row, echoed in the answer; send it back with the true label to /feedback. Default: a fresh id per row.",
                ),
            ),
            user_ids=(
                list[RequestId] | None,
                Field(None, description="One id per row naming who asks: an A/B test keeps each user on one arm."),
            ),
        )

    def read(self, data: Any) -> ReadRequest:
        """The body checked against the schema; raises RequestValidationError (422) naming each bad field."""
        if not isinstance(data, dict):
            raise rejected(
                problem(
                    ("body",),
                    f'The body must be a JSON object such as {{"rows": [...]}}; got {type_words(data)} instead.',
                    "model_attributes_type",
                )
            )
        data = self._normal_values(self._nfc_names(data))
        try:
            parsed = self.request_model.model_validate(data)
        except ValidationError as exc:
            raise rejected(*[self._problem(e) for e in exc.errors(include_url=False)]) from None
        names = [c.name for c in self.columns]
        known = set(names)
        rows = data["rows"]
        ignored = list(dict.fromkeys(k for row in rows for k in row if k not in known))
        for name in ("request_ids", "user_ids"):
            given = getattr(parsed, name)
            if given is not None and len(given) != len(rows):
                raise rejected(
                    problem(
                        ("body", name),
                        f"{name} has {len(given)} ids for {len(rows)} rows; send one per row.",
                        "length_mismatch",
                    )
                )
        request_ids: list[str] = getattr(parsed, "request_ids", None) or []  # a model made at run time
        seen: set[str] = set()
        repeated = []
        for i, rid in enumerate(request_ids):
            if rid in seen:
                repeated.append(i)
            seen.add(rid)
        if repeated:  # one label sent later would mark several answers
            raise rejected(
                *[
                    problem(
                        ("body", "request_ids", i),
                        f"request id {request_ids[i]!r} is given to more than one row; each answer needs its own.",
                        "duplicate_id",
                    )
                    for i in repeated
                ]
            )
        picked = rows if not ignored else [{k: row[k] for k in names} for row in rows]
        ids: dict[str, Any] = dict(parsed)  # a model made at run time: its fields are not typed
        return ReadRequest(picked, ids["request_ids"], ids["user_ids"], ignored)

    def _nfc_names(self, data: dict[str, Any]) -> dict[str, Any]:
        """The body with each row's column names matched to the model's in Unicode normal form C: "é"
        sent decomposed (e + a combining accent, as macOS file names and some clients write it) is the
        same name as "é" composed, on whichever side it is decomposed. A row sending both keeps the
        exact one."""
        rows = data.get("rows")
        if not isinstance(rows, list):
            return data
        known = self._known
        fixed = None
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or known.issuperset(row):
                continue
            renamed = {}
            for key, value in row.items():
                name = self._by_nfc.get(unicodedata.normalize("NFC", key), key) if key not in known else key
                if name in row and name != key or name in renamed:
                    name = key  # the exact name is sent too: that one is the column, this one is ignored
                renamed[name] = value
            if fixed is None:
                fixed = list(rows)
            fixed[i] = renamed
        return data if fixed is None else {**data, "rows": fixed}

    def _normal_values(self, data: dict[str, Any]) -> dict[str, Any]:
        """The body with each category sent in the Unicode normal form its column was trained in:
        "Açores" typed decomposed is the "Açores" the model learned, not an unseen category."""
        rows = data.get("rows")
        if not isinstance(rows, list) or not self._value_forms:
            return data
        fixed = None
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                continue
            changed = {}
            for name, form in self._value_forms.items():
                value = row.get(name)
                if isinstance(value, str) and not value.isascii():
                    normal = unicodedata.normalize(form, value)
                    if normal != value:
                        changed[name] = normal
            if changed:
                fixed = list(rows) if fixed is None else fixed
                fixed[i] = {**row, **changed}
        return data if fixed is None else {**data, "rows": fixed}

    def _problem(self, error: Any) -> dict[str, Any]:
        loc = ("body", *error["loc"])
        kind, msg = error["type"], error["msg"]
        if kind == "missing" and len(loc) == 4 and loc[1] == "rows":
            needs = f"{self.labels[0]} needs" if len(self.labels) == 1 else f"{' and '.join(self.labels)} need"
            msg = f"{loc[3]} is missing; {needs} it in every row (send null when it is unknown)."
        elif kind == "model_type" and len(loc) == 3 and loc[1] == "rows":
            msg = f"Row {loc[2]} must be an object of column: value pairs; got {type_words(error['input'])} instead."
        elif kind in ("list_type", "missing") and loc == ("body", "rows"):
            got = "nothing" if kind == "missing" else "null" if error["input"] is None else type_words(error["input"])
            msg = f'rows must be a list of objects of column: value, such as {{"rows": [{{...}}]}}; got {got} instead.'
        elif kind == "list_type" and loc[1:] in (("request_ids",), ("user_ids",)):
            msg = f"{loc[1]} must be a list of texts, one per row; got {type_words(error['input'])} instead."
        elif kind in ("string_type", "string_too_short", "string_too_long") and loc[1] in ("request_ids", "user_ids"):
            msg = f"Each of {loc[1]} must be a text of 1 to 200 characters; got {type_words(error['input'])} instead."
        elif kind == "too_short" and loc == ("body", "rows"):
            msg = "The request has no rows; send at least one row."
        elif kind == "too_long" and loc == ("body", "rows"):
            msg = f"The request has more than {MAX_ROWS:,} rows; split it into batches of at most {MAX_ROWS:,}."
        return problem(loc, msg, kind, error.get("input"))
