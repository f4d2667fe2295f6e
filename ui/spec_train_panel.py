"""The Train page opens with what the spec a project was made from chose: its model families, folds, held-out
share, validation, class weights and seed (the leaderboard's settings) and its tuning method, family, budget
and time limit. Set once per session and project, before the widgets are drawn (their keys are the Train
page's own), so a change made on the page afterwards is kept; a project made in the UI is left alone."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.i18n import _
from core.problem.definition import ProblemConfig
from core.spec.apply import get_applied_spec
from core.training import tracking
from core.training.catalog import get_catalog
from core.training.tuning import METHODS, tunable_models
from ui.leaderboard_panel import validation_applies

_DONE = "spec_train_preselected"  # session key: the projects whose Train widgets got the spec's choices
# The Train page's ranges (ui/leaderboard_panel.py, ui/tuning_panel.py): a spec's value outside is clamped.
FOLDS = (3, 10)
TEST_SIZE = (0.1, 0.4)
SECONDS = (0, 3600)


def preselect_from_spec(ws, project_id: int, problem: ProblemConfig, section: str) -> dict[str, Any]:
    """Put the applied spec's training choices in the Train page's widgets while the project has no
    leaderboard yet, and its tuning choices while it has no study (after one, the page follows its own),
    once per session and project; say so on the sections that train. Returns what was set now."""
    applied = get_applied_spec(ws, project_id)
    if applied is None:
        return {}
    untrained = tracking.latest_experiment(ws, project_id) is None
    untuned = ws.query_one("SELECT id FROM studies WHERE project_id = ? LIMIT 1", (project_id,)) is None
    if (section == "leaderboard" and untrained) or (section == "tune" and untuned):
        st.caption(_("The training and tuning settings start from the ones the spec this project was made from chose."))
    done: set[int] = st.session_state.setdefault(_DONE, set())
    if project_id in done:
        return {}
    done.add(project_id)
    values = training_values(applied.get("training") or {}, problem) if untrained else {}
    if untuned:
        values |= tuning_values(applied.get("tuning") or {}, problem)
    for key, value in values.items():
        st.session_state[key] = value
    return values


def training_values(training: dict[str, Any], problem: ProblemConfig) -> dict[str, Any]:
    """The leaderboard widgets' values (keys of ui/leaderboard_panel.py) from a spec's ``training``."""
    catalog = [m.key for m in get_catalog(problem.task)]
    values: dict[str, Any] = {}
    models = [m for m in training.get("models") or [] if m in catalog and m != "baseline"]
    if models:
        values["models"] = models
    if "cv_folds" in training:
        values["folds"] = min(max(int(training["cv_folds"]), FOLDS[0]), FOLDS[1])
    if "test_size" in training:
        share = min(max(float(training["test_size"]), TEST_SIZE[0]), TEST_SIZE[1])
        values["test_size"] = round(round(share / 0.05) * 0.05, 2)
    validation = training.get("validation")
    if validation and validation_applies(validation, problem):
        values["validation"] = validation
    if problem.family == "classification":
        values["class_weight"] = training.get("class_weight") == "balanced"
    if "seed" in training:
        values["train_seed"] = int(training["seed"])
    return values


def tuning_values(tuning: dict[str, Any], problem: ProblemConfig) -> dict[str, Any]:
    """The tuning widgets' values (keys of ui/tuning_panel.py) from a spec's ``tuning``."""
    values: dict[str, Any] = {}
    method = tuning.get("method")
    if method in METHODS:  # "none" (the spec does not tune) leaves the page's suggestion
        values["tune_method"] = method
    if tuning.get("model") in tunable_models(problem.task):
        values["tune_family"] = tuning["model"]
    if method in METHODS and "budget" in tuning:
        values["tune_trials"] = int(tuning["budget"])
    if method in METHODS and "max_seconds" in tuning:
        seconds = tuning["max_seconds"] or 0  # none: no limit, the page's 0
        values["tune_seconds"] = int(min(max(round(float(seconds) / 10) * 10, SECONDS[0]), SECONDS[1]))
    return values
