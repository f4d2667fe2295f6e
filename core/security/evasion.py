"""Evasion: how easily can an applicant flip the model's decision by changing what they control?

For the rows the model does not give the outcome an attacker wants (a rejected applicant), search for a
small change to the features the attacker controls that makes the model say it, within a budget the
user chooses: a number may move at most a fraction of its spread (the interquartile range in training)
either way, and stay inside the range training saw; a category may move only to the alternatives the
budget allows. Immutable features (``core.explain.immutable``: the sensitive column, age, gender, dates)
are never changed, whatever the budget says. The result is the share of those rows that flip, and the
cheapest flip found, as an example.

The search is the counterfactual search of ``core.explain.counterfactual`` (a beam search validated
against the model: every flip it returns has been scored again by the model as a whole row), given, for
each row, the values the budget allows as its candidate values. No second search is written here.

Why not the Adversarial Robustness Toolbox (ART): its attacks (HopSkipJump, ZOO, boundary, the
gradient ones) work on a numeric array in the estimator's input space. Our models are scikit-learn
pipelines that take a table with text categories and missing values and one-hot encode inside; ART's
``SklearnClassifier`` wraps only a bare estimator (not such a pipeline), its perturbations move one-hot
columns to fractional values no applicant can write, and it has no notion of a per-feature budget, of
immutable columns or of "only these categories". Wrapping the pipeline in a black-box classifier over
an encoded array would leave all three to us anyway, for a large dependency; so we search in the
table's own values and check every flip against the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.explain.counterfactual import DecisionModel, find_counterfactuals
from core.i18n import _
from core.workspace.errors import ConfigError, DataError
from core.workspace.progress import Progress

CANDIDATES = 25  # points between a number's lowest and highest allowed value the search draws from
MAX_FRACTION = 3.0  # the most of its spread a budget may let a number move
DEFAULT_FRACTION = 0.1
DEFAULT_MAX_ROWS = 40


@dataclass(frozen=True)
class EvasionBudget:
    """What an attacker may change: ``numeric`` {feature: the fraction of its spread it may move, each
    way}; ``categorical`` {feature: the categories it may move to}; at most ``max_changes`` features
    at once. A feature in neither stays as it is."""

    numeric: dict[str, float] = field(default_factory=dict)
    categorical: dict[str, tuple[str, ...]] = field(default_factory=dict)
    max_changes: int = 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric": {k: float(v) for k, v in self.numeric.items()},
            "categorical": {k: list(v) for k, v in self.categorical.items()},
            "max_changes": int(self.max_changes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvasionBudget:
        return cls(
            numeric={str(k): float(v) for k, v in (data.get("numeric") or {}).items()},
            categorical={str(k): tuple(str(x) for x in v) for k, v in (data.get("categorical") or {}).items()},
            max_changes=int(data.get("max_changes", 2)),
        )

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *[f for f in self.categorical if f not in self.numeric]]


def check_budget(budget: EvasionBudget, features: Sequence[str], immutable: Sequence[str]) -> EvasionBudget:
    """The budget with immutable features taken out (an attacker never changes them); a ConfigError for
    a feature the model does not take, a fraction outside 0-3 or ``max_changes`` below 1."""
    known = {str(f) for f in features}
    unknown = [f for f in budget.features if f not in known]
    if unknown:
        raise ConfigError(
            _("These features are not inputs of the model: {join}.").format(join=", ".join(map(str, unknown)))
        )
    for feature, fraction in budget.numeric.items():
        if not np.isfinite(fraction) or not 0 < fraction <= MAX_FRACTION:
            raise ConfigError(
                _(
                    "The budget of '{feature}' must be a fraction of its spread above 0 and at most {most}; got {value} instead."
                ).format(feature=feature, most=MAX_FRACTION, value=fraction)
            )
    if budget.max_changes < 1:
        raise ConfigError(
            _("The 'max_changes' of an evasion budget must be at least 1; got {value} instead.").format(
                value=budget.max_changes
            )
        )
    fixed = {str(f) for f in immutable}
    return EvasionBudget(
        numeric={f: float(v) for f, v in budget.numeric.items() if f not in fixed},
        categorical={f: tuple(v) for f, v in budget.categorical.items() if f not in fixed and v},
        max_changes=int(budget.max_changes),
    )


def default_budget(
    reference: pd.DataFrame,
    features: Sequence[str],
    immutable: Sequence[str] = (),
    *,
    fraction: float = DEFAULT_FRACTION,
    max_changes: int = 2,
) -> EvasionBudget:
    """Every mutable number may move ``fraction`` of its spread; every mutable category may take any
    of its (up to 15) most frequent values; dates and immutable features stay."""
    fixed = {str(f) for f in immutable}
    numeric: dict[str, float] = {}
    categorical: dict[str, tuple[str, ...]] = {}
    for feature in features:
        if feature in fixed or feature not in reference.columns:
            continue
        column = reference[feature].dropna()
        if column.empty or pd.api.types.is_datetime64_any_dtype(column):
            continue
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            numeric[str(feature)] = float(fraction)
        elif column.nunique() > 1:
            categorical[str(feature)] = tuple(str(v) for v in column.value_counts().index[:15])
    return EvasionBudget(numeric, categorical, max_changes)


@dataclass(frozen=True)
class Flip:
    """One row whose decision the budget flips: what changed (feature, before, after), how much of the
    budget's units it cost (a number's move over its spread, plus 1 per changed category), and the
    model's decision and probability of the wanted outcome before and after (scored again)."""

    row: int  # position of the row among the rows measured
    changes: list[tuple[str, Any, Any]]
    cost: float
    before: str
    after: str
    before_probability: float
    after_probability: float


@dataclass(frozen=True)
class EvasionResult:
    desired: str  # the decision the attacker wants
    rows: int  # rows measured (the model's answers on them)
    attacked: int  # of which the model did not say ``desired``: the rows an attacker would try to flip
    tried: int  # of which the search tried (a seeded sample of at most ``max_rows``)
    flipped: int  # of which the budget flipped
    budget: dict[str, Any]
    flips: list[Flip] = field(default_factory=list)  # cheapest first
    skipped_immutable: list[str] = field(default_factory=list)  # budget features left out as immutable

    @property
    def rate(self) -> float:
        """The share of tried rows that flip (NaN when none was tried)."""
        return self.flipped / self.tried if self.tried else float("nan")

    @property
    def cheapest(self) -> Flip | None:
        return self.flips[0] if self.flips else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rate"] = self.rate if self.tried else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvasionResult:
        flips = [
            Flip(
                row=int(f["row"]),
                changes=[(str(c[0]), c[1], c[2]) for c in f["changes"]],
                cost=float(f["cost"]),
                before=str(f["before"]),
                after=str(f["after"]),
                before_probability=float(f["before_probability"]),
                after_probability=float(f["after_probability"]),
            )
            for f in data.get("flips", [])
        ]
        return cls(
            desired=str(data["desired"]),
            rows=int(data["rows"]),
            attacked=int(data["attacked"]),
            tried=int(data["tried"]),
            flipped=int(data["flipped"]),
            budget=dict(data["budget"]),
            flips=flips,
            skipped_immutable=[str(f) for f in data.get("skipped_immutable", [])],
        )


@dataclass(frozen=True)
class _Bounds:
    spread: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    decimals: dict[str, int]

    @classmethod
    def of(cls, reference: pd.DataFrame, features: Sequence[str]) -> _Bounds:
        spread, low, high, decimals = {}, {}, {}, {}
        for feature in features:
            numbers = pd.to_numeric(reference[feature], errors="coerce").to_numpy(dtype=float)
            numbers = numbers[np.isfinite(numbers)]
            if numbers.size == 0:
                continue
            q25, q75 = np.quantile(numbers, [0.25, 0.75])
            spread[feature] = float(q75 - q25) or float(numbers.std()) or 1.0
            low[feature], high[feature] = float(numbers.min()), float(numbers.max())
            decimals[feature] = _decimals(numbers)
        return cls(spread, low, high, decimals)

    def allowed(self, feature: str, value: float, fraction: float) -> tuple[float, float]:
        """The lowest and highest value ``feature`` may take from ``value`` under ``fraction``."""
        move = fraction * self.spread[feature]
        return max(value - move, self.low[feature]), min(value + move, self.high[feature])


def decision_of(model: DecisionModel, rows: pd.DataFrame) -> np.ndarray:
    return model.decide(rows)[0]


def measure_evasion(
    model: DecisionModel,
    rows: pd.DataFrame,
    reference: pd.DataFrame,
    budget: EvasionBudget,
    *,
    desired_class: str | None = None,
    immutable: Sequence[str] = (),
    max_rows: int = DEFAULT_MAX_ROWS,
    seed: int = 0,
    progress: Progress | None = None,
) -> EvasionResult:
    """The share of ``rows`` (the model's input columns) whose decision is not ``desired_class``
    (default: the positive class) that a change within ``budget`` makes the model say it; the search
    tries a seeded sample of at most ``max_rows`` of them. ``reference``: training rows (the spread and
    range of each number). Every flip is scored again by the model before it counts."""
    if model.task not in ("binary", "multiclass"):
        raise ConfigError(
            _("Evasion is measured for a model that decides between classes; this one predicts a number (regression).")
        )
    if rows.empty:
        raise DataError(_("There are no rows to measure evasion on; train a model with a holdout first."))
    if max_rows < 1:
        raise ConfigError(
            _("The 'max_rows' of an evasion measurement must be at least 1; got {value} instead.").format(
                value=max_rows
            )
        )
    names = list(model.class_names)
    desired = str(desired_class) if desired_class is not None else names[-1]
    if desired not in names:
        raise ConfigError(
            _("The class to reach must be one of {join}; got {desired} instead.").format(
                join=", ".join(names), desired=f"{desired!r}"
            )
        )
    skipped = sorted({f for f in budget.features if f in {str(i) for i in immutable}})
    budget = check_budget(budget, rows.columns, immutable)
    numeric = [f for f in budget.numeric if f in reference.columns]
    bounds = _Bounds.of(reference, numeric)
    rows = rows.reset_index(drop=True)
    decisions = decision_of(model, rows)
    attacked = np.flatnonzero(decisions != desired)
    rng = np.random.default_rng(seed)
    tried = np.sort(rng.choice(attacked, min(max_rows, attacked.size), replace=False)) if attacked.size else attacked
    flips: list[Flip] = []
    for step, position in enumerate(tried):
        if progress is not None:
            progress(
                step / max(len(tried), 1), _("Trying to flip row {n} of {total}…").format(n=step + 1, total=len(tried))
            )
        flip = _flip_row(model, rows.iloc[[int(position)]], budget, bounds, desired, int(position))
        if flip is not None:
            flips.append(flip)
    flips.sort(key=lambda f: (f.cost, f.row))
    return EvasionResult(
        desired=desired,
        rows=len(rows),
        attacked=int(attacked.size),
        tried=int(len(tried)),
        flipped=len(flips),
        budget=budget.to_dict(),
        flips=flips,
        skipped_immutable=skipped,
    )


def _candidates(row: pd.DataFrame, budget: EvasionBudget, bounds: _Bounds) -> pd.DataFrame:
    """A table whose columns hold, per feature the budget lets change on this row, the values it may
    take: what the counterfactual search draws its candidates from."""
    columns: dict[str, pd.Series] = {}
    for feature, fraction in budget.numeric.items():
        value = pd.to_numeric(row[feature], errors="coerce").iloc[0]
        if feature not in bounds.spread or pd.isna(value):
            continue
        low, high = bounds.allowed(feature, float(value), fraction)
        points = np.unique(np.round(np.linspace(low, high, CANDIDATES), bounds.decimals[feature]))
        points = points[(points >= low - 1e-12) & (points <= high + 1e-12)]
        if points.size:
            columns[feature] = pd.Series(points, dtype=float)
    for feature, allowed in budget.categorical.items():
        current = row[feature].iloc[0]
        options = [v for v in allowed if pd.isna(current) or str(v) != str(current)]
        if options:
            columns[feature] = pd.Series(options, dtype=object)
    return pd.DataFrame(columns)


def _flip_row(
    model: DecisionModel, row: pd.DataFrame, budget: EvasionBudget, bounds: _Bounds, desired: str, position: int
) -> Flip | None:
    candidates = _candidates(row, budget, bounds)
    if candidates.empty:
        return None
    found = find_counterfactuals(
        model,
        row,
        candidates,
        actionable=list(candidates.columns),
        desired_class=desired,
        max_changes=min(budget.max_changes, len(candidates.columns)),
        how_many=1,
        beam_width=6,
    )
    if not found.counterfactuals:
        return None
    cf = found.counterfactuals[0]
    changes = [(c.feature, c.before, c.after) for c in cf.changes]
    if not within_budget(changes, budget, bounds):  # never report a flip the budget does not allow
        return None
    return Flip(
        row=position,
        changes=changes,
        cost=_cost(changes, bounds),
        before=found.original.label,
        after=cf.outcome.label,
        before_probability=float(found.original.probabilities.get(desired, float("nan"))),
        after_probability=float(cf.outcome.probabilities.get(desired, float("nan"))),
    )


def within_budget(changes: Sequence[tuple[str, Any, Any]], budget: EvasionBudget, bounds: _Bounds) -> bool:
    if len(changes) > budget.max_changes:
        return False
    for feature, before, after in changes:
        if feature in budget.numeric and feature in bounds.spread:
            low, high = bounds.allowed(feature, float(before), budget.numeric[feature])
            if not low - 1e-9 <= float(after) <= high + 1e-9:
                return False
        elif feature in budget.categorical:
            if str(after) not in budget.categorical[feature]:
                return False
        else:
            return False
    return True


def _cost(changes: Sequence[tuple[str, Any, Any]], bounds: _Bounds) -> float:
    total = 0.0
    for feature, before, after in changes:
        if feature in bounds.spread:
            total += abs(float(after) - float(before)) / bounds.spread[feature]
        else:
            total += 1.0
    return float(total)


def bounds_of(reference: pd.DataFrame, budget: EvasionBudget) -> _Bounds:
    """The spreads and ranges a budget's numbers are measured with (for checks and perturbations)."""
    return _Bounds.of(reference, [f for f in budget.numeric if f in reference.columns])


def perturb(rows: pd.DataFrame, reference: pd.DataFrame, budget: EvasionBudget, *, seed: int = 0) -> pd.DataFrame:
    """A copy of ``rows`` with random changes inside ``budget``: each number the budget names moves by a
    uniform draw within its allowed range, each category it names switches to one of its allowed
    alternatives with probability one half. What adversarial training adds to the training rows."""
    rng = np.random.default_rng(seed)
    bounds = bounds_of(reference, budget)
    out = rows.copy()
    n = len(out)
    for feature, fraction in budget.numeric.items():
        if feature not in bounds.spread or feature not in out.columns:
            continue
        values = pd.to_numeric(out[feature], errors="coerce").to_numpy(dtype=float)
        scale = 10.0 ** bounds.decimals[feature]  # moves written with the column's decimals, never beyond the budget
        move = np.trunc(fraction * bounds.spread[feature] * rng.uniform(-1, 1, n) * scale) / scale
        moved = np.round(np.clip(values + move, bounds.low[feature], bounds.high[feature]), bounds.decimals[feature])
        moved = np.where(np.isfinite(values), moved, values)
        if pd.api.types.is_integer_dtype(out[feature].dtype) and bounds.decimals[feature] == 0:
            out[feature] = moved.astype(out[feature].dtype)
        else:
            out[feature] = moved
    for feature, allowed in budget.categorical.items():
        if feature not in out.columns or not allowed:
            continue
        switch = rng.random(n) < 0.5
        picks = np.asarray(allowed, dtype=object)[rng.integers(0, len(allowed), n)]
        column = out[feature].astype(object).to_numpy()
        column = np.where(switch, picks, column)
        out[feature] = _as_dtype(pd.Series(column, index=out.index), rows[feature].dtype)
    return out


def _as_dtype(column: pd.Series, dtype: Any) -> pd.Series:
    try:
        return column.astype(dtype)
    except (TypeError, ValueError):
        return column


def _decimals(numbers: np.ndarray) -> int:
    sample = numbers[:5000]
    scale = max(1.0, float(np.abs(sample).max())) if sample.size else 1.0
    for places in range(7):
        if np.allclose(sample, np.round(sample, places), rtol=0, atol=1e-9 * scale):
            return places
    return 6
