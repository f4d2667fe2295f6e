"""Real endpoint traffic (everything but the simulator) by time window, per version: its system
health, and its performance once clients send true labels to /feedback: the realised metric on the
labelled answers of each window next to the estimate from the model's confidence (CBPE), and which
windows are labelled yet.

The windows are clock-aligned (``system.get_time_windows``: per minute, widened so the log's span
holds at most 30); each version is judged against its own holdout, as the simulated report is."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core import registry
from core.deployment import serving
from core.deployment.prediction_log import fill_input_json
from core.deployment.rollouts.live import logged_inputs
from core.i18n import _
from core.monitoring.performance import PERFORMANCE_WINDOWS_SCHEMA, get_performance_windows_df
from core.monitoring.system import (
    describe_width,
    empty_system_df,
    get_live_system_df,
    get_system_log_df,
    get_time_windows,
)
from core.stages.operate import _score_metric, get_performance_reference
from core.training import tracking
from core.workspace.database import Workspace

LIVE_EXCLUDED_SOURCES = ("simulator",)  # the simulator's bursts are the report's, not live traffic
MIN_REFERENCE_WINDOW_ROWS = 10  # the holdout chunks the control limits come from hold at least this many rows
LIVE_PERFORMANCE_COLUMNS = ["version", "start", *PERFORMANCE_WINDOWS_SCHEMA]


@dataclass
class LiveHealth:
    """Real traffic by time window: ``system_df`` (system.SYSTEM_SCHEMA), ``performance_df`` (per
    version and window: LIVE_PERFORMANCE_COLUMNS, the realised metric on labelled answers and the
    estimate), ``notes`` ({version: how its estimate is made, or why there is none}), the windows'
    ``width`` in seconds and how many answers were read (``rows_read``)."""

    system_df: pd.DataFrame = field(default_factory=empty_system_df)
    performance_df: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LIVE_PERFORMANCE_COLUMNS))
    notes: dict[str, str] = field(default_factory=dict)
    width: int = 60
    rows_read: int = 0

    @property
    def width_words(self) -> str:
        return describe_width(self.width)


def stage_live_health(ws: Workspace, project_id: int, now: float | None = None) -> LiveHealth:
    """The project's real traffic (the newest answers, not the simulator's) by time window: system
    health per version, and performance where labels came back through /feedback."""
    log = get_system_log_df(ws, project_id, exclude_sources=LIVE_EXCLUDED_SOURCES)
    if log.empty:
        return LiveHealth()
    system_df, width = get_live_system_df(log, time.time() if now is None else now)
    windows, starts = get_time_windows(log["ts"].to_numpy(dtype=float), width)
    log = log.assign(window=windows)
    frames, notes = [], {}
    for version_id, rows in log.groupby("version_id", sort=False):
        table, note = get_version_performance(ws, int(version_id), rows)
        if not table.empty:
            frames.append(table.assign(version=rows["version"].iloc[0], start=table["window"].map(starts)))
        if note:
            notes[str(rows["version"].iloc[0])] = note
    performance = (
        pd.concat(frames, ignore_index=True)[LIVE_PERFORMANCE_COLUMNS]
        if frames
        else pd.DataFrame(columns=LIVE_PERFORMANCE_COLUMNS)
    )
    return LiveHealth(system_df, performance, notes, width, len(log))


def get_version_performance(ws: Workspace, version_id: int, log: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """(one version's performance per window of ``log`` (its answers, with a ``window`` number and their
    labels): performance.PERFORMANCE_WINDOWS_SCHEMA, the sentence saying how it is estimated). Only
    answers with a prediction count: a rejected row or an error has nothing to judge."""
    model = serving.load_served(ws, version_id)
    answered = log[log["prediction"].notna() & (log["prediction"].astype(str) != "")].reset_index(drop=True)
    if answered.empty:
        return pd.DataFrame(columns=list(PERFORMANCE_WINDOWS_SCHEMA)), ""
    problem = registry.get_version_problem(ws, model.version)
    if problem.task == "binary" and problem.positive_class is None:  # not the minority class of one window
        problem = replace(problem, positive_class=serving.positive_class(model))
    lineage = json.loads(model.version["lineage_json"])
    holdout = tracking.load_holdout(ws, tracking.get_experiment(ws, lineage["experiment_id"]))
    window_rows = max(int(answered.groupby("window").size().median()), MIN_REFERENCE_WINDOW_ROWS)
    reference = get_performance_reference(ws, model, problem, holdout, window_rows)
    if model.task == "multiclass":  # as the simulated report judges it: the predicted class's index
        index = {c: i for i, c in enumerate(model.classes)}
        scores = np.array([index.get(str(p), -1) for p in answered["prediction"]], dtype=float)
    else:  # P(positive class) of a yes/no model, the predicted value of a regression
        scores = answered["score"].to_numpy(dtype=float)
    labels = answered["label"].where(answered["label"].notna())
    if model.task == "regression":
        labels = pd.to_numeric(labels, errors="coerce")
    note = reference.estimator.note if reference.estimator is not None else reference.not_estimated
    rows = None
    estimator = reference.estimator
    if estimator is not None and estimator.ready and model.task != "binary":
        # A multi-class or regression estimate reads the answers' inputs, which the log keeps (text cut as
        # logged): a client may have sent fewer columns than the model reads, so a failure is said, not raised.
        rows = _logged_rows(ws, answered["id"])
        try:
            estimator.get_inputs(rows.head(1), scores[:1])
        except Exception:  # noqa: BLE001 - any unreadable logged input means no estimate, never a broken page
            reference = replace(reference, estimator=None)
            note = _("Not estimated on live traffic: the logged inputs of these answers cannot be read back whole.")
    table = get_performance_windows_df(
        reference, answered["window"].to_numpy(), labels, scores, _score_metric(problem, model.classes), rows=rows
    )
    return table, note


def _logged_rows(ws: Workspace, ids: pd.Series) -> pd.DataFrame:
    """The request rows behind these logged answers (by prediction id), in the same order."""
    wanted = [int(i) for i in ids]
    found = {}
    for start in range(0, len(wanted), 900):  # SQLite's parameter limit
        chunk = wanted[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for row in ws.query(f"SELECT id, input_json FROM predictions WHERE id IN ({marks})", tuple(chunk)):
            found[int(row["id"])] = row["input_json"]
    log = fill_input_json(ws, pd.DataFrame({"id": wanted, "input_json": [found.get(i) for i in wanted]}))
    return logged_inputs(log)
