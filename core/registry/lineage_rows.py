"""A version's lineage as rows a reviewer reads: what it was made from (the data version, the
cleaning recipe, the feature set, the training run and its validation, the problem it answers), one
line each, with names and version numbers instead of ids. The JSON stays in the registry for the
engineer (the page shows it behind an expander)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from core.formatting import format_count, format_value
from core.glossary import column_label, validation_label
from core.i18n import N_, _
from core.problem.definition import get_metric_label
from core.workspace.database import Workspace

# Keys shown in their own rows below, or ids that only point at those rows.
_SHOWN = {
    "run_id",
    "experiment_id",
    "dataset_id",
    "feature_set_id",
    "model_key",
    "validation",
    "problem",
    "decision_threshold",
    "target",
    "task",
}
TASK_WORDS = {
    "binary": N_("yes/no (two classes)"),
    "multiclass": N_("one of several classes"),
    "regression": N_("a number"),
}


def _dataset_text(ws: Workspace, dataset_id: int | None) -> tuple[str | None, dict[str, Any] | None]:
    if dataset_id is None:
        return None, None
    row = ws.query_one("SELECT * FROM datasets WHERE id = ?", (dataset_id,))
    if row is None:
        return _("dataset {id} (no longer stored)").format(id=dataset_id), None
    kind = _("cleaned") if row["kind"] != "raw" else _("as uploaded")
    version = "" if str(row["name"]).endswith(f"v{row['version']}") else " " + _("version {n}").format(n=row["version"])
    text = _("'{name}'{version} ({kind}): {rows} rows, {cols} columns").format(
        name=row["name"], version=version, kind=kind, rows=format_count(row["rows"]), cols=format_count(row["cols"])
    )
    return text, dict(row)


def get_lineage_rows(ws: Workspace, version: dict[str, Any]) -> pd.DataFrame:
    """Columns "made from" and "details" for one registered version (a ``model_versions`` row)."""
    lineage: dict[str, Any] = json.loads(version.get("lineage_json") or "{}")
    rows: list[tuple[str, str]] = []
    data_text, dataset = _dataset_text(ws, lineage.get("dataset_id"))
    if data_text:
        rows.append((_("data version"), data_text))
    if dataset is not None:
        if dataset.get("recipe_id") is not None:
            recipe = ws.query_one("SELECT version FROM recipes WHERE id = ?", (dataset["recipe_id"],))
            rows.append(
                (
                    _("cleaning recipe"),
                    _("recipe version {n}").format(n=recipe["version"]) if recipe else _("a deleted recipe"),
                )
            )
        else:
            rows.append((_("cleaning recipe"), _("none: the data as uploaded")))
        if dataset.get("parent_id") is not None:
            parent_text, _parent = _dataset_text(ws, dataset["parent_id"])
            rows.append((_("cleaned from"), parent_text or ""))
    if lineage.get("feature_set_id") is not None:
        fs = ws.query_one("SELECT version FROM feature_sets WHERE id = ?", (lineage["feature_set_id"],))
        rows.append(
            (
                _("feature set"),
                _("version {n}").format(n=fs["version"])
                if fs
                else _("feature set {id}").format(id=lineage["feature_set_id"]),
            )
        )
    if lineage.get("run_id") is not None:
        run = ws.query_one("SELECT model_name FROM runs WHERE id = ?", (lineage["run_id"],))
        family = f" ({run['model_name']})" if run else ""
        rows.append(
            (
                _("training run"),
                _("run {run}{family} of experiment {experiment}").format(
                    run=lineage["run_id"], family=family, experiment=lineage.get("experiment_id")
                ),
            )
        )
    if lineage.get("validation"):
        rows.append((_("validation"), validation_label(str(lineage["validation"]))))
    problem = lineage.get("problem") or {}
    target = problem.get("target", lineage.get("target"))
    task = problem.get("task", lineage.get("task"))
    if target:
        task_words = _(TASK_WORDS[str(task)]) if str(task) in TASK_WORDS else str(task)
        rows.append((_("predicts"), f"'{target}': {task_words}" if task else f"'{target}'"))
    if problem.get("metric"):
        rows.append(
            (
                _("judged by"),
                _("{metric} of at least {bar}").format(
                    metric=get_metric_label(problem["metric"]), bar=format_value(problem.get("threshold"))
                ),
            )
        )
    if lineage.get("decision_threshold") is not None:
        rows.append((_("decision threshold"), format_value(float(lineage["decision_threshold"]), digits=3)))
    for key, value in lineage.items():
        if key in _SHOWN or isinstance(value, (dict, list)) or value is None:
            continue
        text = format_value(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        rows.append((column_label(key), text))
    return pd.DataFrame(rows, columns=["made from", "details"])
