"""The simulated endpoint: the champion (and optionally a challenger) behind a routing strategy.

A request is a table of raw rows, exactly as a client would send them (a DataFrame, or JSON rows:
a list of {column: value} objects). The endpoint replays the cleaning recipe's value fixes (never
its row filters), runs the registered pipeline, and logs every prediction with the version that
answered and the latency.

What a client can get wrong is answered, never raised as a traceback:
- a bad *request* (not a table, a column named twice, no rows, a column the model needs is absent)
  raises `RequestError`, a `DataError` whose `problems` name each one;
- a bad *row* (a value the model cannot read as its input's type: a list, text where a number
  belongs, infinity, a number too large to compute with, text that is not a date, nothing at all)
  gets its own `error` and structured `problems` in the answer, and the other rows are scored;
- a value the model can read but that breaks the rules learned from training (out of range, a new
  category, missing) is scored, and `ServedModel.validate` reports it.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from core.data.cleaning import apply_recipe
from core.data.datasets import load_recipe, load_rules
from core.workspace.errors import ConfigError, DataError, RequestError
from core.features.preprocessing import DateParts
from core.data.dates import parse_datetimes
from core.registry.versions import get_decision_threshold, get_version, load_version_model
from core.deployment.routing import RoutingConfig, route_requests
from core.data.validation import ValidationRules, Violation, check_rows
from core.workspace.database import Workspace, dumps, now

# What can be wrong with a request as a whole, and with a value of one row.
REQUEST_PROBLEMS = ("not_a_table", "not_a_row", "duplicate_column", "no_rows", "missing_column")
ROW_PROBLEMS = ("not_a_single_value", "not_a_number", "not_finite", "too_large", "not_a_date", "no_inputs")
ANSWER_COLUMNS = ["key", "arm", "prediction", "score", "version", "latency_ms", "shadow_prediction", "error",
                  "problems"]
# Tree models compute in 32-bit floats: a feature beyond this (after scaling) cannot be scored.
LARGEST_FEATURE = float(np.finfo(np.float32).max)
_SHOWN_CHARS = 40

# Loaded pipelines keyed by artifact hash; shared read-only by every session and job.
_model_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


def create_deployment(
    ws: Workspace, project_id: int, routing: RoutingConfig, champion_version_id: int,
    challenger_version_id: int | None = None, reason: str = "",
) -> dict[str, Any]:
    """Make a new deployment the project's one live endpoint (the previous one stops serving).
    ``reason`` says why in the audit log (e.g. "rollback of churn")."""
    if routing.strategy != "single" and challenger_version_id is None:
        raise ConfigError(f"The '{routing.strategy}' strategy needs a challenger; register one or choose 'single'.")
    get_version(ws, champion_version_id)
    if challenger_version_id is not None:
        get_version(ws, challenger_version_id)
    with ws.transaction() as conn:
        conn.execute("UPDATE deployments SET active = 0 WHERE project_id = ?", (project_id,))
        dep_id = conn.execute(
            """INSERT INTO deployments (project_id, routing_json, champion_version_id, challenger_version_id,
               active, created_at) VALUES (?,?,?,?,1,?)""",
            (project_id, dumps(routing.to_dict()), champion_version_id, challenger_version_id, now()),
        ).lastrowid
        ws.audit(conn, project_id, "deployment.created",
                 {"deployment_id": dep_id, "routing": routing.to_dict(), "champion_version_id": champion_version_id,
                  "challenger_version_id": challenger_version_id, **({"reason": reason} if reason else {})})
    return get_deployment(ws, dep_id)


def get_deployment(ws: Workspace, deployment_id: int) -> dict[str, Any]:
    row = ws.get_row("deployments", deployment_id,
                     f"Deployment {deployment_id} does not exist; deploy a model on the Deploy page.")
    row["routing"] = RoutingConfig.from_dict(json.loads(row["routing_json"]))
    return row


def get_active_deployment(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    row = ws.query_one("SELECT id FROM deployments WHERE project_id = ? AND active = 1 ORDER BY id DESC LIMIT 1",
                       (project_id,))
    return get_deployment(ws, row["id"]) if row else None


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with a request: which row (its position; None for the whole request), which
    column (None for the whole row), what (one of REQUEST_PROBLEMS or ROW_PROBLEMS), the value as
    text (shortened; None when there is none), and one sentence saying what to send instead."""

    row: int | None
    column: str | None
    problem: str
    value: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_request(rows: Any) -> pd.DataFrame:
    """A request as a table with text column names: a DataFrame as it is (its index names the rows),
    or JSON rows (a list of {column: value} objects, numbered from 0). Raises RequestError when it
    is not a table, names a column twice or has no rows."""
    if isinstance(rows, (list, tuple)):
        not_rows = [InputProblem(i, None, "not_a_row", _shown(row),
                                 f"Row {i} must be an object of column: value pairs; got {_type_words(row)} instead.")
                    for i, row in enumerate(rows) if not isinstance(row, Mapping)]
        if not_rows:
            raise RequestError(not_rows)
        rows = pd.DataFrame.from_records([dict(row) for row in rows]) if rows else pd.DataFrame()
    if not isinstance(rows, pd.DataFrame):
        raise RequestError([InputProblem(None, None, "not_a_table", _shown(rows),
                                         "The request must be a table: a list of rows, each an object of column: "
                                         f"value pairs; got {_type_words(rows)} instead.")])
    names = pd.Index([str(c) for c in rows.columns])
    if names.has_duplicates:
        counts = names.value_counts()
        raise RequestError([InputProblem(None, name, "duplicate_column", None,
                                         f"The column {name!r} is sent {counts[name]} times; send each column once.")
                            for name in dict.fromkeys(names[names.duplicated()])])
    if len(rows) == 0:
        raise RequestError([InputProblem(None, None, "no_rows", None,
                                         "The request has no rows; send at least one row.")])
    return rows.set_axis(list(names), axis=1)


def get_serving_version(ws: Workspace, deployment: dict[str, Any]) -> dict[str, Any]:
    """The version that answers the deployment's requests: the champion, except in blue-green with
    green live, where the challenger answers every request."""
    routing: RoutingConfig = deployment["routing"]
    if (routing.strategy == "blue_green" and routing.active_color == "green"
            and deployment["challenger_version_id"]):
        return get_version(ws, deployment["challenger_version_id"])
    return get_version(ws, deployment["champion_version_id"])


def describe_deployment(ws: Workspace, deployment: dict[str, Any]) -> str:
    """Which versions a deployment serves, in words: "deployment 4 (single): churn v1 answers every
    request". The Registry, Deploy and Monitor pages all say what is live with this one sentence."""
    routing: RoutingConfig = deployment["routing"]
    champion = get_version(ws, deployment["champion_version_id"])
    challenger = (get_version(ws, deployment["challenger_version_id"])
                  if deployment["challenger_version_id"] else None)
    name = f"{champion['model_name']} v{champion['version']}"
    other = f"{challenger['model_name']} v{challenger['version']}" if challenger else ""
    head = f"deployment {deployment['id']} ({routing.strategy.replace('_', '-')})"
    if challenger is None:
        return f"{head}: {name} answers every request"
    if routing.strategy == "canary":
        return f"{head}: {name} answers, {other} gets {routing.challenger_share:.0%} of the requests"
    if routing.strategy == "ab":
        return f"{head}: {name} answers, {other} gets {routing.challenger_share:.0%} of the users"
    if routing.strategy == "shadow":
        return f"{head}: {name} answers every request, {other} scores them silently"
    answering, standby = (other, name) if routing.active_color == "green" else (name, other)
    return f"{head}: {answering} answers every request, {standby} stands by"


def describe_live(ws: Workspace, project_id: int) -> str:
    """What the project's endpoint serves right now, in one sentence."""
    live = get_active_deployment(ws, project_id)
    if live is None:
        return "Nothing is deployed: the endpoint serves no model yet."
    return f"Live now: {describe_deployment(ws, live)}."


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
        rules = load_rules(ws, lineage["dataset_id"]) if lineage.get("dataset_id") else None
        with _cache_lock:
            pipeline = _model_cache.get(self.version["sha256"])
        if pipeline is None:
            pipeline = load_version_model(ws, version_id)
            with _cache_lock:
                _model_cache[self.version["sha256"]] = pipeline
        self.pipeline = pipeline
        # Scored in two steps, so features too large to compute with can be caught per row.
        split = isinstance(pipeline, Pipeline) and len(pipeline.steps) > 1
        self._preprocess, self._estimator = (pipeline[:-1], pipeline[-1]) if split else (None, pipeline)
        self.input_columns: list[str] = list(getattr(pipeline, "feature_names_in_", []))
        self.input_kinds: dict[str, str] = _input_kinds(pipeline)
        self.required_columns: list[str] = list(self.input_kinds) or self.input_columns
        # Rules learned before the target was chosen name it (and IDs, the time column): a request
        # is checked on the model's own inputs only, also for versions registered before this rule.
        self.rules = ValidationRules.from_dict(rules).for_inputs(self.required_columns) if rules else None

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
        rows = read_request(rows).reset_index(drop=True)  # rows are named by their position
        missing = [c for c in self.required_columns if c not in rows.columns]
        if missing:
            raise RequestError(
                [InputProblem(None, c, "missing_column", None, f"{c} is missing; {self.label} needs it in every row.")
                 for c in missing],
                f"The request is missing column(s) {', '.join(missing)} that {self.label} needs; "
                f"send these columns: {', '.join(self.required_columns)}.")
        unusable, problems = self._unusable_values(rows)
        X = self._replay_recipe(rows, unusable)
        for column in self.input_columns:  # columns the model ignores (IDs…) need not be sent
            if column not in X.columns:
                X[column] = np.nan
        X = X[self.input_columns] if self.input_columns else X
        for column, kind in self.input_kinds.items():
            if kind == "numeric":
                X[column], found = _read_numbers(X[column], column, self._takes_booleans(column))
                problems += found
            elif kind == "datetime":
                X[column], found = _read_dates(X[column], column)
                problems += found
        problems += self._empty_rows(rows, problems)
        return X, sorted(problems, key=lambda p: p.row)

    def answer(self, rows: Any) -> pd.DataFrame:
        """Per row (same index): prediction, score, error ('' when answered) and problems (a list of
        InputProblem dicts). Rows with a problem are not scored; the others are."""
        index = read_request(rows).index
        X, problems = self.read(rows)
        out = pd.DataFrame({"prediction": "", "score": np.nan, "error": "", "problems": None}, index=X.index)
        out["problems"] = [[] for _ in range(len(out))]
        usable = ~X.index.isin([p.row for p in problems])
        if usable.any():
            features, too_large = self._features(X.loc[usable])
            problems += too_large
            scored = usable.copy()
            scored[usable] = ~X.index[usable].isin([p.row for p in too_large])
            if scored.any():
                labels, scores = self._predict(features[scored[usable]])
                out.loc[scored, "prediction"] = labels
                out.loc[scored, "score"] = scores
        for problem in problems:
            out.iat[problem.row, out.columns.get_loc("problems")].append(problem.to_dict())
        out["error"] = [" ".join(p["message"] for p in found) for found in out["problems"]]
        return out.set_axis(index, axis=0)

    def score(self, rows: Any) -> tuple[np.ndarray, np.ndarray]:
        """(labels, scores): scores are P(positive) for binary, max class probability for multiclass,
        the predicted value for regression. A row the model cannot take has label '' and score NaN."""
        answered = self.answer(rows)
        return answered["prediction"].to_numpy(dtype=object).astype(str), answered["score"].to_numpy(dtype=float)

    # -- reading a request -----------------------------------------------------------------------
    def _unusable_values(self, rows: pd.DataFrame) -> tuple[dict[str, np.ndarray], list[InputProblem]]:
        """Cells no recipe step or model can take, per column: lists and mappings anywhere, infinite
        numbers in numeric inputs (a clipping step would quietly turn them into the bound). Problems
        are reported for the model's inputs only."""
        unusable: dict[str, np.ndarray] = {}
        problems: list[InputProblem] = []
        for column in rows.columns:
            values = rows[column]
            structured = _structured(values)
            infinite = _infinite(values) if self.input_kinds.get(column) == "numeric" else np.zeros(len(values), bool)
            if not (structured.any() or infinite.any()):
                continue
            unusable[column] = structured | infinite
            if column not in self.required_columns:
                continue
            raw = values.to_numpy(dtype=object)
            for i in np.flatnonzero(structured):
                problems.append(InputProblem(rows.index[i], column, "not_a_single_value", _shown(raw[i]),
                                             f"{column} must be a single value; got {_type_words(raw[i])} instead."))
            for i in np.flatnonzero(infinite & ~structured):
                problems.append(InputProblem(rows.index[i], column, "not_finite", _shown(raw[i]),
                                             f"{column} must be a finite number; got {_quoted(raw[i], _shown(raw[i]))} "
                                             "instead."))
        return unusable, problems

    def _replay_recipe(self, rows: pd.DataFrame, unusable: dict[str, np.ndarray]) -> pd.DataFrame:
        """The recipe's value fixes on the rows, with the unusable cells blanked first."""
        blanked = rows.copy()
        for column, mask in unusable.items():
            blanked[column] = rows[column].mask(mask)
        return apply_recipe(blanked, self.recipe, training=False)[0] if self.recipe else blanked

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
        for column in columns:
            empty &= _blank(rows[column])
        empty &= ~rows.index.isin([p.row for p in problems])
        shown = ", ".join(columns[:5]) + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")
        return [InputProblem(rows.index[i], None, "no_inputs", None,
                             f"The row has no value for any input of {self.label} ({shown}); send at least one.")
                for i in np.flatnonzero(empty)]

    # -- scoring ---------------------------------------------------------------------------------
    def _features(self, X: pd.DataFrame) -> tuple[Any, list[InputProblem]]:
        """The preprocessed features, and the rows whose features are too large to compute with
        (a value such as 1e308 is finite, but scaled and cast to 32 bits it is not)."""
        if self._preprocess is None:
            return X, []
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
                value = _shown(X.iat[i, X.columns.get_loc(column)]) if column in X.columns else None
                problems.append(InputProblem(X.index[i], column, "too_large", value,
                                             f"{column or 'A value'} is too large for {self.label} to compute with; "
                                             f"got {value} instead."))
        return features, problems

    def _predict(self, features: Any) -> tuple[np.ndarray, np.ndarray]:
        estimator = self._estimator
        if self.task == "regression":
            values = np.asarray(estimator.predict(features), dtype=float)
            return values.round(4).astype(str), values
        proba = estimator.predict_proba(features)
        if self.task == "binary":
            pos = proba[:, 1]
            labels = np.where(pos >= self.threshold, self.classes[1] if len(self.classes) > 1 else "1",
                              self.classes[0] if self.classes else "0")
            return labels.astype(str), pos
        predicted = np.asarray(self.pipeline.classes_)[proba.argmax(axis=1)]
        return predicted.astype(str), proba.max(axis=1)


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


def _feature_sources(preprocess: Any, width: int) -> list[str | None]:
    """The input column behind each preprocessed feature (None where it cannot be told)."""
    from core.features.preprocessing import get_output_feature_sources

    step = preprocess[-1] if hasattr(preprocess, "steps") else preprocess
    try:
        sources = list(get_output_feature_sources(step).values())
    except (AttributeError, ValueError, TypeError):  # another preprocessor shape: name no column
        sources = []
    return sources if len(sources) == width else [None] * width


def _structured(values: pd.Series) -> np.ndarray:
    """Cells holding a list, a mapping or a set (JSON arrays and objects), not one value."""
    if not pd.api.types.is_object_dtype(values):
        return np.zeros(len(values), dtype=bool)
    return np.fromiter((pd.api.types.is_list_like(v) for v in values.to_numpy(dtype=object)), bool, len(values))


def _infinite(values: pd.Series) -> np.ndarray:
    """Cells that are, or read as, ±infinity ("Infinity", "-inf", 1e400)."""
    if pd.api.types.is_bool_dtype(values):
        return np.zeros(len(values), dtype=bool)
    if pd.api.types.is_numeric_dtype(values):
        return np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
    codes, uniques = pd.factorize(values.mask(_structured(values)), use_na_sentinel=True)
    infinite = np.array([_is_infinite(v) for v in uniques], dtype=bool)
    return np.append(infinite, False)[codes]


def _is_infinite(value: Any) -> bool:
    if isinstance(value, (float, np.floating)):
        return bool(np.isinf(value))
    if isinstance(value, str) and value.strip():
        return bool(np.isinf(pd.to_numeric(value.strip(), errors="coerce")))
    return False


def _blank(values: pd.Series) -> np.ndarray:
    """Missing cells, and text that is only spaces."""
    blank = values.isna().to_numpy(dtype=bool, copy=True)
    if isinstance(values.dtype, pd.StringDtype):
        blank |= values.str.strip().eq("").fillna(False).to_numpy(dtype=bool)
    elif pd.api.types.is_object_dtype(values):
        text = values.to_numpy(dtype=object)
        blank |= np.fromiter((isinstance(v, str) and not v.strip() for v in text), bool, len(text))
    return blank


def _read_numbers(values: pd.Series, column: str, takes_booleans: bool) -> tuple[pd.Series, list[InputProblem]]:
    """A numeric input as float64 (NaN where missing), and the cells that are not a finite number."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        wrong = np.where(np.isinf(numbers), "not_finite", "")
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        read = [_read_number(v, takes_booleans) for v in uniques]
        numbers = np.append(np.array([r[0] for r in read], dtype=float), np.nan)[codes]
        wrong = np.append(np.array([r[1] for r in read], dtype=object), "")[codes]
    problems = []
    raw = values.to_numpy(dtype=object)
    for i in np.flatnonzero(wrong != ""):
        shown = _shown(raw[i])
        expected = "a finite number" if wrong[i] == "not_finite" else "a number"
        problems.append(InputProblem(values.index[i], column, str(wrong[i]), shown,
                                     f"{column} must be {expected}; got {_quoted(raw[i], shown)} instead."))
    numbers = np.where(wrong != "", np.nan, numbers)
    return pd.Series(numbers, index=values.index, dtype="float64"), problems


def _read_number(value: Any, takes_booleans: bool) -> tuple[float, str]:
    """(the number, '' or the problem) of one distinct value."""
    if isinstance(value, (bool, np.bool_)):
        return (float(value), "") if takes_booleans else (np.nan, "not_a_number")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return np.nan, ""  # a blank is a missing value, which the model fills in
        number = pd.to_numeric(text, errors="coerce")
    elif isinstance(value, (int, float, np.integer, np.floating)):
        try:
            number = float(value)
        except OverflowError:  # a Python int with hundreds of digits
            return np.nan, "not_finite"
    else:  # dates, timedeltas, bytes…
        return np.nan, "not_a_number"
    if np.isnan(number):
        return np.nan, "not_a_number"
    return (np.nan, "not_finite") if np.isinf(number) else (float(number), "")


def _read_dates(values: pd.Series, column: str) -> tuple[pd.Series, list[InputProblem]]:
    """A date input as datetime64 (as the model parses dates: ISO text, UTC, no offset), and the
    cells that are not a date."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return parse_datetimes(values), []
    if isinstance(values.dtype, pd.StringDtype):  # all text (the usual request): parse as a column
        text = values.str.strip()
        dates = parse_datetimes(text.where(text != ""))
        bad = (text.notna() & text.ne("") & dates.isna()).to_numpy(dtype=bool)
        return dates, _not_dates(values, column, bad)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    texts = uniques.map(lambda v: isinstance(v, str))
    dated = uniques.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "isoformat"))
    blank = texts & uniques.map(lambda v: isinstance(v, str) and not v.strip())
    parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[us]")
    readable = (texts & ~blank) | (dated & ~texts)
    if readable.any():
        candidates = uniques[readable].map(lambda v: v.strip() if isinstance(v, str) else v)
        parsed[readable] = parse_datetimes(candidates.astype(object)).astype("datetime64[us]").to_numpy()
    wrong = (~blank & parsed.isna()).to_numpy(dtype=bool)
    dates = pd.Series(np.append(parsed.to_numpy(), np.datetime64("NaT", "us"))[codes], index=values.index)
    bad = np.append(wrong, False)[codes]
    return dates.where(~bad), _not_dates(values, column, bad)


def _not_dates(values: pd.Series, column: str, bad: np.ndarray) -> list[InputProblem]:
    raw = values.to_numpy(dtype=object)
    return [InputProblem(values.index[i], column, "not_a_date", _shown(raw[i]),
                         f"{column} must be a date such as 2024-01-31; got {_quoted(raw[i], _shown(raw[i]))} instead.")
            for i in np.flatnonzero(bad)]


def _shown(value: Any) -> str:
    """A value as short text for a message: a request may carry a 1 MB string."""
    text = value if isinstance(value, str) else repr(float(value)) if isinstance(value, (float, np.floating)) \
        else str(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS - 1] + "…"


def _quoted(value: Any, shown: str) -> str:
    return repr(shown) if isinstance(value, str) else shown


def _type_words(value: Any) -> str:
    """'a list ([1, 2])', 'a number (5)': what was sent, in words."""
    if isinstance(value, Mapping):
        kind = "an object"
    elif isinstance(value, (list, tuple)):
        kind = "a list"
    elif isinstance(value, (set, frozenset)):
        kind = "a set"
    elif isinstance(value, str):
        kind = "text"
    elif isinstance(value, (bool, np.bool_)):
        kind = "true/false"
    elif isinstance(value, (int, float, np.integer, np.floating)):
        kind = "a number"
    else:
        kind = f"a {type(value).__name__}"
    return f"{kind} ({_quoted(value, _shown(value))})"


def load_served(ws: Workspace, version_id: int) -> ServedModel:
    return ServedModel(ws, version_id)


def predict(
    ws: Workspace, deployment: dict[str, Any], rows: pd.DataFrame, *, keys: list[str] | None = None,
    seed: int | None = None, log: bool = True,
) -> pd.DataFrame:
    """Answer a batch of requests through the deployment's routing and log every prediction.
    ``seed`` fixes the canary's random draws (simulations pass one); live calls draw afresh, except
    A/B, whose assignment is salted with the deployment so a user keeps their arm across calls."""
    rows = read_request(rows).reset_index(drop=True)
    keys = [str(k) for k in keys] if keys is not None else [str(i) for i in range(len(rows))]
    if len(keys) != len(rows):
        raise DataError(f"The request has {len(rows)} rows but {len(keys)} keys; give one key per row.")
    routing: RoutingConfig = deployment["routing"]
    if seed is None:
        seed = deployment["id"] if routing.strategy == "ab" else int(np.random.default_rng().integers(2**31))
    decisions = route_requests(keys, routing, seed=seed)
    arms = {"champion": load_served(ws, deployment["champion_version_id"])}
    if deployment["challenger_version_id"]:
        arms["challenger"] = load_served(ws, deployment["challenger_version_id"])
    serve = np.array([d["serve"] for d in decisions])
    shadow = np.array([d["shadow"] or "" for d in decisions])
    out = pd.DataFrame({"key": keys, "arm": serve, "prediction": "", "score": np.nan, "version": "",
                        "latency_ms": np.nan, "shadow_prediction": None, "error": "", "problems": None})
    out["problems"] = [[] for _ in range(len(out))]
    for arm, model in arms.items():
        mask = serve == arm
        if mask.any():
            start = time.perf_counter()
            answered = model.answer(rows.loc[mask])
            per_row = (time.perf_counter() - start) * 1000 / mask.sum()
            for column in ("prediction", "score", "error"):
                out.loc[mask, column] = answered[column].to_numpy()
            out.loc[mask, "problems"] = pd.Series(answered["problems"].to_list(), index=out.index[mask], dtype=object)
            out.loc[mask, "version"] = model.label
            out.loc[mask, "latency_ms"] = per_row
        shadow_mask = shadow == arm
        if shadow_mask.any():
            out.loc[shadow_mask, "shadow_prediction"] = _shadow_predictions(model, rows.loc[shadow_mask])
    if log:
        answered_rows = (out["error"] == "").to_numpy()
        _log_predictions(ws, deployment, rows[answered_rows], out[answered_rows], arms)
    return out


def _shadow_predictions(model: ServedModel, rows: pd.DataFrame) -> pd.Series:
    """The silent arm's answers; where it cannot answer (a row it cannot take, a column only it
    needs) it has none, and the answer the client gets is not affected."""
    try:
        answered = model.answer(rows)
    except RequestError:
        return pd.Series(None, index=rows.index, dtype=object)
    return answered["prediction"].where(answered["error"] == "", None).astype(object)


def _log_predictions(ws, deployment, rows, out, arms) -> None:
    version_ids = {arm: m.version["id"] for arm, m in arms.items()}
    inputs = rows.astype(str).to_dict(orient="records")
    ts = now()
    records = [
        (deployment["id"], ts, o.key, o.arm, version_ids[o.arm], o.prediction,
         None if pd.isna(o.score) else float(o.score),
         version_ids.get("challenger") if o.shadow_prediction is not None else None,
         o.shadow_prediction, float(o.latency_ms), json.dumps(inp))
        for o, inp in zip(out.itertuples(index=False), inputs)
    ]
    with ws.transaction() as conn:
        conn.executemany(
            """INSERT INTO predictions (deployment_id, ts, request_key, arm, version_id, prediction, score,
               shadow_version_id, shadow_prediction, latency_ms, input_json) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
            records,
        )


def get_prediction_log_df(ws: Workspace, deployment_id: int, limit: int = 200) -> pd.DataFrame:
    rows = ws.query(
        """SELECT p.id, p.ts, p.request_key, p.arm, v.model_name || ' v' || v.version AS version, p.prediction,
                  p.score, p.shadow_prediction, p.latency_ms
           FROM predictions p JOIN model_versions v ON v.id = p.version_id
           WHERE p.deployment_id = ? ORDER BY p.id DESC LIMIT ?""",
        (deployment_id, limit),
    )
    df = pd.DataFrame(rows, columns=["id", "ts", "request_key", "arm", "version", "prediction", "score",
                                     "shadow_prediction", "latency_ms"])
    df["ts"] = pd.to_datetime(df["ts"], unit="s")
    return df


def get_traffic_summary_df(ws: Workspace, deployment_id: int) -> pd.DataFrame:
    """Requests, share and latency per arm: what the routing actually did."""
    rows = ws.query(
        """SELECT p.arm, v.model_name || ' v' || v.version AS version, COUNT(*) AS requests,
                  AVG(p.latency_ms) AS mean_latency_ms
           FROM predictions p JOIN model_versions v ON v.id = p.version_id WHERE p.deployment_id = ?
           GROUP BY p.arm, version ORDER BY requests DESC""",
        (deployment_id,),
    )
    df = pd.DataFrame(rows, columns=["arm", "version", "requests", "mean_latency_ms"])
    if not df.empty:
        df["share"] = df["requests"] / df["requests"].sum()
    return df
