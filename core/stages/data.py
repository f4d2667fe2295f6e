"""The Data, Problem and Features stages: save a table, clean it, define the problem, build the feature set."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from core.data import datasets
from core.data.cleaning import CleaningOffer, CleaningRecipe, apply_recipe, get_cleaning_warnings, suggest_cleaning
from core.data.reader import ReadInfo
from core.data.validation import derive_rules
from core.features import featurestore
from core.features.preprocessing import FeatureConfig, suggest_features
from core.i18n import _
from core.problem.definition import (
    ProblemConfig,
    suggest_problem,
    validate_problem,
)
from core.problem.store import set_problem
from core.security.masking import pii_key_scope
from core.stages.lab import require_problem
from core.training.caveats import suggest_group_column
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.progress import Progress, no_progress

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


DEFAULT_SAMPLE = "telco_churn.csv"


SAMPLES = {"telco_churn.csv": "churn", "card_fraud.csv": "is_fraud", "house_prices.csv": "price"}


def stage_ingest(
    ws: Workspace, project_id: int, df: pd.DataFrame, info: ReadInfo | None, name: str, upload: bytes | None = None
) -> dict:
    """Save an uploaded/sample table as a raw dataset version (with the file's own bytes, hashed)."""
    return datasets.save_dataset(
        ws, project_id, df, kind="raw", name=name, read_info=info.to_dict() if info else None, upload=upload
    )


def stage_clean(
    ws: Workspace,
    project_id: int,
    raw_dataset_id: int,
    recipe: CleaningRecipe | None = None,
    target: str | None = None,
    progress: Progress = no_progress,
) -> dict:
    """Apply (or suggest, then apply) a cleaning recipe; save recipe and cleaned data as new versions,
    with the validation rules learned from the cleaned data (they later check serving and production).

    A suggested recipe holds only the safe steps; the steps it merely offers (many rows removed, a
    column dropped) are not applied and come back in `offers`. `warnings` says in plain sentences
    what cleaning removed and what it offered."""
    raw = datasets.load_dataset(ws, raw_dataset_id)
    offers: tuple[CleaningOffer, ...] = ()
    if recipe is None:
        suggestion = suggest_cleaning(raw, target, datasets.load_read_info(ws, raw_dataset_id))
        recipe, offers = suggestion.recipe, suggestion.offers
    with pii_key_scope(ws.root):  # a hash step hashes with this workspace's key
        cleaned, reports = apply_recipe(raw, recipe, training=True, progress=progress)
    recipe_row = datasets.save_recipe(ws, project_id, recipe, reports, raw_dataset_id)
    dataset = datasets.save_dataset(
        ws,
        project_id,
        cleaned,
        kind="cleaned",
        name=f"cleaned v{recipe_row['version']}",
        parent_id=raw_dataset_id,
        recipe_id=recipe_row["id"],
        rules=derive_rules(cleaned, target).to_dict(),
    )
    return {
        "dataset": dataset,
        "recipe": recipe_row,
        "reports": reports,
        "offers": offers,
        "warnings": get_cleaning_warnings(reports, offers),
    }


def stage_problem(
    ws: Workspace, project_id: int, dataset_id: int, problem: ProblemConfig | str, **overrides: Any
) -> ProblemConfig:
    """Validate and save the problem definition (a target name gets the suggested definition, with
    ``overrides`` such as a time column or the costs of mistakes set on top; costs only apply to
    yes/no problems)."""
    df = datasets.load_dataset(ws, dataset_id)
    if isinstance(problem, str):
        if problem not in df.columns:
            raise ConfigError(
                _("The target column '{target}' is not in the table; choose one of: {columns}.").format(
                    target=problem, columns=", ".join(map(str, df.columns[:30]))
                )
            )
        problem = suggest_problem(df, problem)
        if overrides.get("time_column"):
            problem = replace(problem, time_column=overrides["time_column"])
        # As the Problem page pre-selects it: rows sharing an ID stay on one side of every split.
        problem = replace(problem, group_column=suggest_group_column(df, problem))
    if problem.task != "binary":
        overrides = {k: v for k, v in overrides.items() if not k.startswith("cost_")}
    if overrides:
        problem = replace(problem, **overrides)
    validate_problem(df, problem)
    set_problem(ws, project_id, problem)
    return problem


def require_cleaned(ws: Workspace, project_id: int) -> dict:
    dataset = datasets.latest_dataset(ws, project_id, "cleaned")
    if dataset is None:
        raise NotFoundError(_("This project has no cleaned data yet; load and clean a table on the Data page."))
    return dataset


def stage_features(ws: Workspace, project_id: int, dataset_id: int, config: FeatureConfig | None = None) -> dict:
    problem = require_problem(ws, project_id)
    df = datasets.load_dataset(ws, dataset_id)
    config = config or suggest_features(df, problem)
    return featurestore.save_feature_set(ws, project_id, dataset_id, df, problem, config)
