"""The served model: one registered version ready to answer, with its recipe, pipeline, input
schema, validation rules and decision threshold, read from the registry once and held in memory
(versions never change: `load_served` keeps the latest few per workspace, version and artifact
hash). Its preprocessing is compiled to numpy when it can be (`compiled`). It turns a request's
rows into the model's input table (with each row's problems) and into answers.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from core.data.cleaning import apply_recipe
from core.data.datasets import load_recipe, load_rules
from core.data.validation import RowFinding, ValidationRules, Violation, check_rows
from core.deployment.compiled import CompiledTransform, Fallback, compile_preprocessor
from core.deployment.date_formats import reader_date_formats
from core.deployment.fast_reader import FastReader
from core.deployment.request import (
    InputProblem,
    blank_cells,
    infinite_cells,
    quoted_value,
    read_dates,
    read_numbers,
    read_request,
    shown_value,
    structured_cells,
    type_words,
)
from core.deployment.row_checks import RowChecks
from core.features.preprocessing import DateParts
from core.formatting import format_date, format_exact
from core.registry.versions import get_decision_threshold, get_version, load_version_model
from core.security.masking import pii_key_scope
from core.workspace.database import Workspace
from core.workspace.errors import RequestError

# Tree models compute in 32-bit floats: a feature beyond this (after scaling) cannot be scored.
LARGEST_FEATURE = float(np.finfo(np.float32).max)

# Served models by (workspace folder, version id, artifact hash), newest use last; shared read-only
# by every session, job and request thread. A version never changes, so nothing goes stale.
SERVED_CACHE_SIZE = 16
_served_cache: OrderedDict[tuple[str, int, str], ServedModel] = OrderedDict()
_cache_lock = threading.Lock()
_roots: dict[str, str] = {}  # a workspace folder as given -> as resolved (a system call saved per request)


class ServedModel:
    """One registered version ready to answer: its recipe, pipeline, and how to turn scores into labels.

    `required_columns` is the model's input schema: the columns its preprocessor reads, each of a
    kind (`input_kinds`: numeric, categorical, datetime). Requests are checked against the rules
    of those columns only, never the target or the columns the problem leaves out.
    """

    def __init__(self, ws: Workspace, version_id: int):
        self.version = get_version(ws, version_id)
        lineage = json.loads(self.version["lineage_json"] or "{}")
        self.label = f"{self.version['model_name']} v{self.version['version']}"
        self.classes: list[str] = lineage.get("classes") or []
        self.task: str = lineage.get("task", "regression")
        self.threshold = get_decision_threshold(self.version)
        self.recipe = load_recipe(ws, lineage["recipe_id"]) if lineage.get("recipe_id") else None
        self._root = ws.root  # a hash step of the recipe hashes with this workspace's key
        rules = load_rules(ws, lineage["dataset_id"]) if lineage.get("dataset_id") else None
        self.pipeline = pipeline = load_version_model(ws, version_id)
        # Scored in two steps, so features too large to compute with can be caught per row.
        split = isinstance(pipeline, Pipeline) and len(pipeline.steps) > 1
        self._preprocess: Pipeline | None
        self._preprocess, self._estimator = (pipeline[:-1], pipeline[-1]) if split else (None, pipeline)
        self.input_columns: list[str] = list(getattr(pipeline, "feature_names_in_", []))
        self.input_kinds: dict[str, str] = _input_kinds(pipeline)
        self.required_columns: list[str] = list(self.input_kinds) or self.input_columns
        # Dates the reader typed at upload in a format of their own (03/05/2021) are read in it too.
        formats = reader_date_formats(ws, lineage.get("dataset_id"))
        self.date_formats = {c: f for c, f in formats.items() if self.input_kinds.get(c) == "datetime"}
        # Rules learned before the target was chosen name it (and IDs, the time column): a request
        # is checked on the model's own inputs only, also for versions registered before this rule.
        self.rules = ValidationRules.from_dict(rules).for_inputs(self.required_columns) if rules else None
        self._row_checks = RowChecks(self.rules, self.input_kinds) if self.rules is not None else None
        self._fast = FastReader(
            self.recipe, self.input_columns, self.input_kinds, self.required_columns, self.date_formats
        )
        # The fast reader needs the compiled transform, and rule checks that all run on arrays.
        self._compiled: CompiledTransform | None = None
        self.transform_note = "no preprocessing"
        if self._preprocess is not None:
            compiled = compile_preprocessor(self._preprocess, self._reference_frame())
            if isinstance(compiled, Fallback):
                self.transform_note = f"scikit-learn ({compiled.reason})"
            else:
                self._compiled, self.transform_note = compiled, "compiled"
        self._fast_ok = (
            self._fast.reason is None
            and self._compiled is not None
            and (self._row_checks is None or self._row_checks.slow is None)
        )

    @property
    def compiled(self) -> bool:
        """True when the preprocessing runs compiled to numpy (checked equal to scikit-learn at
        load); False when scikit-learn runs it (``transform_note`` says why)."""
        return self._compiled is not None

    def _reference_frame(self) -> pd.DataFrame:
        """An empty input table with the types the model reads (the compile check adds the rows)."""
        types = {"numeric": "float64", "datetime": "datetime64[us]"}
        return pd.DataFrame(
            {c: pd.Series(dtype=types.get(self.input_kinds.get(c, ""), object)) for c in self.input_columns}
        )

    def validate(self, rows: Any) -> list[Violation]:
        """What in these rows breaks the rules learned from the training data (after the recipe's
        value fixes, as the model will see them), for the model's input columns only."""
        if self.rules is None:
            return []
        rows = read_request(rows)
        unusable, _ = self._unusable_values(rows)
        prepared = self._replay_recipe(rows, unusable)
        for column, mask in unusable.items():  # the checks see what was sent, not the blank
            if column in prepared.columns:
                values = prepared[column].to_numpy(dtype=object, copy=True)
                values[mask] = rows[column].to_numpy(dtype=object)[mask]
                prepared[column] = pd.Series(values, index=prepared.index, dtype=object)
        return check_rows(prepared, self.rules)

    def read(self, rows: Any) -> tuple[pd.DataFrame, list[InputProblem]]:
        """(the model's input table, what in the rows it cannot take). Values the model cannot read
        as its input's type are problems of their row; the rest are replayed through the recipe's
        value fixes and read as numbers and dates, as the model was trained on them. Raises
        RequestError for a request that cannot be read at all."""
        return self._read(read_request(rows).reset_index(drop=True))  # rows are named by their position

    def _read(self, rows: pd.DataFrame) -> tuple[pd.DataFrame, list[InputProblem]]:
        missing = [c for c in self.required_columns if c not in rows.columns]
        if missing:
            raise RequestError(
                [
                    InputProblem(
                        None, c, "missing_column", None, f"{c} is missing; {self.label} needs it in every row."
                    )
                    for c in missing
                ],
                f"The request is missing column(s) {', '.join(missing)} that {self.label} needs; "
                f"send these columns: {', '.join(self.required_columns)}.",
            )
        unusable, problems = self._unusable_values(rows)
        replayed = self._replay_recipe(rows, unusable)
        if not self.input_columns:
            return replayed, sorted(problems + self._empty_rows(rows, problems), key=_row_position)
        read: dict[str, pd.Series] = {}
        for column, kind in self.input_kinds.items():
            if kind in ("numeric", "datetime") and column in replayed.columns:
                if kind == "numeric":
                    read[column], found = read_numbers(replayed[column], column, self._takes_booleans(column))
                else:
                    read[column], found = read_dates(replayed[column], column, self.date_formats.get(column))
                problems += found
        # Columns the model ignores (IDs…) need not be sent: they are blank.
        blank = pd.Series(np.nan, index=replayed.index)
        X = pd.DataFrame(
            {c: read[c] if c in read else replayed[c] if c in replayed.columns else blank for c in self.input_columns},
            index=replayed.index,
        )
        problems += self._empty_rows(rows, problems)
        return X, sorted(problems, key=_row_position)

    def answer(self, rows: Any, *, validate: bool = True) -> pd.DataFrame:
        """Per row (same index): prediction, score, error ('' when answered), problems (a list of
        InputProblem dicts) and status: "error" (not scored: a value it cannot take), "flagged"
        (scored, but a value breaks a rule learned from training; its problems say which) or
        "scored". ``validate=False`` skips the rules (every answered row is "scored")."""
        columns, index = self.answer_columns(rows, validate=validate)
        return pd.DataFrame(columns, index=index)

    def answer_columns(self, rows: Any, *, validate: bool = True) -> tuple[dict[str, Any], pd.Index]:
        """``answer`` as arrays (prediction, score, error, problems, status) and the rows' index:
        what ``serving.predict`` reads, without making a table of it."""
        if isinstance(rows, list) and self._fast_ok:
            fast = self._fast.read(rows)  # plain JSON rows, read fast: nothing in them is a problem
            answered = self._answer_fast(fast, validate) if fast is not None else None
            if answered is not None:
                return answered
        rows = read_request(rows)
        index = rows.index
        X, problems = self._read(rows.reset_index(drop=True))
        n = len(X)
        prediction = np.full(n, "", dtype=object)
        score = np.full(n, np.nan)
        status = np.full(n, "scored", dtype=object)
        cells: list[list[dict[str, Any]]] = [[] for _ in range(n)]
        scored = np.ones(n, dtype=bool)
        scored[[_row_position(p) for p in problems]] = False
        if scored.any():
            usable = scored.copy()
            features, too_large = self._features(X if usable.all() else X.loc[usable])
            problems += too_large
            scored[[_row_position(p) for p in too_large]] = False
            if scored.any():
                labels, scores = self._predict(features[scored[usable]] if too_large else features)
                prediction[scored] = labels
                score[scored] = scores
        for problem in problems:
            cells[_row_position(problem)].append(problem.to_dict())
        error = [" ".join(p["message"] for p in found) if found else "" for found in cells]
        status[~scored] = "error"
        if validate and self._row_checks is not None and scored.any():
            positions = np.flatnonzero(scored)
            for finding in self._row_checks.check(X if scored.all() else X.loc[scored]):
                row = int(positions[finding.row])
                cells[row].append(self._rule_problem(finding, row, X).to_dict())
                status[row] = "flagged"
        answer = {
            "prediction": prediction,
            "score": score,
            "error": np.array(error, dtype=object),
            "problems": _object_array(cells),
            "status": status,
        }
        return answer, index

    def _answer_fast(self, columns: dict[str, np.ndarray], validate: bool) -> tuple[dict[str, Any], pd.Index] | None:
        """``answer`` for rows the fast reader read (``columns``: the input table as arrays); None
        when a feature is too large after all (the general way names it)."""
        n = len(next(iter(columns.values())))
        dense = self._compiled.transform(columns)  # type: ignore[union-attr]
        with np.errstate(invalid="ignore"):
            if not (np.abs(dense) <= LARGEST_FEATURE).all():
                return None
        prediction = np.full(n, "", dtype=object)
        score = np.full(n, np.nan)
        prediction[:], score[:] = self._predict(dense)
        status = np.full(n, "scored", dtype=object)
        cells: list[list[dict[str, Any]]] = [[] for _ in range(n)]
        if validate and self._row_checks is not None:
            X = None
            for finding in self._row_checks.check(columns):
                X = pd.DataFrame(columns) if X is None else X
                cells[finding.row].append(self._rule_problem(finding, finding.row, X).to_dict())
                status[finding.row] = "flagged"
        error = np.full(n, "", dtype=object)
        answer = {
            "prediction": prediction,
            "score": score,
            "error": error,
            "problems": _object_array(cells),
            "status": status,
        }
        return answer, pd.RangeIndex(n)

    def _rule_problem(self, finding: RowFinding, row: int, X: pd.DataFrame) -> InputProblem:
        """A rule one row breaks, as a problem of that row (the value as the model reads it)."""
        column, rule = finding.column, finding.rule_of
        value = X.iat[row, X.columns.get_loc(column)]
        shown = None if finding.rule == "missing_value" else shown_value(value)
        if finding.rule in ("below_min", "above_max"):
            bound = rule.min if finding.rule == "below_min" else rule.max
            dates = rule.kind == "datetime"
            shown = format_date(pd.Timestamp(value)) if dates else shown
            written = format_date(pd.Timestamp(bound)) if dates else format_exact(float(bound))  # type: ignore[arg-type]
            side = "lowest" if finding.rule == "below_min" else "highest"
            message = f"{column} is beyond the {side} value seen in training ({written}); got {shown}."
        elif finding.rule == "unknown_category":
            message = f"{column} has a category never seen in training; got {quoted_value(value, str(shown))}."
        else:
            message = f"{column} is missing, and it never was in the training data."
        return InputProblem(row, column, finding.rule, shown, message)

    def score(self, rows: Any) -> tuple[np.ndarray, np.ndarray]:
        """(labels, scores): scores are P(positive) for binary, max class probability for multiclass,
        the predicted value for regression. A row the model cannot take has label '' and score NaN."""
        answered, _ = self.answer_columns(rows, validate=False)
        return answered["prediction"].astype(str), answered["score"]

    # -- reading a request -----------------------------------------------------------------------
    def _unusable_values(self, rows: pd.DataFrame) -> tuple[dict[str, np.ndarray], list[InputProblem]]:
        """Cells no recipe step or model can take, per column: lists and mappings anywhere, infinite
        numbers in numeric inputs (a clipping step would quietly turn them into the bound). Problems
        are reported for the model's inputs only."""
        unusable: dict[str, np.ndarray] = {}
        problems: list[InputProblem] = []
        dtypes = rows.dtypes
        for column in rows.columns:
            numeric_input = self.input_kinds.get(column) == "numeric"
            if not (numeric_input or pd.api.types.is_object_dtype(dtypes[column])):
                continue  # only object columns hold lists; only numeric inputs are checked for infinity
            values = rows[column]
            structured = structured_cells(values)
            infinite = infinite_cells(values) if numeric_input else np.zeros(len(values), bool)
            if not (structured.any() or infinite.any()):
                continue
            unusable[column] = structured | infinite
            if column not in self.required_columns:
                continue
            raw = values.to_numpy(dtype=object)
            for i in np.flatnonzero(structured):
                problems.append(
                    InputProblem(
                        rows.index[i],
                        column,
                        "not_a_single_value",
                        shown_value(raw[i]),
                        f"{column} must be a single value; got {type_words(raw[i])} instead.",
                    )
                )
            for i in np.flatnonzero(infinite & ~structured):
                problems.append(
                    InputProblem(
                        rows.index[i],
                        column,
                        "not_finite",
                        shown_value(raw[i]),
                        f"{column} must be a finite number; got {quoted_value(raw[i], shown_value(raw[i]))} instead.",
                    )
                )
        return unusable, problems

    def _replay_recipe(self, rows: pd.DataFrame, unusable: dict[str, np.ndarray]) -> pd.DataFrame:
        """The recipe's value fixes on the rows, with the unusable cells blanked first."""
        blanked = rows.copy() if unusable else rows  # the recipe's steps return new frames
        for column, mask in unusable.items():
            blanked[column] = rows[column].mask(mask)
        if not self.recipe:
            return blanked
        with pii_key_scope(self._root):
            return apply_recipe(blanked, self.recipe, training=False)[0]

    def _takes_booleans(self, column: str) -> bool:
        """True/False are numbers only for a column that held 0/1 (or True/False) in training."""
        rule = self.rules.get(column) if self.rules is not None else None
        return rule is not None and rule.kind == "boolean"

    def _empty_rows(self, rows: pd.DataFrame, problems: list[InputProblem]) -> list[InputProblem]:
        """Rows with no value for any input (and nothing else wrong): an answer would be a guess."""
        columns = [c for c in self.required_columns if c in rows.columns]
        if not columns:
            return []
        empty = np.ones(len(rows), dtype=bool)
        dtypes = rows.dtypes
        for column in sorted(columns, key=lambda c: not pd.api.types.is_numeric_dtype(dtypes[c])):
            empty &= blank_cells(rows[column])  # numbers first: a row with one is not empty
            if not empty.any():
                return []
        empty &= ~rows.index.isin([p.row for p in problems])
        shown = ", ".join(columns[:5]) + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")
        return [
            InputProblem(
                rows.index[i],
                None,
                "no_inputs",
                None,
                f"The row has no value for any input of {self.label} ({shown}); send at least one.",
            )
            for i in np.flatnonzero(empty)
        ]

    # -- scoring ---------------------------------------------------------------------------------
    def _features(self, X: pd.DataFrame) -> tuple[Any, list[InputProblem]]:
        """The preprocessed features, and the rows whose features are too large to compute with
        (a value such as 1e308 is finite, but scaled and cast to 32 bits it is not)."""
        if self._preprocess is None:
            return X, []
        if self._compiled is not None:
            features = dense = self._compiled.transform(X)
        else:
            features = self._preprocess.transform(X)
            dense = np.asarray(features.toarray() if hasattr(features, "toarray") else features, dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ~(np.abs(dense) <= LARGEST_FEATURE)
        if not bad.any():
            return features, []
        sources = _feature_sources(self._preprocess, dense.shape[1])
        problems = []
        for i in np.flatnonzero(bad.any(axis=1)):
            columns = list(dict.fromkeys(sources[j] for j in np.flatnonzero(bad[i]))) or [None]
            for column in columns:
                value = shown_value(X.iat[i, X.columns.get_loc(column)]) if column in X.columns else None
                problems.append(
                    InputProblem(
                        X.index[i],
                        column,
                        "too_large",
                        value,
                        f"{column or 'A value'} is too large for {self.label} to compute with; got {value} instead.",
                    )
                )
        return features, problems

    def _predict(self, features: Any) -> tuple[np.ndarray, np.ndarray]:
        estimator = self._estimator
        if self.task == "regression":
            values = np.asarray(estimator.predict(features), dtype=float)
            # Ten significant digits, not four decimals: a target measured in millionths would read 0.0.
            return np.char.mod("%.10g", values), values
        proba = estimator.predict_proba(features)
        if self.task == "binary":
            pos = proba[:, 1]
            labels = np.where(
                pos >= self.threshold,
                self.classes[1] if len(self.classes) > 1 else "1",
                self.classes[0] if self.classes else "0",
            )
            return labels.astype(str), pos
        predicted = np.asarray(self.pipeline.classes_)[proba.argmax(axis=1)]
        return predicted.astype(str), proba.max(axis=1)


def _object_array(items: list[Any]) -> np.ndarray:
    """A 1-d object array of these items (lists stay items, not a second dimension)."""
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def _input_kinds(pipeline) -> dict[str, str]:
    """Input column -> numeric | categorical | datetime | other, for the columns the fitted
    preprocessor actually transforms (not the ones it drops), in its order."""
    preprocess = getattr(pipeline, "named_steps", {}).get("preprocess")
    kinds: dict[str, str] = {}
    for _, transformer, columns in getattr(preprocess, "transformers_", []):
        if isinstance(transformer, str) and transformer == "drop" or isinstance(columns, slice):
            continue
        kind = _transformer_kind(transformer)
        for column in np.atleast_1d(columns).tolist():
            if isinstance(column, str):
                kinds.setdefault(column, kind)
    return kinds


def _transformer_kind(transformer: Any) -> str:
    """What a step of the preprocessor reads, from what it is made of (step names changed over time)."""
    steps = [step for _, step in getattr(transformer, "steps", [("", transformer)])]
    if any(isinstance(step, DateParts) for step in steps):
        return "datetime"
    if any(hasattr(step, "categories_") for step in steps):  # one-hot or ordinal encoder
        return "categorical"
    if any(getattr(step, "strategy", None) in ("mean", "median") for step in steps):
        return "numeric"
    return "other"


def _row_position(problem: InputProblem) -> int:
    """Where a problem sorts in ``read``'s list: each one found there is of one row (a problem of the
    whole request is raised as a RequestError instead)."""
    assert problem.row is not None
    return problem.row


def _feature_sources(preprocess: Any, width: int) -> list[str | None]:
    """The input column behind each preprocessed feature (None where it cannot be told)."""
    from core.features.preprocessing import get_output_feature_sources

    step = preprocess[-1] if hasattr(preprocess, "steps") else preprocess
    sources: list[str | None]
    try:
        sources = list(get_output_feature_sources(step).values())
    except (AttributeError, ValueError, TypeError):  # another preprocessor shape: name no column
        sources = []
    return sources if len(sources) == width else [None] * width


def load_served(ws: Workspace, version_id: int, sha256: str | None = None) -> ServedModel:
    """The version ready to answer, from memory when it was loaded before. ``sha256`` (the
    version's artifact hash, which a deployment read with its versions carries) saves the one query
    that looks it up."""
    if sha256 is None:
        sha256 = str(get_version(ws, version_id)["sha256"])
    root = _roots.get(str(ws.root))
    if root is None:
        root = _roots[str(ws.root)] = str(ws.root.resolve())
    key = (root, int(version_id), sha256)
    with _cache_lock:
        served = _served_cache.get(key)
        if served is not None:
            _served_cache.move_to_end(key)
            return served
    served = ServedModel(ws, version_id)  # outside the lock: loading takes a while
    with _cache_lock:
        _served_cache[key] = served
        while len(_served_cache) > SERVED_CACHE_SIZE:
            _served_cache.popitem(last=False)
    return served
