"""Counterfactuals: the smallest changes to one row's actionable features that would flip the model's
decision (to a chosen class), or bring a regression's prediction to a value the user gives.

Our own search, not DiCE: dice-ml 0.12 requires xgboost and lightgbm (hundreds of MB) and wraps the
model in its own data interface; this needs only the fitted pipeline's ``predict_proba``/``predict``.

How it searches (every step batched into few model calls):

1. Candidate values per actionable feature from the training distribution: numbers at 13 quantiles
   (2% … 98%, rounded when the column holds whole numbers), categories among the 15 most frequent.
   Dates are never changed.
2. A beam search over sets of changes: depth 1 tries every single change, depth 2 extends the most
   promising rows of depth 1 by one more change, and so on up to ``max_changes``. A row ranks by how
   close the model comes to the goal, and by that closeness less its distance.
3. Each row that reaches the goal is made as small as it can be: changes that are not needed are
   dropped, and a number is moved back towards its original value as far as the goal still holds.
4. Every returned counterfactual is predicted again by the model, as a whole row: only those whose
   decision really is the goal are returned.

Distance: a changed category counts 1; a changed number counts its move divided by the column's
interquartile range (its spread in training), so "2 units of a narrow column" and "2,000 of a wide one"
compare fairly; a missing value filled in counts 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from core.formatting import format_exact
from core.i18n import _
from core.workspace.errors import ConfigError, DataError

QUANTILES = np.linspace(0.02, 0.98, 13)
MAX_CATEGORIES = 15
SHRINK_STEPS = 20  # points tried between a number's original and counterfactual value
CLASSIFICATION = ("binary", "multiclass")


@dataclass(frozen=True)
class DecisionModel:
    """A fitted pipeline and how its scores become a decision.

    ``class_names`` are the decisions as people read them, aligned with the columns of
    ``predict_proba`` (a binary model trained on 0/1: [negative, positive]); ``threshold`` is the
    probability of the positive class (column 1) from which a binary model says positive.
    """

    predict_proba: Callable[[pd.DataFrame], np.ndarray] | None
    predict: Callable[[pd.DataFrame], np.ndarray] | None
    task: str
    class_names: tuple[str, ...] = ()
    threshold: float = 0.5
    target_name: str = ""

    @classmethod
    def from_pipeline(
        cls,
        pipeline: Any,
        task: str,
        *,
        class_names: Sequence[str] | None = None,
        threshold: float = 0.5,
        target_name: str = "",
    ) -> DecisionModel:
        if task not in (*CLASSIFICATION, "regression"):
            raise ConfigError(
                _("The 'task' must be binary, multiclass or regression; got {task} instead.").format(task=f"{task!r}")
            )
        if task == "regression":
            return cls(None, pipeline.predict, task, (), threshold, target_name)
        fitted = [str(c) for c in getattr(pipeline, "classes_", [])]
        names = [str(c) for c in class_names] if class_names and len(class_names) == len(fitted) else fitted
        return cls(pipeline.predict_proba, None, task, tuple(names), float(threshold), target_name)

    def decide(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(decision per row as text, the scores: class probabilities (n, classes) or values (n,))."""
        if self.task == "regression":
            values = np.asarray(self.predict(rows), dtype=float)  # type: ignore[misc]
            return np.char.mod("%.10g", values), values
        proba = np.asarray(self.predict_proba(rows), dtype=float)  # type: ignore[misc]
        names = np.asarray(self.class_names, dtype=object)
        if self.task == "binary":
            return np.where(proba[:, 1] >= self.threshold, names[1], names[0]).astype(str), proba
        return names[proba.argmax(axis=1)].astype(str), proba


@dataclass(frozen=True)
class Outcome:
    """What the model says for one row: its decision and the number behind it (the probability of
    the decision's class, or the predicted value)."""

    label: str
    score: float
    probabilities: dict[str, float] = field(default_factory=dict)  # per class (classification)


@dataclass(frozen=True)
class Change:
    feature: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Counterfactual:
    changes: tuple[Change, ...]
    outcome: Outcome  # the model's answer for the changed row, predicted again
    distance: float
    row: pd.DataFrame  # the changed row, as the model read it


@dataclass(frozen=True)
class CounterfactualResult:
    original: Outcome
    goal: str  # "'stays'" or "at least 250"
    task: str
    actionable: tuple[str, ...]  # the features the search could change
    counterfactuals: tuple[Counterfactual, ...]
    message: str = ""  # why none was found ("" when some were)
    rows_tried: int = 0
    target_name: str = ""
    positive_class: str = ""  # binary: the class whose probability sentences quote
    threshold: float | None = None  # binary: the probability of ``positive_class`` from which the model says it


def find_counterfactuals(
    model: DecisionModel,
    row: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    actionable: Sequence[str],
    desired_class: str | None = None,
    target_value: float | None = None,
    max_changes: int = 3,
    how_many: int = 3,
    beam_width: int = 8,
) -> CounterfactualResult:
    """Up to ``how_many`` counterfactuals for the one-row table ``row`` (the model's input columns),
    changing only ``actionable`` features, at most ``max_changes`` at a time, with values drawn from
    ``reference`` (training rows). Classification: towards ``desired_class`` (default: the other
    class for binary, the next most likely for multiclass). Regression: to a prediction of at least
    ``target_value`` (or at most, when it lies below the current prediction).
    Returns a result with no counterfactuals and a ``message`` when none is found."""
    if not isinstance(row, pd.DataFrame) or len(row) != 1:
        raise DataError(_("A counterfactual is found for exactly one row; choose one row to explain."))
    if max_changes < 1 or how_many < 1 or beam_width < 1:
        raise ConfigError(
            _(
                "The 'max_changes', 'how_many' and 'beam_width' of a counterfactual search must be at least 1; got {max_changes}, {how_many} and {beam_width} instead."
            ).format(max_changes=max_changes, how_many=how_many, beam_width=beam_width)
        )
    row = row.reset_index(drop=True)
    labels, scores = model.decide(row)
    original = _outcome(model, labels[0], scores[0])
    goal = _Goal.make(model, original, scores[0], desired_class, target_value)
    unknown = [f for f in actionable if f not in row.columns]
    if unknown:
        raise ConfigError(
            _("These features are not inputs of the model: {join}.").format(join=", ".join(map(str, unknown)))
        )
    base = CounterfactualResult(
        original=original,
        goal=goal.text,
        task=model.task,
        actionable=tuple(str(f) for f in actionable),
        counterfactuals=(),
        target_name=model.target_name,
        positive_class=model.class_names[1] if model.task == "binary" else "",
        threshold=model.threshold if model.task == "binary" else None,
    )
    if goal.reached(labels, scores)[0]:
        already = _("already says") if model.task != "regression" else _("already predicts")
        return _replace(
            base,
            message=_("The model {already} {text} for this row; choose another outcome.").format(
                already=already, text=goal.text
            ),
        )
    space = _SearchSpace.make(row, reference, actionable)
    if not space.values:
        return _replace(
            base,
            message=_(
                "No feature may change: tick at least one feature (numbers or categories) the person could change."
            ),
        )
    base = _replace(base, actionable=tuple(space.values))  # what the search could change (never dates)
    search = _Search(model, goal, space, row)
    # Many predictions of a few hundred rows: threads only add overhead (30x slower measured with
    # histogram gradient boosting on 2 busy cores), as in the trainer.
    with threadpool_limits(limits=1):
        found = search.run(max_changes, how_many, beam_width)
        shortlist = _best_distinct(found, 3 * how_many, search.distance)  # minimising costs model calls
        kept = _best_distinct([search.minimise(a) for a in shortlist], how_many, search.distance)
        counterfactuals = tuple(cf for cf in (search.validate(a) for a in kept) if cf is not None)
    if not counterfactuals:
        names = list(space.values)
        allowed = ", ".join(names[:6]) + (_(" and {value} more").format(value=len(names) - 6) if len(names) > 6 else "")
        return _replace(
            base,
            rows_tried=search.rows_tried,
            message=_(
                "No combination of {up_to}changes to the features allowed to change ({allowed}) {verb} {text}; allow more features to change"
            ).format(up_to=_up_to(max_changes, len(names)), allowed=allowed, verb=goal.verb, text=goal.text)
            + (_(", or more changes at a time.") if max_changes < len(names) else "."),
        )
    return _replace(base, counterfactuals=counterfactuals, rows_tried=search.rows_tried)


def _up_to(max_changes: int, features: int) -> str:
    return _("up to {max_changes} ").format(max_changes=max_changes) if max_changes < features else ""


def _replace(result: CounterfactualResult, **changes: Any) -> CounterfactualResult:
    from dataclasses import replace

    return replace(result, **changes)


def _outcome(model: DecisionModel, label: str, scores: Any) -> Outcome:
    if model.task == "regression":
        return Outcome(str(label), float(scores))
    probabilities = {name: float(p) for name, p in zip(model.class_names, np.asarray(scores, dtype=float))}
    return Outcome(str(label), probabilities.get(str(label), float("nan")), probabilities)


@dataclass(frozen=True)
class _Goal:
    """What counts as reached, and how near a row comes (>= 0 when reached)."""

    task: str
    text: str
    column: int = -1  # classification: the desired class's column
    threshold: float = 0.5
    target: float = 0.0
    direction: float = 1.0
    scale: float = 1.0

    @classmethod
    def make(
        cls, model: DecisionModel, original: Outcome, scores: Any, desired: str | None, target: float | None
    ) -> _Goal:
        if model.task == "regression":
            if target is None or not np.isfinite(float(target)):
                raise ConfigError(_("Give the value the prediction should reach (a finite number)."))
            current = float(scores)
            direction = 1.0 if float(target) >= current else -1.0
            side = _("at least") if direction > 0 else _("at most")
            scale = max(abs(float(target) - current), 1e-12)
            return cls(
                "regression",
                f"{side} {format_exact(float(target))}",
                target=float(target),
                direction=direction,
                scale=scale,
            )
        names = list(model.class_names)
        if desired is None:
            ranked = [names[i] for i in np.argsort(-np.asarray(scores, dtype=float))]
            desired = next(n for n in ranked if n != original.label)
        if str(desired) not in names:
            raise ConfigError(
                _("The class to reach must be one of {join}; got {desired} instead.").format(
                    join=", ".join(names), desired=f"{desired!r}"
                )
            )
        return cls(model.task, f"'{desired}'", column=names.index(str(desired)), threshold=model.threshold)

    @property
    def verb(self) -> str:
        return _("brings the prediction to") if self.task == "regression" else _("makes the model say")

    def nearness(self, scores: np.ndarray) -> np.ndarray:
        """How near each row's scores are to the goal (>= 0 when reached), in probability or in
        units of the distance from the original prediction to the target."""
        if self.task == "regression":
            return self.direction * (np.asarray(scores, dtype=float) - self.target) / self.scale
        if self.task == "binary":
            positive = scores[:, 1]
            return positive - self.threshold if self.column == 1 else self.threshold - positive
        others = np.delete(scores, self.column, axis=1)
        return scores[:, self.column] - others.max(axis=1)

    def reached(self, labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
        if self.task == "regression":
            return self.nearness(scores) >= 0
        return labels == self.text[1:-1]


@dataclass
class _SearchSpace:
    values: dict[str, list[Any]]  # per actionable feature, the values it may take (not the current one)
    scales: dict[str, float]  # numbers: the interquartile range (or spread) the distance divides by
    decimals: dict[str, int]  # numbers: the decimals the column is written with (0: whole numbers)

    @classmethod
    def make(cls, row: pd.DataFrame, reference: pd.DataFrame, actionable: Sequence[str]) -> _SearchSpace:
        values: dict[str, list[Any]] = {}
        scales: dict[str, float] = {}
        decimals: dict[str, int] = {}
        for feature in actionable:
            if feature not in reference.columns:
                continue
            column = reference[feature].dropna()
            current = row[feature].iloc[0]
            if column.empty or pd.api.types.is_datetime64_any_dtype(column):
                continue
            if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
                numbers = column.to_numpy(dtype=float)
                numbers = numbers[np.isfinite(numbers)]
                if numbers.size == 0:
                    continue
                places = _decimals(numbers)
                candidates = np.unique(np.round(np.quantile(numbers, QUANTILES), places))
                q25, q75 = np.quantile(numbers, [0.25, 0.75])
                spread = float(q75 - q25) or float(numbers.std()) or 1.0
                options = [float(v) for v in candidates if pd.isna(current) or v != float(current)]
                scales[feature], decimals[feature] = spread, places
            else:
                counts = column.value_counts()
                options = [v for v in counts.index[:MAX_CATEGORIES] if pd.isna(current) or v != current]
            if options:
                values[str(feature)] = options
        return cls(values, scales, decimals)


class _Search:
    def __init__(self, model: DecisionModel, goal: _Goal, space: _SearchSpace, row: pd.DataFrame):
        self.model, self.goal, self.space, self.row = model, goal, space, row
        self.rows_tried = 0

    # -- rows ------------------------------------------------------------------------------------
    def rows(self, assignments: list[dict[str, Any]]) -> pd.DataFrame:
        """The original row once per assignment, with the assignment's values in place (dtypes kept)."""
        n = len(assignments)
        columns = {}
        for column in self.row.columns:
            original = self.row[column]
            if not any(column in a for a in assignments):
                columns[column] = pd.Series(np.repeat(original.to_numpy(), n), dtype=original.dtype)
                continue
            cells = np.empty(n, dtype=object)
            cells[:] = [a.get(column, original.iloc[0]) for a in assignments]
            columns[column] = _typed(cells, original.dtype)
        return pd.DataFrame(columns)

    def evaluate(self, assignments: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(reached, nearness, scores) of each assignment."""
        self.rows_tried += len(assignments)
        labels, scores = self.model.decide(self.rows(assignments))
        return self.goal.reached(labels, scores), self.goal.nearness(scores), scores

    def distance(self, assignment: dict[str, Any]) -> float:
        total = 0.0
        for feature, value in assignment.items():
            before = self.row[feature].iloc[0]
            if feature in self.space.scales and not pd.isna(before):
                total += abs(float(value) - float(before)) / self.space.scales[feature]
            else:
                total += 1.0
        return total

    # -- the beam search -------------------------------------------------------------------------
    def run(self, max_changes: int, how_many: int, beam_width: int) -> list[dict[str, Any]]:
        beam: list[dict[str, Any]] = [{}]
        found: list[dict[str, Any]] = []
        for _step in range(min(max_changes, len(self.space.values))):
            candidates = self._extend(beam)
            if not candidates:
                break
            reached, nearness, _unused = self.evaluate(candidates)
            found += [c for c, ok in zip(candidates, reached) if ok]
            if len({frozenset(c) for c in found}) >= how_many:
                break
            costs = np.array([self.distance(c) for c in candidates])
            open_ = np.flatnonzero(~reached)
            by_nearness = open_[np.argsort(-nearness[open_], kind="stable")]
            by_value = open_[np.argsort(-(nearness[open_] - 0.05 * costs[open_]), kind="stable")]
            keep = list(dict.fromkeys([*by_nearness[: beam_width // 2 + 1], *by_value[:beam_width]]))[:beam_width]
            beam = [candidates[i] for i in keep]
        return found

    def _extend(self, beam: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[frozenset] = set()
        out = []
        for state in beam:
            for feature, options in self.space.values.items():
                if feature in state:
                    continue
                for value in options:
                    candidate = {**state, feature: value}
                    key = frozenset(candidate.items())
                    if key not in seen:
                        seen.add(key)
                        out.append(candidate)
        return out

    # -- making a found row as small as it can be ------------------------------------------------
    def minimise(self, assignment: dict[str, Any]) -> dict[str, Any]:
        """Drop the changes that are not needed (the costliest first), then move each number back
        towards its original value as far as the goal still holds."""
        current = dict(assignment)
        for feature in sorted(current, key=lambda f: -self.distance({f: current[f]})):
            if len(current) == 1:
                break
            without = {f: v for f, v in current.items() if f != feature}
            if self.evaluate([without])[0][0]:
                current = without
        for feature in list(current):
            before = self.row[feature].iloc[0]
            if feature not in self.space.scales or pd.isna(before):
                continue
            low = float(before)
            for _pass in range(2):  # a coarse grid, then a fine one between its last miss and first hit
                tries = self._towards(current, feature, low, float(current[feature]))
                reached = self.evaluate(tries)[0] if tries else np.zeros(0, dtype=bool)
                if not reached.any():
                    break
                hit = int(np.flatnonzero(reached)[0])
                low = float(tries[hit - 1][feature]) if hit else low
                current = tries[hit]
        return current

    def _towards(self, current: dict[str, Any], feature: str, start: float, end: float) -> list[dict[str, Any]]:
        """``current`` with ``feature`` at points from ``start`` (excluded) to ``end``, nearest first,
        written with the column's decimals."""
        before = float(self.row[feature].iloc[0])
        steps = np.unique(np.round(np.linspace(start, end, SHRINK_STEPS + 1)[1:], self.space.decimals[feature]))
        steps = steps[(steps != before) & (steps != start)]
        steps = steps[np.argsort(np.abs(steps - before), kind="stable")]
        return [{**current, feature: float(v)} for v in steps]

    def validate(self, assignment: dict[str, Any]) -> Counterfactual | None:
        """The counterfactual, predicted again as a whole row; None when it does not reach the goal."""
        rows = self.rows([assignment])
        labels, scores = self.model.decide(rows)
        if not self.goal.reached(labels, scores)[0]:
            return None
        changes = tuple(
            Change(feature, _plain(self.row[feature].iloc[0]), _plain(rows[feature].iloc[0]))
            for feature in self.row.columns
            if feature in assignment
        )
        return Counterfactual(changes, _outcome(self.model, labels[0], scores[0]), self.distance(assignment), rows)


def _best_distinct(
    assignments: list[dict[str, Any]], how_many: int, distance: Callable[[dict[str, Any]], float]
) -> list[dict[str, Any]]:
    """The nearest assignment per set of changed features, fewest changes first, then nearest."""
    best: dict[frozenset, dict[str, Any]] = {}
    for assignment in assignments:
        key = frozenset(assignment)
        if key not in best or distance(assignment) < distance(best[key]):
            best[key] = assignment
    return sorted(best.values(), key=lambda a: (len(a), distance(a)))[:how_many]


def _decimals(numbers: np.ndarray) -> int:
    """The fewest decimals (up to 6) that write every value of a column exactly (0: whole numbers)."""
    sample = numbers[:5000]
    for places in range(7):
        if np.allclose(sample, np.round(sample, places), rtol=0, atol=1e-9 * max(1.0, float(np.abs(sample).max()))):
            return places
    return 6


def _typed(cells: np.ndarray, dtype: Any) -> pd.Series:
    """Cells as a column of ``dtype`` when they fit it (an int column given 14.5 becomes float)."""
    try:
        typed = pd.Series(cells, dtype=dtype)
        if pd.api.types.is_integer_dtype(dtype) and not np.array_equal(
            typed.to_numpy(dtype=float), cells.astype(float)
        ):
            raise ValueError
        return typed
    except (TypeError, ValueError):
        return pd.Series(pd.to_numeric(pd.Series(cells), errors="coerce") if _numbers(cells) else cells)


def _numbers(cells: np.ndarray) -> bool:
    return all(isinstance(c, (int, float, np.integer, np.floating)) or pd.isna(c) for c in cells)


def _plain(value: Any) -> Any:
    """A cell as a plain Python value (numpy scalars read as numbers in JSON and sentences)."""
    if isinstance(value, np.generic):
        return value.item()
    return value
