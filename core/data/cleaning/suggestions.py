"""Suggesting a recipe: `suggest_cleaning` looks at the training table and proposes safe steps with
every parameter resolved, and apart the steps it only offers (`CleaningOffer`: they would remove
many rows, drop a column or blank many values); the plain sentences that warn about both; and the
detectors it decides with (duplicates, stray spaces, numbers stored as text and their format,
long tails of rare categories, impossible values)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.data.cleaning.factories import make_group_rare_step
from core.data.cleaning.ops_columns import DECIMAL_MARKS, THOUSANDS_SEPARATORS, parse_numbers
from core.data.cleaning.ops_common import (
    as_plain_text,
    examples_text,
    first_lower,
    is_number,
    name_list,
    native_value,
)
from core.data.cleaning.ops_missing import fill_value
from core.data.cleaning.ops_rows import find_duplicated
from core.data.cleaning.ops_text import RARE_MIN_SHARE, SPACE_RUN
from core.data.cleaning.recipe import (
    MOSTLY_MISSING_SHARE,
    CleaningRecipe,
    CleaningStep,
    StepReport,
    describe_step,
    get_values_turned_missing,
    run_step,
)
from core.data.columns import (
    get_spelling_variants,
    has_leading_zero_codes,
    is_classification_target,
    is_named_like_id,
    is_text,
    looks_like_id,
    looks_like_identifier,
    numeric_text_share,
)
from core.data.profiling import NUMERIC_AS_TEXT_SHARE
from core.formatting import format_count, format_part_of, format_percent
from core.i18n import _, ngettext
from core.workspace.errors import ConfigError

RARE_MIN_LEVELS = 20  # rare categories are only grouped unasked in a column with more than 20 of them
SENTINEL_NEGATIVES = frozenset({-1.0, -9.0, -99.0, -999.0, -9999.0, -99999.0})
SENTINEL_MAX_SHARE = 0.005  # negative codes in at most 0.5 % of rows of an otherwise >= 0 column
OUTLIER_MAX_SHARE = 0.01  # "impossible" values are rare; a common tail is real data
OUTLIER_MIN_RATIO = 5.0  # an impossible value is >= 5x beyond the largest plausible one (log scale gap)
OUTLIER_GAP_OF_SPAN = 0.4  # ... and the gap is >= 40 % of the bulk's log-scale span
SAFE_ROW_SHARE = 0.05  # the suggested steps together remove at most 5 % of the rows unasked
SAFE_MISSING_SHARE = 0.05  # ... and turn at most 5 % of a column's values into missing


@dataclass(frozen=True)
class CleaningOffer:
    """A suggested step that is not applied unless the user adds it: it would remove many rows,
    drop a column or turn many values into missing. Says what it would do and why it is offered."""

    step: CleaningStep
    why: str  # one or two plain sentences
    rows_before: int = 0
    rows_removed: int = 0
    columns_dropped: tuple[str, ...] = ()
    cells_to_missing: int = 0

    def effect(self) -> str:
        """ "remove 2,177 of 2,201 rows (98.9%)", "drop the column notes"..."""
        parts = []
        if self.rows_removed:
            parts.append(
                _("remove {removed} of {rows} rows ({share})").format(
                    removed=format_count(self.rows_removed),
                    rows=format_count(self.rows_before),
                    share=format_part_of(self.rows_removed, self.rows_before),
                )
            )
        if self.columns_dropped:
            parts.append(
                ngettext("drop the column {columns}", "drop the columns {columns}", len(self.columns_dropped)).format(
                    columns=name_list(self.columns_dropped)
                )
            )
        if self.cells_to_missing:
            parts.append(
                ngettext(
                    "turn {n} value into missing values", "turn {n} values into missing values", self.cells_to_missing
                ).format(n=format_count(self.cells_to_missing))
            )
        return _(" and ").join(parts) or _("change nothing")

    def sentence(self) -> str:
        return _("Suggested but not applied: {step} would {effect}. {why}").format(
            step=first_lower(describe_step(self.step)), effect=self.effect(), why=self.why
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step.to_dict(),
            "why": self.why,
            "rows_before": self.rows_before,
            "rows_removed": self.rows_removed,
            "columns_dropped": list(self.columns_dropped),
            "cells_to_missing": self.cells_to_missing,
            "sentence": self.sentence(),
        }


@dataclass(frozen=True)
class CleaningSuggestion:
    """What `suggest_cleaning` proposes: the safe steps, and the steps only offered."""

    recipe: CleaningRecipe
    offers: tuple[CleaningOffer, ...] = ()


def suggest_recipe(df: pd.DataFrame, target: str | None, read_info: dict | Any | None = None) -> CleaningRecipe:
    """The safe suggested steps (see `suggest_cleaning`; the offers are left out)."""
    return suggest_cleaning(df, target, read_info).recipe


_SUGGESTION_ORDER = (
    "drop_missing_target",
    "drop_duplicates",
    "trim_whitespace",
    "unify_categories",
    "to_numeric",
    "group_rare",
    "drop_outlier_rows",
    "drop_columns",
    "impute",
)


def suggest_cleaning(df: pd.DataFrame, target: str | None, read_info: dict | Any | None = None) -> CleaningSuggestion:
    """Propose steps with every parameter resolved from `df`, so a replay is deterministic.

    Each step is simulated on a working copy, so later parameters (e.g. a median) are computed
    on the data as the earlier steps leave it. A step that would remove more than 5 % of the rows
    (all suggested removals together), drop a column or turn more than 5 % of a column's values
    into missing is not applied: it goes to `.offers` with what it would do and why. Rows without
    a target are always dropped (no model can learn from them); the step's report counts them.
    Yes/no columns stay categories: a to_boolean step is only added when the user asks for it.

    `read_info` (a `ReadInfo` or its dict, as saved with the raw dataset) gives the decimal mark
    and thousands separator the reader detected; number conversions use them.
    """
    if target is not None and target not in df.columns:
        raise ConfigError(
            _("The target {target} is not a column of the table; choose one of: {columns}.").format(
                target=repr(target), columns=name_list(df.columns[:20])
            )
        )
    recipe, work, offers = CleaningRecipe(), df, []
    rows = len(df)
    removed = 0  # rows removed unasked, besides those without a target

    def add(step: CleaningStep) -> None:
        nonlocal recipe, work
        recipe = recipe.with_step(step)
        work = run_step(work, step, training=True)[0]

    def consider(step: CleaningStep, why: str | Callable[[], str]) -> None:
        """Add the step if it is safe; otherwise offer it, saying `why` (a callable: worded only if needed)."""
        nonlocal recipe, work, removed
        after = run_step(work, step, training=True)[0]
        gone = len(work) - len(after)
        dropped = tuple(str(c) for c in work.columns if c not in after.columns)
        lost = get_values_turned_missing(work, after, step)
        blanked = sum(n for present, n in lost.values() if n > SAFE_MISSING_SHARE * present)
        if dropped or blanked or removed + gone > SAFE_ROW_SHARE * rows:
            offers.append(
                CleaningOffer(
                    step,
                    why() if callable(why) else why,
                    len(work),
                    gone,
                    dropped,
                    sum(n for _column, n in lost.values()),
                )
            )
            return
        recipe, work, removed = recipe.with_step(step), after, removed + gone

    if target is not None and work[target].isna().any():
        add(CleaningStep("drop_missing_target", {"column": str(target)}))
    duplicated = find_duplicated(work) if len(work) else pd.Series(dtype=bool)
    if duplicated.any():
        consider(CleaningStep("drop_duplicates", {}), lambda: _why_duplicates(work, duplicated, target))
    stray = [str(c) for c in work.columns if _has_stray_spaces(work[c])]
    if stray:
        add(CleaningStep("trim_whitespace", {"columns": stray}))
    for col in work.columns:
        s = work[col]
        if is_text(s) and s.nunique() < 0.5 * max(s.notna().sum(), 1):  # not IDs / free text
            mapping = get_spelling_variants(s)
            if mapping:
                add(CleaningStep("unify_categories", {"column": str(col), "mapping": mapping}))
    for step, why in _number_conversions(work, target, read_info):
        consider(step, why)
    for col in work.columns:
        if col != target and _has_long_rare_tail(work[col]):
            add(make_group_rare_step(work, str(col)))
    classification = target is not None and is_classification_target(work[target])
    for col in work.columns:
        if col == target and classification:
            continue
        bounds = find_impossible_bounds(work[col])
        if bounds is not None:
            step = CleaningStep("drop_outlier_rows", {"column": str(col), "lower": bounds[0], "upper": bounds[1]})
            consider(
                step,
                _(
                    "A few {column} values lie far outside all the others (codes such as -999, or typing "
                    "errors), but with the other suggested removals more than {share} of the "
                    "rows would go; add it, or clip the values instead, if they are impossible."
                ).format(column=col, share=format_percent(SAFE_ROW_SHARE, 0)),
            )
    empty = [str(c) for c in work.columns if c != target and len(work) and work[c].isna().all()]
    if empty:
        consider(
            CleaningStep("drop_columns", {"columns": empty}),
            _("They hold no value at all, so no model can learn from them; the pipeline ignores them if kept."),
        )
    for col in work.columns:
        if col == target or not work[col].isna().any() or work[col].isna().all():
            continue
        strategy, value = _suggest_fill(work[col])
        add(CleaningStep("impute", {"column": str(col), "strategy": strategy, "value": value}))
    return CleaningSuggestion(recipe, tuple(offers))


def _why_duplicates(df: pd.DataFrame, duplicated: pd.Series, target: str | None) -> str:
    """Why dropping exact duplicates is only offered: an ID says they are copies, or nothing does."""
    ids = [str(c) for c in df.columns if c != target and looks_like_id(df.loc[~duplicated.to_numpy(), c])]
    if ids:
        return _(
            "The copies repeat even {column}, which differs from one record to the next, so each is the "
            "same record exported again; removing that many rows changes the table a lot, so it is yours to decide."
        ).format(column=ids[0])
    return _(
        "No ID column tells these rows apart, and in a table of a few categories identical rows are usually "
        "different records with the same values (passengers of the same class, sex and age); dropping them "
        "would change what the model learns. Add it only if the rows are copies of one record."
    )


def _number_conversions(
    df: pd.DataFrame, target: str | None, read_info: dict | Any | None
) -> list[tuple[CleaningStep, str]]:
    """to_numeric steps for columns of numbers stored as text, in the number format the reader detected.

    Columns that convert (nearly) cleanly share one step per number format; a column that would
    lose more than 5 % of its values gets a step of its own (offered, with the reason); one that
    would lose most of them is left as text.
    """
    clean: dict[tuple[str, str | None], list[str]] = {}
    lossy = []
    for col in df.columns:
        if col == target or not _is_numeric_text(df[col]):
            continue
        s = df[col]
        decimal, thousands = get_number_format(s, read_info)
        numbers = parse_numbers(s, decimal, thousands)
        present = s.notna() & (as_plain_text(s).str.strip() != "").fillna(False).astype(bool)
        unreadable = present & numbers.isna()
        lost, n = int(unreadable.sum()), int(present.sum())
        if lost <= SAFE_MISSING_SHARE * n:
            clean.setdefault((decimal, thousands), []).append(str(col))
        elif lost <= MOSTLY_MISSING_SHARE * n:
            step = CleaningStep("to_numeric", {"columns": [str(col)], "decimal": decimal, "thousands": thousands})
            lossy.append(
                (
                    step,
                    _(
                        "{column} holds numbers, but {lost} of {n} values are not numbers "
                        "(e.g. {examples}) and would become missing values; add it if "
                        "those values mean 'unknown', or fix them in the file."
                    ).format(
                        column=col, lost=format_count(lost), n=format_count(n), examples=examples_text(s[unreadable])
                    ),
                )
            )
    steps = [
        (CleaningStep("to_numeric", {"columns": columns, "decimal": decimal, "thousands": thousands}), "")
        for (decimal, thousands), columns in clean.items()
    ]
    return steps + lossy


_NUMBER_FORMATS = ((".", None), (",", None), (".", ","), (",", "."), (".", " "), (",", " "), (".", "'"))


def get_number_format(s: pd.Series, read_info: dict | Any | None = None) -> tuple[str, str | None]:
    """(decimal mark, thousands separator) for a text column of numbers: the reader's when it detected
    one and it reads the column; otherwise the format that reads most of its values. `read_info`: a
    `ReadInfo` or its dict, as saved with the raw dataset."""
    detected = _detected_number_format(read_info)
    candidates = ([detected] if detected else []) + [f for f in _NUMBER_FORMATS if f != detected]
    values = pd.Series(as_plain_text(s).dropna().unique(), dtype="str")
    best, best_read = candidates[0], -1
    for decimal, thousands in candidates:
        read = int(parse_numbers(values, decimal, thousands).notna().sum())
        if (decimal, thousands) == detected and read >= (1 - SAFE_MISSING_SHARE) * len(values):
            return detected
        if read > best_read:
            best, best_read = (decimal, thousands), read
    return best


def _detected_number_format(read_info: dict | Any | None) -> tuple[str, str | None] | None:
    if read_info is None:
        return None
    get = read_info.get if isinstance(read_info, dict) else lambda key, default=None: getattr(read_info, key, default)
    decimal = get("decimal")
    if decimal not in DECIMAL_MARKS:
        return None  # Excel and Parquet store numbers as numbers: no format was detected
    thousands = get("thousands")
    thousands = " " if thousands in ("\u00a0", "\u202f") else thousands  # parse_numbers reads every space as ' '
    return decimal, thousands if thousands in THOUSANDS_SEPARATORS and thousands != decimal else None


def with_offer(recipe: CleaningRecipe, offer: CleaningOffer | CleaningStep) -> CleaningRecipe:
    """The recipe with an offered step added where a suggestion would have put it (e.g. drop duplicates
    before the fills), so it does what its offer said."""
    step = offer.step if isinstance(offer, CleaningOffer) else offer
    rank = _suggestion_rank(step.op)
    at = next((i for i, s in enumerate(recipe.steps) if _suggestion_rank(s.op) > rank), len(recipe.steps))
    return CleaningRecipe(recipe.steps[:at] + (step,) + recipe.steps[at:])


def _suggestion_rank(op: str) -> int:
    return _SUGGESTION_ORDER.index(op) if op in _SUGGESTION_ORDER else len(_SUGGESTION_ORDER)


def describe_offers(offers: Any) -> list[str]:
    """One plain sentence per offered step, e.g. for the CLI's JSON `warnings`."""
    return [offer.sentence() for offer in offers]


def get_cleaning_warnings(reports: list[StepReport], offers: Any = ()) -> list[str]:
    """Plain sentences for what cleaning did that a user must know: rows removed, values turned
    missing, and the steps only offered (not applied)."""
    notes = []
    for report in reports:
        if report.status == "applied" and report.rows_after < report.rows_before:
            gone = report.rows_before - report.rows_after
            notes.append(
                _("Cleaning removed {removed} of {rows} rows ({share}): {summary}").format(
                    removed=format_count(gone),
                    rows=format_count(report.rows_before),
                    share=format_part_of(gone, report.rows_before),
                    summary=report.summary,
                )
            )
        if report.warning:
            notes.append(report.warning)
    return notes + describe_offers(offers)


def _is_numeric_text(s: pd.Series) -> bool:
    if not is_text(s) or s.notna().sum() == 0:
        return False
    share, _ = numeric_text_share(s)
    if share < NUMERIC_AS_TEXT_SHARE:
        return False
    return not has_leading_zero_codes(s)  # zip codes stay text


def _has_stray_spaces(s: pd.Series) -> bool:
    """Some non-blank text value has leading/trailing spaces or a run of inner spaces."""
    if not is_text(s):
        return False
    values = pd.Series(as_plain_text(s).dropna().unique(), dtype="str")
    values = values[values.str.strip() != ""]  # blank cells are to_numeric's / impute's business
    return bool(values.size and ((values != values.str.strip()) | values.str.contains(SPACE_RUN, regex=True)).any())


def _has_long_rare_tail(s: pd.Series) -> bool:
    """A category column (> 20 levels, not an ID) whose tail of levels each under 1 % is worth grouping."""
    if not is_text(s) or is_named_like_id(s.name) or looks_like_identifier(s):
        return False
    counts = as_plain_text(s).value_counts()
    present = int(counts.sum())
    if len(counts) <= RARE_MIN_LEVELS or len(counts) >= 0.5 * present:
        return False
    common = counts[counts / present >= RARE_MIN_SHARE]
    return len(common) >= 2 and len(counts) - len(common) >= 2 and common.sum() >= 0.5 * present


def find_impossible_bounds(s: pd.Series) -> tuple[float | None, float | None] | None:
    """(lower, upper) keeping plausible values, or None. Values outside are "impossible":

    - rare negative codes (-1, -99, -999...) in an otherwise non-negative column, and
    - rare values beyond the 1.5 IQR fences separated from all other values by a wide gap on a
      log scale (at least 5x, and 40 % of the bulk's log span): tenure 999 when the rest is
      0-72, a charge of 9999 when the rest is 18-119. A long natural tail has no such gap.
    """
    if not is_number(s):
        return None
    x = s.dropna().to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 20:
        return None
    lower = upper = None
    negatives = np.unique(x[x < 0])
    if 0 < (x < 0).sum() <= SENTINEL_MAX_SHARE * n and set(negatives) <= SENTINEL_NEGATIVES:
        lower = 0.0
        x = x[x >= 0]
    q1, q3 = np.quantile(x, [0.25, 0.75])
    iqr = q3 - q1
    if iqr > 0:
        fence_lo, fence_hi = q1 - 1.5 * iqr, q3 + 1.5 * iqr
        t = _slog(x)
        bulk = t[(x >= fence_lo) & (x <= fence_hi)]
        min_gap = max(OUTLIER_GAP_OF_SPAN * (bulk.max() - bulk.min()), math.log(OUTLIER_MIN_RATIO))
        cut = _gap_cut(np.unique(t[x > fence_hi]), bulk.max(), min_gap, t, n, upper_side=True)
        if cut is not None:
            upper = _between(*cut)
        cut = _gap_cut(-np.unique(t[x < fence_lo])[::-1], -bulk.min(), min_gap, -t, n, upper_side=False)
        if cut is not None:
            lower = _between(-cut[1], -cut[0])
    if lower is None and upper is None:
        return None
    return lower, upper


def _gap_cut(
    candidates: np.ndarray, edge: float, min_gap: float, t: np.ndarray, n: int, upper_side: bool
) -> tuple[float, float] | None:
    """Walk outwards from the bulk edge; the first wide gap with few values beyond it is the cut."""
    previous = edge
    for value in np.sort(candidates):
        if value - previous >= min_gap and (t >= value).sum() <= OUTLIER_MAX_SHARE * n:
            return previous, value
        previous = value
    return None


def _between(plausible_t: float, impossible_t: float) -> float:
    """A round bound halfway (log scale) between the last plausible and the first impossible value."""
    a, b = sorted((_unslog(plausible_t), _unslog(impossible_t)))
    mid = _unslog((plausible_t + impossible_t) / 2)
    for digits in (1, 2, 3, 6):
        rounded = float(f"{mid:.{digits}g}")
        if a < rounded < b:
            return rounded
    return float(mid)


def _slog(x: np.ndarray | float) -> Any:
    return np.sign(x) * np.log1p(np.abs(x))


def _unslog(t: float) -> float:
    return float(np.sign(t) * np.expm1(abs(t)))


def _suggest_fill(s: pd.Series) -> tuple[str, Any]:
    if pd.api.types.is_datetime64_any_dtype(s):
        median = s.dropna().sort_values().iloc[len(s.dropna()) // 2]
        return "median", median.isoformat()
    if is_number(s):
        values = s.dropna()
        if values.nunique() <= 2:  # 0/1 flags: the median of a flag is the mode anyway
            return "mode", native_value(values.mode().iloc[0])
        return "median", native_value(values.median())
    values = s.dropna()
    if is_text(s) and values.nunique() > 0.5 * len(values):  # IDs / free text: no meaningful mode
        return "constant", "(missing)"
    return "mode", native_value(fill_value(s, "mode"))
