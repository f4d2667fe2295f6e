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
TASK_WORDS = {"binary": "yes/no (two classes)", "multiclass": "one of several classes", "regression": "a number"}


def _dataset_text(ws: Workspace, dataset_id: int | None) -> tuple[str | None, dict[str, Any] | None]:
    if dataset_id is None:
        return None, None
    row = ws.query_one("SELECT * FROM datasets WHERE id = ?", (dataset_id,))
    if row is None:
        return f"dataset {dataset_id} (no longer stored)", None
    kind = "cleaned" if row["kind"] != "raw" else "as uploaded"
    version = "" if str(row["name"]).endswith(f"v{row['version']}") else f" version {row['version']}"
    text = f"'{row['name']}'{version} ({kind}): {format_count(row['rows'])} rows, {format_count(row['cols'])} columns"
    return text, dict(row)


def get_lineage_rows(ws: Workspace, version: dict[str, Any]) -> pd.DataFrame:
    """Columns "made from" and "details" for one registered version (a ``model_versions`` row)."""
    lineage: dict[str, Any] = json.loads(version.get("lineage_json") or "{}")
    rows: list[tuple[str, str]] = []
    data_text, dataset = _dataset_text(ws, lineage.get("dataset_id"))
    if data_text:
        rows.append(("data version", data_text))
    if dataset is not None:
        if dataset.get("recipe_id") is not None:
            recipe = ws.query_one("SELECT version FROM recipes WHERE id = ?", (dataset["recipe_id"],))
            rows.append(("cleaning recipe", f"recipe version {recipe['version']}" if recipe else "a deleted recipe"))
        else:
            rows.append(("cleaning recipe", "none: the data as uploaded"))
        if dataset.get("parent_id") is not None:
            parent_text, _ = _dataset_text(ws, dataset["parent_id"])
            rows.append(("cleaned from", parent_text or ""))
    if lineage.get("feature_set_id") is not None:
        fs = ws.query_one("SELECT version FROM feature_sets WHERE id = ?", (lineage["feature_set_id"],))
        rows.append(("feature set", f"version {fs['version']}" if fs else f"feature set {lineage['feature_set_id']}"))
    if lineage.get("run_id") is not None:
        run = ws.query_one("SELECT model_name FROM runs WHERE id = ?", (lineage["run_id"],))
        family = f" ({run['model_name']})" if run else ""
        rows.append(("training run", f"run {lineage['run_id']}{family} of experiment {lineage.get('experiment_id')}"))
    if lineage.get("validation"):
        rows.append(("validation", validation_label(str(lineage["validation"]))))
    problem = lineage.get("problem") or {}
    target = problem.get("target", lineage.get("target"))
    task = problem.get("task", lineage.get("task"))
    if target:
        rows.append(("predicts", f"'{target}': {TASK_WORDS.get(str(task), str(task))}" if task else f"'{target}'"))
    if problem.get("metric"):
        rows.append(
            (
                "judged by",
                f"{get_metric_label(problem['metric'])} of at least {format_value(problem.get('threshold'))}",
            )
        )
    if lineage.get("decision_threshold") is not None:
        rows.append(("decision threshold", format_value(float(lineage["decision_threshold"]), digits=3)))
    for key, value in lineage.items():
        if key in _SHOWN or isinstance(value, (dict, list)) or value is None:
            continue
        text = format_value(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        rows.append((column_label(key), text))
    return pd.DataFrame(rows, columns=["made from", "details"])
