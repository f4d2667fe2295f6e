"""The prediction log: every answer the endpoint gives (scored, flagged, rejected, sent for review
or an error), one row each in ``predictions`` (a large batch's made column by column, a value the
same in every row bound once: ``log_writer.ColumnBatch``), and read back by the pages: the log, the
traffic per arm, the review queue, and the labels clients send later.

A row's inputs are kept small: each text cell cut to `MAX_CELL_CHARS` characters and the row's
JSON to at most `MAX_ROW_CHARS`; a row cut either way carries ``"_truncated": true``. The JSON is
built per column (each distinct text encoded once, numbers formatted by numpy), never one
``json.dumps`` per row. A batch of `STORED_ONCE_ROWS` rows or more stores its inputs once instead
(schema migration 11: one compressed columnar frame in ``prediction_inputs``, its text cells cut to
one character past the cap so the cut still shows), its rows' input_json NULL; `fill_input_json`
gives every reader the text those rows would have held, so a reader of input_json reads a log row
through it.

Writes are queued for the workspace's background writer (``log_writer``): an answer returns before
its rows are encoded and written, a few milliseconds later, many requests in one transaction.
Every reader of the workspace database writes what is queued first (the workspace's queries and
transactions flush it), so a page reading the log right after ``predict`` sees every row.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from core.deployment.log_writer import ColumnBatch, LogWriter, Same, column_of, writer_for
from core.deployment.request import read_request
from core.deployment.stored_inputs import (
    FORMAT,
    MAX_CELL_CHARS,
    MAX_REQUEST_CHARS,
    MAX_ROW_CHARS,
    decode_inputs,
    encode_inputs,
)
from core.security.masking import pii_key
from core.security.pii_log import protect_inputs
from core.workspace.database import Workspace, now
from core.workspace.errors import DataError, NotFoundError, StudioError

_FEW_ROWS = 16
STORED_ONCE_ROWS = 64  # a batch this large stores its inputs once (a columnar frame), not as JSON per row
TRUNCATED = ',"_truncated":true}'

_INSERT = """INSERT INTO predictions (deployment_id, ts, request_key, arm, version_id, prediction, score,
    shadow_version_id, shadow_prediction, shadow_score, latency_ms, input_json, request_id, source, status,
    problems_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"""
_INSERT_INPUTS = """INSERT INTO prediction_inputs (deployment_id, ts, rows, format, data, first_prediction_id,
    last_prediction_id) VALUES (?,?,?,?,?,?,?)"""


def log_answers(
    ws: Workspace,
    deployment_id: int,
    rows: pd.DataFrame | list[dict[str, Any]],
    out: pd.DataFrame | dict[str, Any],
    version_ids: dict[str, int],
    source: str,
) -> None:
    """Log every row of a batch: ``rows`` as sent (a table, or JSON rows; same order as ``out``), ``out`` the answers
    (serving.ANSWER_COLUMNS), ``version_ids`` the version of each arm."""
    n = len(out["request_id"])
    if n == 0:
        return
    ts = now()
    if isinstance(rows, list):  # encoded later, in the writer: the caller may reuse its dicts
        rows = [row.copy() for row in rows]
    try:  # personal columns are hashed before they are encoded (core/security/pii_log.py)
        key: bytes | None = pii_key(ws.root)
    except StudioError:  # no key file can be read or made here: the personal cells are dropped instead
        key = None
    write_log(ws).submit(n, lambda: _records(deployment_id, ts, protect_inputs(rows, key), out, version_ids, source))


def write_log(ws: Workspace) -> LogWriter:
    """The background writer of this workspace's prediction log."""
    return writer_for(ws.db_path, _INSERT, _INSERT_INPUTS)


def _records(
    deployment_id: int,
    ts: float,
    rows: pd.DataFrame | list[dict[str, Any]],
    out: pd.DataFrame | dict[str, Any],
    version_ids: dict[str, int],
    source: str,
) -> list[tuple[Any, ...]] | ColumnBatch:
    """The insert records of a batch (made in the log writer's thread): a large one column by column."""
    n = len(out["request_id"])
    stored = None
    if isinstance(rows, list) and n == 1:  # one JSON row: its cells as they are (a table would hold the same)
        inputs: list[str | None] = [_row_json([_key(c, i) for i, c in enumerate(rows[0])], list(rows[0].values()))]
    else:
        frame = read_request(rows) if isinstance(rows, list) else rows
        stored = encode_inputs(frame, MAX_CELL_CHARS) if n >= STORED_ONCE_ROWS else None
        inputs = [None] * n if stored is not None else cap_request(inputs_json(frame))
    status = _objects(out["status"])
    scored = np.isin(status, ["scored", "flagged", "review"])
    shadow_prediction = _objects(out["shadow_prediction"])
    has_shadow = pd.notna(shadow_prediction)
    shadow_version = version_ids.get("challenger") if has_shadow.any() else None
    arms = column_of(_objects(out["arm"]).tolist())
    columns = [  # in _INSERT's order
        Same(deployment_id),
        Same(ts),
        column_of(_objects(out["key"]).tolist()),
        arms,
        Same(version_ids[arms.value]) if isinstance(arms, Same) else [version_ids[a] for a in arms],
        column_of(_or_none(_objects(out["prediction"]), scored)),
        column_of(_floats_or_none(np.asarray(out["score"], dtype=float))),
        column_of(_or_none(np.full(n, shadow_version, dtype=object), has_shadow)),
        column_of(_or_none(shadow_prediction, has_shadow)),
        column_of(_floats_or_none(np.asarray(out["shadow_score"], dtype=float))),
        column_of(np.asarray(out["latency_ms"], dtype=float).tolist()),
        column_of(inputs),
        column_of(_objects(out["request_id"]).tolist()),
        Same(source),
        column_of(status.tolist()),
        column_of([json.dumps(p) if p else None for p in out["problems"]]),  # only rows with problems
    ]
    batch = ColumnBatch(columns, n, None if stored is None else (deployment_id, ts, n, FORMAT, stored))
    return batch if n >= STORED_ONCE_ROWS or stored is not None else batch.records()


def cap_request(inputs: list[str]) -> list[str | None]:
    """A request's rows of input JSON while their total stays within MAX_REQUEST_CHARS; the rows after
    keep only ``{"_truncated": true}`` (the answers are all logged, the inputs of a huge request are not)."""
    total = 0
    out: list[str | None] = []
    for text in inputs:
        total += len(text)
        out.append(text if total <= MAX_REQUEST_CHARS else "{" + TRUNCATED[1:])
    return out


def _objects(values: Any) -> np.ndarray:
    """A column of answers (a Series, an array or a list) as an object array."""
    return np.asarray(values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values, dtype=object)


def _floats_or_none(values: np.ndarray) -> list[float | None]:
    return _or_none(values, ~np.isnan(values))


def _or_none(values: np.ndarray, keep: np.ndarray) -> list[Any]:
    """The values as a list, None where ``keep`` is False."""
    kept = values.astype(object)
    kept[~keep] = None
    return kept.tolist()


def inputs_json(rows: pd.DataFrame) -> list[str]:
    """Each row's cells as a JSON object (text cut to MAX_CELL_CHARS, the whole to MAX_ROW_CHARS,
    ``"_truncated": true`` when either happened), built column by column: each distinct value of a
    column is encoded once (with its key), and a row is the join of its columns' pieces."""
    n = len(rows)
    keys = [_key(c, i) for i, c in enumerate(rows.columns)]
    if n <= _FEW_ROWS:  # a few rows: each cell once is cheaper than a pass per column
        return [_row_json(keys, row) for row in rows.to_numpy(dtype=object).tolist()]
    parts: list[list[str]] = []
    cut = np.zeros(n, dtype=bool)
    for i, key in enumerate(keys):
        encoded, cut_here = _encode_column(rows.iloc[:, i], key)
        parts.append(encoded)
        cut |= cut_here
    parts.append(["}"] * n)
    text = list(map("".join, zip(*parts))) if len(parts) > 1 else ["{}"] * n
    for i in np.flatnonzero(cut).tolist():
        text[i] = text[i][:-1] + TRUNCATED
    lengths = np.fromiter(map(len, text), dtype=np.int64, count=n)
    for i in np.flatnonzero(lengths > MAX_ROW_CHARS).tolist():
        text[i] = _fit(text[i])
    return text


def _key(column: Any, i: int) -> str:
    """A column's key as it starts its part of a row's JSON (the first opens the object)."""
    return ("," if i else "{") + json.dumps(str(column)) + ":"


def _row_json(keys: list[str], cells: list[Any]) -> str:
    encoded = [_encode_value(v) for v in cells]
    text = "".join(k + e for k, (e, _) in zip(keys, encoded)) + "}" if keys else "{}"
    if any(c for _, c in encoded):
        text = text[:-1] + TRUNCATED
    return _fit(text) if len(text) > MAX_ROW_CHARS else text


def _encode_column(values: pd.Series, key: str) -> tuple[list[str], np.ndarray]:
    """(each cell as ``key`` + JSON text, whether it was cut), each distinct value encoded once."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, objects): one at a time
        codes, uniques = np.arange(len(values)), values.to_numpy(dtype=object)
    if isinstance(uniques, pd.Index) and pd.api.types.is_float_dtype(uniques.dtype):
        numbers = uniques.to_numpy(dtype=float)
        pairs = [(key + repr(v) if np.isfinite(v) else key + "null", False) for v in numbers.tolist()]
    else:
        pairs = [(key + t, c) for t, c in map(_encode_value, np.asarray(uniques, dtype=object).tolist())]
    pairs.append((key + "null", False))
    encoded = np.array([p[0] for p in pairs], dtype=object)[codes].tolist()
    cut = np.array([p[1] for p in pairs], dtype=bool)[codes]
    return encoded, cut


def _encode_value(value: Any) -> tuple[str, bool]:
    """One distinct value as JSON text, and whether it was cut."""
    if isinstance(value, (bool, np.bool_)):
        return ("true" if value else "false"), False
    if isinstance(value, (int, np.integer)) and abs(int(value)) < 2**63:
        return str(int(value)), False
    if isinstance(value, (float, np.floating)):
        return (repr(float(value)) if np.isfinite(value) else "null"), False
    if isinstance(value, (np.datetime64, pd.Timestamp)) and pd.isna(value):
        return "null", False
    if isinstance(value, pd.Timestamp):
        return json.dumps(value.isoformat()), False
    if value is None or value is pd.NaT or value is pd.NA:
        return "null", False
    text = value if isinstance(value, str) else repr(value) if isinstance(value, bytes) else str(value)
    if len(text) > MAX_CELL_CHARS:
        return json.dumps(text[:MAX_CELL_CHARS]), True
    return json.dumps(text), False


def _fit(text: str) -> str:
    """A row whose JSON is too long: its first cells that fit, then ``"_truncated": true``."""
    kept = json.loads(text)
    kept.pop("_truncated", None)
    out = "{"
    for column, value in kept.items():
        part = ("," if len(out) > 1 else "") + json.dumps(str(column)) + ":" + json.dumps(value)
        if len(out) + len(part) + len(TRUNCATED) > MAX_ROW_CHARS:
            break
        out += part
    return out + (TRUNCATED if len(out) > 1 else TRUNCATED[1:])


# -- reading ---------------------------------------------------------------------------------------

LOG_COLUMNS = [
    "id",
    "ts",
    "request_id",
    "request_key",
    "source",
    "arm",
    "version",
    "status",
    "prediction",
    "score",
    "shadow_prediction",
    "shadow_score",
    "latency_ms",
    "problems",
]


def fill_input_json(ws: Workspace, log: pd.DataFrame, id_column: str = "id") -> pd.DataFrame:
    """``log`` (rows of predictions with their ids in ``id_column`` and an ``input_json`` column) with
    the input_json of rows whose batch stored its inputs once filled in: the text the row would have
    held (the same cells, cut the same way). Every reader of input_json reads through this."""
    missing = log["input_json"].isna().to_numpy() if len(log) else np.zeros(0, dtype=bool)
    if not missing.any():
        return log
    ids = log[id_column].to_numpy(dtype=np.int64)[missing]
    spans = ws.query(
        """SELECT id, first_prediction_id AS first, last_prediction_id AS last FROM prediction_inputs
           WHERE last_prediction_id >= ? AND first_prediction_id <= ?""",
        (int(ids.min()), int(ids.max())),
    )
    texts = np.full(len(ids), None, dtype=object)
    for span in spans:
        inside = (ids >= span["first"]) & (ids <= span["last"])
        if inside.any():  # only the batches that hold a row asked for are read
            data = ws.query_one("SELECT data FROM prediction_inputs WHERE id = ?", (span["id"],))["data"]  # type: ignore[index]
            texts[inside] = inputs_json(decode_inputs(data, ids[inside] - span["first"]))
    filled = log["input_json"].to_numpy(dtype=object).copy()
    filled[missing] = texts
    return log.assign(input_json=filled)


def get_prediction_log_df(ws: Workspace, deployment_id: int, limit: int = 200) -> pd.DataFrame:
    """The latest answers of a deployment, newest first; ``problems`` says in words what was wrong."""
    rows = ws.query(
        """SELECT p.id, p.ts, p.request_id, p.request_key, p.source, p.arm,
                  v.model_name || ' v' || v.version AS version, p.status, p.prediction, p.score,
                  p.shadow_prediction, p.shadow_score, p.latency_ms, p.problems_json AS problems
           FROM predictions p JOIN model_versions v ON v.id = p.version_id
           WHERE p.deployment_id = ? ORDER BY p.id DESC LIMIT ?""",
        (deployment_id, limit),
    )
    df = pd.DataFrame(rows, columns=LOG_COLUMNS)
    df["ts"] = pd.to_datetime(df["ts"], unit="s")
    df["problems"] = [_problem_words(p) for p in df["problems"]]
    return df


def get_review_queue_df(ws: Workspace, deployment_id: int, limit: int = 500) -> pd.DataFrame:
    """Answers held for a person to review (the 'review' validation policy), newest first, with the
    inputs as sent (capped) and what broke the rules."""
    rows = ws.query(
        """SELECT p.id, p.ts, p.request_id, p.request_key, p.arm, v.model_name || ' v' || v.version AS version,
                  p.prediction, p.score, p.problems_json AS problems, p.input_json AS inputs
           FROM predictions p JOIN model_versions v ON v.id = p.version_id
           WHERE p.deployment_id = ? AND p.status = 'review' ORDER BY p.id DESC LIMIT ?""",
        (deployment_id, limit),
    )
    columns = ["id", "ts", "request_id", "request_key", "arm", "version", "prediction", "score", "problems", "inputs"]
    df = pd.DataFrame(rows, columns=columns)
    df["inputs"] = fill_input_json(ws, df.rename(columns={"inputs": "input_json"}))["input_json"].to_numpy()
    df["ts"] = pd.to_datetime(df["ts"], unit="s")
    df["problems"] = [_problem_words(p) for p in df["problems"]]
    return df


def _problem_words(problems_json: Any) -> str:
    """The logged problems in words ('' for none: NULL reads back as None or NaN)."""
    return " ".join(p["message"] for p in json.loads(problems_json)) if isinstance(problems_json, str) else ""


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


def record_feedback(ws: Workspace, project_id: int, request_id: str, label: Any) -> int:
    """The true label of an answer the project's endpoint gave, quoted by its request id: how
    delayed labels reach monitoring. Returns how many logged answers it labels (one, unless a client
    reused an id); a label sent again replaces the earlier one. The label must be one the answering
    model can be judged by: one of its classes, or a finite number for a regression (a label it could
    never have predicted would count silently as a wrong answer, or make every readout NaN).
    Raises NotFoundError for an id never logged, DataError for an unusable label."""
    request_id = str(request_id)
    if label is None or str(label).strip() == "":
        raise DataError(f"The label for request '{request_id}' is empty; send the true outcome of that request.")
    versions = ws.query(
        """SELECT DISTINCT v.lineage_json FROM predictions p JOIN model_versions v ON v.id = p.version_id
           WHERE p.request_id = ? AND p.deployment_id IN (SELECT id FROM deployments WHERE project_id = ?)""",
        (request_id, project_id),
    )
    if not versions:
        raise NotFoundError(
            f"No answer with request id '{request_id}' was logged for this project; "
            "send the request_id the endpoint returned with its prediction."
        )
    text = _label_text(request_id, label, [json.loads(v["lineage_json"] or "{}") for v in versions])
    with ws.transaction() as conn:
        labelled = conn.execute(
            """UPDATE predictions SET label = ?, labelled_at = ? WHERE request_id = ? AND deployment_id IN
               (SELECT id FROM deployments WHERE project_id = ?)""",
            (text, now(), request_id, project_id),
        ).rowcount
    return labelled


def _label_text(request_id: str, label: Any, lineages: list[dict[str, Any]]) -> str:
    """The label as the log stores it: a class name as the model knows it, or a regression's number."""
    if any(lineage.get("task", "regression") == "regression" for lineage in lineages):
        number = None if isinstance(label, bool) else _finite_number(label)
        if number is None:
            raise DataError(
                f"The label for request '{request_id}' must be a finite number (the true value, e.g. 150.5, "
                f"with a dot for decimals); got {str(label)[:40]!r} instead."
            )
        return repr(number)
    if isinstance(label, float) and label.is_integer():
        label = int(label)  # 1.0 from a JSON client means the class "1"
    text = str(label).strip()
    classes = [str(c) for lineage in lineages for c in lineage.get("classes") or []]
    if classes and text not in classes:
        shown = ", ".join(repr(c) for c in dict.fromkeys(classes))
        raise DataError(
            f"The label for request '{request_id}' must be one of the model's classes ({shown}); "
            f"got {text[:40]!r} instead."
        )
    return text


def _finite_number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None
