"""The cleaning recipe and its replay: `CleaningStep` / `CleaningRecipe` (plain JSON: `to_dict` /
`from_dict`, `recipe_to_json` / `recipe_from_json`), `apply_recipe` / `apply_step` /
`preview_recipe`, validating and describing a step through the op registry, and the reports of a
replay (`StepReport`, `summarize_reports`, the before/after table, the "mostly missing" warning).
It looks every op up in the registry (`ops.OP_SPECS`); the ops live in the `ops_*` modules.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from core.data.cleaning.ops import OP_SPECS
from core.data.cleaning.ops_columns import parse_numbers
from core.data.cleaning.ops_common import OpResult, as_plain_text
from core.data.cleaning.ops_rows import ROW_OP_LABELS
from core.data.columns import is_text
from core.formatting import format_count, format_part_of
from core.i18n import _, ngettext
from core.workspace.errors import ConfigError
from core.workspace.progress import Progress

RECIPE_FORMAT = 1  # version of the downloadable JSON layout (recipe_to_json)
MOSTLY_MISSING_SHARE = 0.5  # a step turning more of a column's values into missing is flagged before saving


@dataclass(frozen=True)
class CleaningStep:
    op: str
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "params": copy.deepcopy(self.params)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CleaningStep:
        if not isinstance(d, dict) or "op" not in d:
            raise ConfigError(
                _("A cleaning step must be an object with an 'op'; got {value} instead.").format(value=repr(d))
            )
        params = d.get("params") or {}
        if not isinstance(params, dict):
            raise ConfigError(
                _("The 'params' of {op} must be an object; got {value} instead.").format(op=d["op"], value=repr(params))
            )
        step = cls(str(d["op"]), copy.deepcopy(params))
        validate_step(step)
        return step


@dataclass(frozen=True)
class CleaningRecipe:
    steps: tuple[CleaningStep, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [step.to_dict() for step in self.steps]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CleaningRecipe:
        steps = d.get("steps", []) if isinstance(d, dict) else d
        if not isinstance(steps, (list, tuple)):
            raise ConfigError(
                _("The 'steps' of a cleaning recipe must be a list; got {value} instead.").format(value=repr(steps))
            )
        return cls(tuple(CleaningStep.from_dict(s) for s in steps))

    def with_step(self, step: CleaningStep) -> CleaningRecipe:
        return CleaningRecipe(self.steps + (step,))

    def without_step(self, i: int) -> CleaningRecipe:
        if not -len(self.steps) <= i < len(self.steps):
            raise ConfigError(
                _("The recipe has {n} step(s); there is no step {i} to remove.").format(n=len(self.steps), i=i)
            )
        i = i % len(self.steps)
        return CleaningRecipe(self.steps[:i] + self.steps[i + 1 :])


@dataclass(frozen=True)
class StepReport:
    op: str
    summary: str  # plain words, e.g. "Removed 71 duplicate rows."
    rows_before: int
    rows_after: int
    cells_changed: int
    status: str = "applied"  # "applied" | "no_change" | "skipped" (column absent, wrong type, training-only)
    warning: str = ""  # plain words when the step turned most of a column's values into missing

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def recipe_to_json(recipe: CleaningRecipe) -> str:
    """Pretty JSON for a download; `recipe_from_json` reads it back to an equal recipe."""
    try:
        return json.dumps(
            {"recipe_format": RECIPE_FORMAT, **recipe.to_dict()}, indent=2, ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            _(
                "The recipe cannot be written as JSON ({error}); every parameter must be a "
                "plain number, text, true/false, null, list or object."
            ).format(error=exc)
        ) from None


def recipe_from_json(text: str | bytes) -> CleaningRecipe:
    """Parse (and validate) a recipe from JSON text; ConfigError says what is wrong."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
        raise ConfigError(
            _("The recipe file is not valid JSON ({error}); upload a recipe downloaded from the studio.").format(
                error=exc
            )
        ) from None
    if isinstance(data, dict):
        version = data.get("recipe_format", RECIPE_FORMAT)
        if not isinstance(version, int) or version > RECIPE_FORMAT:
            raise ConfigError(
                _(
                    "The 'recipe_format' of the recipe file must be at most {limit}; got {value} "
                    "instead. It was written by a newer studio; update this one."
                ).format(limit=RECIPE_FORMAT, value=repr(version))
            )
        if "steps" not in data:
            raise ConfigError(_("The recipe file must have a 'steps' list; got an object without one instead."))
    elif not isinstance(data, list):
        raise ConfigError(
            _("The recipe file must hold an object with 'steps'; got {kind} instead.").format(kind=type(data).__name__)
        )
    return CleaningRecipe.from_dict(data)


def apply_recipe(
    df: pd.DataFrame,
    recipe: CleaningRecipe,
    *,
    training: bool = True,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, list[StepReport]]:
    """Replay every step in order. training=False (new data to score) never removes rows.

    Every step is validated before any work starts. `progress(fraction, message)` is called
    before each step and once at the end.
    """
    for step in recipe.steps:
        validate_step(step)
    reports = []
    n = len(recipe.steps)
    for i, step in enumerate(recipe.steps):
        if progress is not None:
            progress(i / max(n, 1), _("Step {i} of {n}: {step}").format(i=i + 1, n=n, step=describe_step(step)))
        df, report = run_step(df, step, training)
        reports.append(report)
    if progress is not None:
        progress(1.0, _("Cleaning done: {n} step(s).").format(n=n))
    return df.reset_index(drop=True), reports


def apply_step(df: pd.DataFrame, step: CleaningStep, *, training: bool = True) -> tuple[pd.DataFrame, StepReport]:
    """One step, for a preview in the UI."""
    validate_step(step)
    out, report = run_step(df, step, training)
    return out.reset_index(drop=True), report


def preview_recipe(
    df: pd.DataFrame,
    recipe: CleaningRecipe,
    upto: int | None = None,
    *,
    training: bool = True,
) -> tuple[pd.DataFrame, list[StepReport]]:
    """The table after the first `upto` steps (all when None) and their reports.

    Undo in the UI is "remove a step (`without_step`) and preview again": the recipe is the
    state, the cleaned table is always recomputed from the raw one.
    """
    if upto is not None and not 0 <= upto <= len(recipe.steps):
        raise ConfigError(
            f"The 'upto' of preview_recipe must be between 0 and {len(recipe.steps)}; got {upto!r} instead."
        )
    return apply_recipe(df, CleaningRecipe(recipe.steps[:upto]), training=training)


def run_step(df: pd.DataFrame, step: CleaningStep, training: bool) -> tuple[pd.DataFrame, StepReport]:
    spec = OP_SPECS[step.op]
    rows_before = len(df)
    if spec.removes_rows and not training:
        done = OpResult(
            df,
            _("Skipped on new data ({step}): rows are only removed when training.").format(
                step=_(ROW_OP_LABELS[step.op])
            ),
            skipped=True,
        )
    else:
        done = spec.apply(df, dict(step.params))
    status = "skipped" if done.skipped else ("no_change" if done.df is df else "applied")
    warning = _mostly_missing_warning(df, done.df, step) if status == "applied" else ""
    return done.df, StepReport(step.op, done.summary, rows_before, len(done.df), int(done.changed), status, warning)


def _step_columns(step: CleaningStep) -> list[str]:
    """The columns a step names in its parameters."""
    named = [step.params.get("column")] + list(step.params.get("columns") or [])
    return [c for c in named if isinstance(c, str)]


def get_values_turned_missing(
    before: pd.DataFrame, after: pd.DataFrame, step: CleaningStep
) -> dict[str, tuple[int, int]]:
    """Column -> (values present before, how many of them are missing after) for the columns a step
    that keeps every row names; only columns that lost values are listed. Blank text is no value."""
    if len(before) != len(after):
        return {}
    lost = {}
    for col in _step_columns(step):
        if col not in before.columns or col not in after.columns:
            continue
        b, a = before[col], after[col]
        if int(a.isna().sum()) <= int(b.isna().sum()):
            continue  # cheap check first: most steps turn nothing into missing
        present = b.notna().to_numpy(dtype=bool)
        if is_text(b):
            present = present & (as_plain_text(b).str.strip() != "").to_numpy(dtype=bool, na_value=False)
        gone = int((present & a.isna().to_numpy(dtype=bool)).sum())
        if gone:
            lost[col] = (int(present.sum()), gone)
    return lost


def _mostly_missing_warning(before: pd.DataFrame, after: pd.DataFrame, step: CleaningStep) -> str:
    """Plain words when a step turns more than half of a column's values into missing values."""
    words = []
    for col, (present, gone) in get_values_turned_missing(before, after, step).items():
        if gone > MOSTLY_MISSING_SHARE * present:
            hint = ""
            if step.op == "to_numeric":
                decimal = step.params.get("decimal", ".")
                other = "," if decimal == "." else "."
                readable = int(parse_numbers(before[col], other, None).notna().sum())
                hint = (
                    " "
                    + _("with the decimal mark {decimal}; with {other} they read as numbers").format(
                        decimal=repr(decimal), other=repr(other)
                    )
                    if readable > gone / 2
                    else ""
                )
            words.append(
                _("{gone} of {present} {column} values ({share}) become missing").format(
                    gone=format_count(gone),
                    present=format_count(present),
                    column=col,
                    share=format_part_of(gone, present),
                )
                + hint
            )
    if not words:
        return ""
    return _(
        "Careful: {problems}. Check this step's settings before saving: a later step may fill "
        "or drop what is left of the column."
    ).format(problems="; ".join(words))


def validate_step(step: CleaningStep) -> None:
    """Raise ConfigError if the step's op is unknown or a parameter is unusable."""
    if step.op not in OP_SPECS:
        raise ConfigError(
            _("The 'op' of a cleaning step must be one of {ops}; got {value} instead.").format(
                ops=", ".join(OP_SPECS), value=repr(step.op)
            )
        )
    if not isinstance(step.params, dict):
        raise ConfigError(
            _("The 'params' of {op} must be an object; got {value} instead.").format(
                op=step.op, value=repr(step.params)
            )
        )
    OP_SPECS[step.op].validate(step.params, step.op)


def describe_step(step: CleaningStep) -> str:
    """One plain line, e.g. "Fill missing satisfaction_score with the median (7)"."""
    spec = OP_SPECS.get(step.op)
    if spec is None:
        return _("Unknown step {op}").format(op=repr(step.op))
    try:
        text = spec.describe(step.params or {})
    except (KeyError, TypeError, AttributeError, ValueError, ConfigError):
        text = _("{op} (incomplete parameters)").format(op=step.op)
    return _("{step} (training data only)").format(step=text) if spec.removes_rows else text


def summarize_reports(reports: list[StepReport]) -> str:
    """One paragraph: what changed, what was skipped and why, how many steps found nothing to do."""
    applied = [r.summary for r in reports if r.status == "applied"]
    skipped = [r.summary for r in reports if r.status == "skipped"]
    idle = sum(r.status == "no_change" for r in reports)
    parts = applied + skipped
    if idle:
        parts.append(
            ngettext("{n} step found nothing to change.", "{n} steps found nothing to change.", idle).format(
                n=format_count(idle)
            )
        )
    if not reports:
        return _("The recipe has no steps; the table is unchanged.")
    rows_before, rows_after = reports[0].rows_before, reports[-1].rows_after
    parts.append(
        _("The table went from {before} to {after} rows.").format(
            before=format_count(rows_before), after=format_count(rows_after)
        )
        if rows_before != rows_after
        else _("Every row was kept ({rows} in all).").format(rows=format_count(rows_after))
    )
    return " ".join(parts)


def get_before_after_df(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per column: missing, distinct and dtype before/after cleaning, plus a first "(rows)" line.

    On the "(rows)" line, `missing_*` is the table's total of missing cells and `distinct_*`
    is the number of rows. `change` says in words what happened.
    """
    records = [
        {
            "column": _("(rows)"),
            "dtype_before": "",
            "dtype_after": "",
            "missing_before": int(before.isna().sum().sum()),
            "missing_after": int(after.isna().sum().sum()),
            "distinct_before": len(before),
            "distinct_after": len(after),
            "change": _row_change(len(before), len(after)),
        }
    ]
    for col in list(before.columns) + [c for c in after.columns if c not in before.columns]:
        b = before[col] if col in before.columns else None
        a = after[col] if col in after.columns else None
        record = {
            "column": str(col),
            "dtype_before": str(b.dtype) if b is not None else "",
            "dtype_after": str(a.dtype) if a is not None else "",
            "missing_before": int(b.isna().sum()) if b is not None else pd.NA,
            "missing_after": int(a.isna().sum()) if a is not None else pd.NA,
            "distinct_before": int(b.nunique()) if b is not None else pd.NA,
            "distinct_after": int(a.nunique()) if a is not None else pd.NA,
        }
        record["change"] = _column_change(record, b is not None, a is not None)
        records.append(record)
    result = pd.DataFrame(records)
    for col in ("missing_before", "missing_after", "distinct_before", "distinct_after"):
        result[col] = result[col].astype("Int64")
    return result


def _row_change(before: int, after: int) -> str:
    if before == after:
        return _("{rows} rows, none removed").format(rows=format_count(after))
    return _("{before} -> {after} rows ({removed} removed)").format(
        before=format_count(before), after=format_count(after), removed=format_count(before - after)
    )


def _column_change(r: dict[str, Any], had: bool, has: bool) -> str:
    if not has:
        return _("dropped")
    if not had:
        return _("added")
    parts = []
    if r["dtype_before"] != r["dtype_after"]:
        parts.append(_("type {before} -> {after}").format(before=r["dtype_before"], after=r["dtype_after"]))
    if r["missing_after"] < r["missing_before"]:
        parts.append(_("{n} fewer missing").format(n=format_count(r["missing_before"] - r["missing_after"])))
    elif r["missing_after"] > r["missing_before"]:
        parts.append(_("{n} more missing").format(n=format_count(r["missing_after"] - r["missing_before"])))
    if r["distinct_after"] < r["distinct_before"]:
        parts.append(_("{n} fewer distinct values").format(n=format_count(r["distinct_before"] - r["distinct_after"])))
    return "; ".join(parts) or _("unchanged")
