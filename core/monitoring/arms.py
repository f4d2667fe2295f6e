"""Monitoring that follows each arm: per model version that answered live traffic (the prediction
log), the feature drift of the rows it answered against its own training reference, the metric on
its labelled answers, and its latency per request.

A request is one call to the endpoint, however many rows it carries. The log has a row per answer,
and every row of one call shares the call's timestamp and, per arm, the same latency (the arm's time
for the batch divided by its rows): a request is the group of log rows with the same deployment,
timestamp, arm and latency, and its latency is that latency times its rows. Reading latency per row
instead would make a 10,000-row batch of half a second read "within 0.05 ms".

A shadow version answers nobody: it is followed on the rows it scored silently (drift of the same
inputs, its metric from its silent predictions) and has no latency of its own.

This module reads the ``predictions`` table (as ``live`` does) and takes each version's training
reference as a table: the stage layer (core/stages/arms.py) finds the references and the columns.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from core.monitoring.drift import DriftConfig, get_feature_drift_df
from core.monitoring.live import get_request_latency_df, labelled_metric
from core.workspace.database import Workspace

MAX_LOG_ROWS = 20_000  # the newest answers read per call (a page reads this on every render)
MIN_DRIFT_ROWS = 30  # fewer answered rows than this: drift is not judged (noise)

ARM_COLUMNS = [
    "version_id",
    "version",
    "arm",
    "rows",
    "requests",
    "latency_p50_ms",
    "latency_p95_ms",
    "labelled",
    "metric",
    "metric_value",
    "drift_rows",
    "features",
    "drifted_features",
    "max_psi",
    "most_drifted",
]
DRIFT_COLUMNS = ["version_id", "version", "arm", "feature", "psi", "pvalue", "drifted", "label"]


def get_arm_log_state(ws: Workspace, project_id: int, deployment_id: int | None = None) -> tuple[int, int]:
    """(the newest logged answer's id, how many answers are labelled) of the project (of one deployment
    when given): it changes whenever what ``get_arm_log_df`` reads does, so a page can key a cache on it."""
    where, params = ("p.deployment_id = ?", (deployment_id,)) if deployment_id is not None else ("1", ())
    row = ws.query_one(
        f"""SELECT COALESCE(MAX(p.id), 0) AS newest, COUNT(p.label) AS labelled
            FROM predictions p JOIN deployments d ON d.id = p.deployment_id WHERE d.project_id = ? AND {where}""",
        (project_id, *params),
    )
    return (int(row["newest"]), int(row["labelled"])) if row else (0, 0)


def get_arm_log_df(
    ws: Workspace, project_id: int, deployment_id: int | None = None, limit: int = MAX_LOG_ROWS
) -> pd.DataFrame:
    """The newest ``limit`` logged answers of the project (of one deployment when given), one row
    per version that answered or scored it: columns deployment_id, ts, arm ('champion',
    'challenger' or 'shadow'), version_id, version, latency_ms (NaN for a shadow), prediction,
    label, input_json (None where a large batch stored its inputs once: the stage layer reads them
    with deployment.prediction_log.fill_input_json), prediction_id (the log row's id). Answers the
    policy refused or could not score keep their row (they were requests) but have no prediction."""
    where, params = ("p.deployment_id = ?", (deployment_id,)) if deployment_id is not None else ("1", ())
    rows = ws.query(
        f"""SELECT p.id AS prediction_id, p.deployment_id, p.ts, p.arm, p.version_id, p.latency_ms, p.prediction,
                   p.label, p.input_json,
                   p.shadow_version_id, p.shadow_prediction, COALESCE(p.status, 'scored') AS status
            FROM predictions p JOIN deployments d ON d.id = p.deployment_id
            WHERE d.project_id = ? AND {where} ORDER BY p.id DESC LIMIT ?""",
        (project_id, *params, int(limit)),
    )
    columns = ["prediction_id", "deployment_id", "ts", "arm", "version_id", "latency_ms", "prediction", "label"]
    columns += ["input_json"]
    if not rows:
        return pd.DataFrame(columns=[*columns, "version"])
    log = pd.DataFrame(rows)
    answered = log[columns].copy()
    shadow = log[log["shadow_version_id"].notna()]
    if len(shadow):
        silent = shadow[columns].assign(
            arm="shadow",
            version_id=shadow["shadow_version_id"].astype("int64"),
            latency_ms=np.nan,
            prediction=shadow["shadow_prediction"],
        )
        answered = pd.concat([answered, silent], ignore_index=True)
    names = {
        r["id"]: f"{r['model_name']} v{r['version']}"
        for r in ws.query(
            "SELECT id, model_name, version FROM model_versions WHERE id IN "
            f"({','.join('?' * answered['version_id'].nunique())})",
            tuple(int(v) for v in answered["version_id"].unique()),
        )
    }
    answered["version_id"] = answered["version_id"].astype("int64")
    answered["version"] = answered["version_id"].map(names)
    return answered


def logged_inputs(log: pd.DataFrame) -> pd.DataFrame:
    """The request rows behind logged answers, from their input_json (same index as ``log``)."""
    parsed = [json.loads(text) if isinstance(text, str) and text else {} for text in log["input_json"]]
    inputs = pd.DataFrame(parsed, index=log.index)
    return inputs.drop(columns=["_truncated"], errors="ignore")


def _holds_numbers(values: pd.Series) -> bool:
    """Numbers, not booleans (two categories) nor dates (times are no drift signal: left out)."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _like_reference(current: pd.Series, reference: pd.Series) -> pd.Series:
    """Logged values read as the reference holds them: numbers as numbers (text that is no number is
    missing), anything else as text."""
    if _holds_numbers(reference):
        return pd.to_numeric(current, errors="coerce").astype(float)
    return current.astype(object).where(current.notna(), None).map(lambda v: v if v is None else str(v))


def get_arm_drift_df(
    reference: pd.DataFrame, inputs: pd.DataFrame, columns: list[str], config: DriftConfig = DriftConfig()
) -> pd.DataFrame:
    """Feature drift of one version's answered rows against its training reference: drift.py's
    table (one row per column) for the columns both hold. Empty when too few rows were answered."""
    usable = [
        c
        for c in columns
        if c in reference.columns
        and c in inputs.columns
        and inputs[c].notna().any()
        and not pd.api.types.is_datetime64_any_dtype(reference[c])
    ]
    if len(inputs) < MIN_DRIFT_ROWS or not usable or reference.empty:
        return pd.DataFrame(columns=["feature", "psi", "pvalue", "drifted", "label"])
    reference = reference[usable].copy()
    for column in usable:  # the reference's own text categories compare as text too
        if not _holds_numbers(reference[column]):
            reference[column] = _like_reference(reference[column], reference[column])
    current = pd.DataFrame({c: _like_reference(inputs[c], reference[c]) for c in usable}, index=inputs.index)
    return get_feature_drift_df(reference, current, usable, config)


def get_arms_df(
    log: pd.DataFrame,
    tasks: dict[int, str],
    drift: dict[int, pd.DataFrame],
    drift_rows: dict[int, int] | None = None,
) -> pd.DataFrame:
    """One row per version of the log: its arm, rows and requests answered, latency p50/p95 per
    request, labelled answers and the metric on them (accuracy, or MAE for a regression: ``tasks``
    by version id), and from ``drift`` (get_arm_drift_df per version id) how many features drifted,
    the largest PSI and its feature. Champion first, then challenger, then shadow (most rows first
    within an arm: a version may have played several over the log)."""
    if log.empty:
        return pd.DataFrame(columns=ARM_COLUMNS)
    latency = get_request_latency_df(log)
    out = []
    for version_id, group in log.groupby("version_id", sort=False):
        version_id = int(version_id)
        per_request = latency.loc[latency["version_id"] == version_id, "latency_ms"].astype(float)
        labelled = group[group["label"].notna()]
        metric, value = labelled_metric(tasks.get(version_id, "regression"), labelled)
        table = drift.get(version_id, pd.DataFrame(columns=["feature", "psi", "drifted"]))
        top = table.loc[table["psi"].astype(float).idxmax()] if len(table) else None
        out.append(
            {
                "version_id": version_id,
                "version": group["version"].iloc[0],
                "arm": _arm_of(group["arm"]),
                "rows": len(group),
                # a shadow has no latency: its requests are the calls (timestamps) it scored rows of
                "requests": int(group.groupby(["deployment_id", "ts", "latency_ms"], dropna=False).ngroups),
                "latency_p50_ms": float(per_request.quantile(0.5)) if len(per_request) else np.nan,
                "latency_p95_ms": float(per_request.quantile(0.95)) if len(per_request) else np.nan,
                "labelled": len(labelled),
                "metric": metric,
                "metric_value": value,
                "drift_rows": int((drift_rows or {}).get(version_id, len(group))),
                "features": len(table),
                "drifted_features": int(table["drifted"].astype(bool).sum()) if len(table) else 0,
                "max_psi": float(top["psi"]) if top is not None else np.nan,
                "most_drifted": str(top["feature"]) if top is not None else "",
            }
        )
    table = pd.DataFrame(out, columns=ARM_COLUMNS)
    rank = table["arm"].map({"champion": 0, "challenger": 1, "shadow": 2}).fillna(3)
    return table.assign(_rank=rank).sort_values(["_rank", "rows"], ascending=[True, False], ignore_index=True)[
        ARM_COLUMNS
    ]


def _arm_of(arms: pd.Series) -> str:
    """The arm a version played in these answers ('champion' before 'challenger' before 'shadow')."""
    seen = set(arms.astype(str))
    return next((a for a in ("champion", "challenger", "shadow") if a in seen), str(arms.iloc[0]))


def stack_drift(drift: dict[int, pd.DataFrame], arms: pd.DataFrame) -> pd.DataFrame:
    """The per-version drift tables as one (DRIFT_COLUMNS), in the order of ``arms`` (get_arms_df),
    each with its version's name and arm."""
    frames = [
        drift[row.version_id].assign(version_id=row.version_id, version=row.version, arm=row.arm)
        for row in arms.itertuples()
        if len(drift.get(row.version_id, ()))
    ]
    if not frames:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    return pd.concat(frames, ignore_index=True)[DRIFT_COLUMNS]
