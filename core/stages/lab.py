"""The training lab's stages: train the leaderboard, run a tuning study, re-run a recorded run, and
gather what the gate needs besides the scores (the current champion on the same rows, the latency
of one request, the fairness gap). The pages, the demo and the CLI call these, like core.pipeline.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from joblib import parallel_config

from core import registry
from core.data import datasets
from core.evaluation.comparison import BOOTSTRAP_METRICS, bootstrap_metric_difference, metric_uses_scores
from core.evaluation.fairness import get_fairness_gaps, get_group_metrics_df
from core.evaluation.gate import GateResult, check_gate
from core.evaluation.reports import get_operating_threshold
from core.features import featurestore
from core.featurestore.project_features import with_catalog_features
from core.formatting import format_as, format_count
from core.i18n import N_, _, ngettext
from core.problem.definition import ProblemConfig, validate_problem
from core.problem.store import get_experiment_problem, get_problem
from core.security.pii import personal_features
from core.training import tracking
from core.training.catalog import BASELINE_KEY, get_model_spec
from core.training.config import TrainConfig
from core.training.metrics import compute_metric, predict_scores
from core.training.results import ModelResult, TrainResult
from core.training.trainer import evaluate_model, prepare_training, train_models
from core.training.tuning import (
    METHODS,
    StudyResult,
    Trial,
    TuneConfig,
    describe_study,
    run_study,
    validate_tune_config,
)
from core.workspace import jobs, owner
from core.workspace.database import Workspace, dumps, inserted_id, now
from core.workspace.errors import ConfigError, NotFoundError, StudioError
from core.workspace.progress import Progress, no_progress

LATENCY_CALLS = 7
# Fairness is judged on the measure that says who the model fails: recall for yes/no (equal
# opportunity: real positives caught in every group), accuracy for classes, error size for numbers.
FAIRNESS_MEASURES = {
    "binary": ("tpr", N_("recall")),
    "multiclass": ("accuracy", N_("accuracy")),
    "regression": ("mae", N_("typical error")),
}


def require_problem(ws: Workspace, project_id: int) -> ProblemConfig:
    problem = get_problem(ws, project_id)
    if problem is None:
        raise NotFoundError(_("This project has no problem definition yet; choose the target on the Problem page."))
    return problem


def _load_training_inputs(
    ws: Workspace, project_id: int, feature_set_id: int, problem: ProblemConfig | None = None
) -> tuple[ProblemConfig, Any, Any, pd.DataFrame]:
    problem = problem or require_problem(ws, project_id)
    fs = featurestore.get_feature_set(ws, feature_set_id)
    features = featurestore.load_feature_config(ws, feature_set_id)
    df = datasets.load_dataset(ws, fs["dataset_id"])
    df = with_catalog_features(ws, project_id, df, problem)  # the catalog features it uses, point-in-time
    validate_problem(df, problem)
    return problem, fs, features, df


# -- Gate inputs -----------------------------------------------------------------------------------
def measure_latency_ms(pipeline: Any, row: pd.DataFrame, task: str) -> float:
    """Time to answer one request of one row, as the endpoint does: probabilities for a classifier
    (the label follows from them), the prediction for a regressor. The fastest of a few calls: on a
    shared machine the slower ones measure the neighbours, not the model (as in ``make bench``)."""
    answer = pipeline.predict if task == "regression" else pipeline.predict_proba
    timings = []
    with parallel_config(backend="sequential"):
        for _call in range(LATENCY_CALLS):
            started = time.perf_counter()
            answer(row)
            timings.append(1000 * (time.perf_counter() - started))
    return float(min(timings))


def get_fairness_summary(
    problem: ProblemConfig, result: TrainResult, model: ModelResult, holdout_df: pd.DataFrame
) -> dict[str, Any] | None:
    """The largest gap between groups of the sensitive column on the holdout, in the gate's words."""
    column = problem.sensitive_column
    if column is None or column not in holdout_df.columns or not model.ok:
        return None
    measure, words = FAIRNESS_MEASURES[problem.task]
    y_true = result.y_test
    y_pred = model.test_pred
    decision_threshold = None
    if problem.task == "binary":  # judged on the answers the endpoint will give once registered
        decision_threshold = get_operating_threshold(problem, y_true, model.test_scores)
        y_pred = (np.asarray(model.test_scores) >= decision_threshold).astype(int)
    if problem.task == "multiclass":
        y_true, y_pred = np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)
    score = model.test_scores if problem.task == "binary" else None
    groups = holdout_df[column].reset_index(drop=True)
    table = get_group_metrics_df(y_true, y_pred, groups, problem.task, score=score)
    gap = get_fairness_gaps(table).get(measure)
    if gap is None:
        return None
    summary = {
        "column": column,
        "measure": words,
        "gap": gap["gap"],
        "low_group": gap["low_group"],
        "high_group": gap["high_group"],
        "reliable": gap["reliable"],
        "relative": False,
        "decision_threshold": decision_threshold,
    }
    if problem.task == "regression":
        # An error gap in the target's units means little: judge it relative to the typical error.
        overall = float(np.mean(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float)))) or 1.0
        summary.update(gap=gap["gap"] / overall, relative=True)
    return summary


def score_champion(
    ws: Workspace,
    project_id: int,
    problem: ProblemConfig,
    holdout_df: pd.DataFrame,
    y_test: np.ndarray,
    holdout_strategy: str,
    model: ModelResult | None = None,
) -> dict[str, Any] | None:
    """The current champion's metric on these holdout rows (None when there is no champion). Only on
    rows it never trained on: rows from outside the training table (a provided test set, fresh
    production rows), or exactly the holdout of the champion's own experiment; otherwise the champion
    is named but not compared, since scoring it on its own training rows would flatter it.
    With ``model``, also a paired bootstrap 95% interval of (model − champion) on those rows."""
    name = registry.find_model_name(ws, project_id, problem)  # the champion that answers the same question
    champion = registry.get_alias_version(ws, project_id, name, "champion") if name else None
    if champion is None:
        return None
    label = f"{champion['model_name']} v{champion['version']}"
    try:
        if holdout_strategy != "provided-test-set":
            run = tracking.get_run(ws, champion["run_id"])
            own = tracking.load_holdout(ws, tracking.get_experiment(ws, run["experiment_id"]))
            if not own.equals(holdout_df.reset_index(drop=True)):
                return {
                    "name": label,
                    "error": _(
                        "it trained on some of these rows, which come from another split or data version; train on the same split to compare the two"
                    ),
                }
        pipeline = tracking.load_run_model(ws, champion["run_id"])
        X = holdout_df.drop(columns=[problem.target], errors="ignore")
        y_pred, y_score = predict_scores(problem, pipeline, X)
        scored = {"name": label, "value": compute_metric(problem.metric, y_test, y_pred, y_score)}
        if model is not None and model.ok and problem.metric in BOOTSTRAP_METRICS:
            uses_scores = metric_uses_scores(problem.metric)
            boot = bootstrap_metric_difference(
                y_test,
                model.test_scores if uses_scores else model.test_pred,
                y_score if uses_scores else y_pred,
                problem.metric,
                n_boot=500,
            )
            scored.update(ci_low=boot["ci_low"], ci_high=boot["ci_high"])
        return scored
    except (StudioError, ValueError, KeyError, TypeError) as exc:
        return {"name": label, "error": _("it could not score these rows: ") + str(exc).split("\n")[0][:200]}


def check_gate_for(ws: Workspace, project_id: int, result: TrainResult, holdout_df: pd.DataFrame) -> GateResult:
    """The gate with every check: threshold, baseline, current champion, latency, fairness."""
    best = result.best
    latency = None
    if best.ok and not best.is_baseline and len(holdout_df):
        row = holdout_df.drop(columns=[result.problem.target], errors="ignore").head(1)
        latency = measure_latency_ms(best.pipeline, row, result.problem.task)
    return check_gate(
        result.problem,
        best,
        result.baseline,
        champion=score_champion(ws, project_id, result.problem, holdout_df, result.y_test, result.holdout, best),
        latency_ms=latency,
        fairness=get_fairness_summary(result.problem, result, best, holdout_df),
        personal=personal_features(holdout_df, result.problem.target, result.features.drop_columns),
    )


def _record(
    ws: Workspace,
    project_id: int,
    fs: dict,
    result: TrainResult,
    df: pd.DataFrame,
    test_df: pd.DataFrame | None,
    *,
    note: str,
    kind: str,
    rerun_of: int | None = None,
) -> dict[str, Any]:
    holdout_df = (test_df if test_df is not None else df).loc[result.test_index]
    gate = check_gate_for(ws, project_id, result, holdout_df)
    experiment = tracking.record_experiment(
        ws,
        project_id,
        fs["dataset_id"],
        fs["id"],
        result,
        gate.to_dict(),
        holdout_df,
        note=note,
        kind=kind,
        rerun_of=rerun_of,
    )
    return {"experiment": experiment, "result": result, "gate": gate}


# -- Stages ----------------------------------------------------------------------------------------
def stage_train(
    ws: Workspace,
    project_id: int,
    feature_set_id: int,
    config: TrainConfig = TrainConfig(),
    *,
    test_df: pd.DataFrame | None = None,
    progress: Progress = no_progress,
    note: str = "",
    kind: str = "leaderboard",
    problem: ProblemConfig | None = None,
) -> dict:
    """Train and compare the catalog, check the gate, record everything. Returns the experiment row
    plus the in-memory TrainResult and GateResult for callers that want to show them right away.
    ``kind`` says what made the experiment: a leaderboard, or a retraining after monitoring.
    ``problem`` defaults to the project's; retraining passes the deployed version's own problem."""
    problem, fs, features, df = _load_training_inputs(ws, project_id, feature_set_id, problem)
    if test_df is not None:  # a given test set gets the catalog features too, as of each of its rows
        test_df = with_catalog_features(ws, project_id, test_df, problem)
    result = train_models(df, problem, features, config, test_df=test_df, progress=progress)
    return _record(ws, project_id, fs, result, df, test_df, note=note, kind=kind)


def get_default_experiment_id(ws: Workspace, project_id: int) -> int | None:
    """The experiment pages open on: the champion's, unless the user has trained since (a newer
    leaderboard or tuning study); retrainings made by monitoring never take over the pages on their own.
    None when the project has no experiment."""
    experiments = tracking.list_experiments(ws, project_id)  # newest first
    if not experiments:
        return None
    name = registry.get_model_name(ws, project_id)
    champion = registry.get_alias_version(ws, project_id, name, "champion") if name else None
    champion_experiment = json.loads(champion["lineage_json"])["experiment_id"] if champion else None
    for experiment in experiments:
        if experiment["id"] == champion_experiment or experiment.get("kind") != "retraining":
            return experiment["id"]
    return experiments[0]["id"]


def training_setup_like(
    ws: Workspace, experiment: dict[str, Any] | None, feature_set_id: int
) -> tuple[TrainConfig, pd.DataFrame | None]:
    """The settings and test rows that make a new study comparable with ``experiment``: its folds,
    seed and validation, and its test set when it was given one (e.g. fresh production rows)."""
    if experiment is None:
        return TrainConfig(), None
    recorded = json.loads(experiment["config_json"])
    same_rows = experiment["feature_set_id"] == feature_set_id
    test_df = (
        tracking.load_holdout(ws, experiment) if same_rows and recorded.get("holdout") == "provided-test-set" else None
    )
    return TrainConfig.from_dict(recorded), test_df


def stage_tune(
    ws: Workspace,
    project_id: int,
    feature_set_id: int,
    tune: TuneConfig,
    config: TrainConfig = TrainConfig(),
    *,
    test_df: pd.DataFrame | None = None,
    progress: Progress = no_progress,
    should_stop: Callable[[], bool] = lambda: False,
    job_id: int | None = None,
) -> dict:
    """A tuning study of one family: every trial saved as it ends (the page draws them live), the best
    settings refit and recorded as an experiment (baseline, defaults, tuned) that the gate judges.
    ``test_df`` is the holdout when the leaderboard it follows had one given (see training_setup_like)."""
    problem, fs, features, df = _load_training_inputs(ws, project_id, feature_set_id)
    tune = tune.resolved(problem.task)
    validate_tune_config(tune, problem.task)  # before anything is saved: a bad space leaves no study behind
    with ws.transaction() as conn:
        study_id = inserted_id(
            conn.execute(
                """INSERT INTO studies (project_id, feature_set_id, job_id, config_json, train_config_json, metric,
               status, created_at, owner) VALUES (?,?,?,?,?,?,'running',?,?)""",
                (
                    project_id,
                    feature_set_id,
                    job_id,
                    dumps(tune.to_dict()),
                    dumps(config.to_dict()),
                    problem.metric,
                    now(),
                    owner.this_process(),
                ),
            )
        )

    def save_trial(trial: Trial) -> None:
        with ws.transaction() as conn:
            conn.execute(
                """INSERT INTO trials (study_id, number, params_json, cv_scores_json, cv_score, seconds, error,
                   created_at) VALUES (?,?,?,?,?,?,?,?)""",
                (
                    study_id,
                    trial.number,
                    dumps(trial.params),
                    dumps(trial.cv_scores),
                    None if math.isnan(trial.cv_score) else trial.cv_score,
                    trial.seconds,
                    trial.error,
                    now(),
                ),
            )

    try:
        study = run_study(
            df,
            problem,
            features,
            config,
            tune,
            test_df=test_df,
            progress=progress,
            should_stop=should_stop,
            on_trial=save_trial,
        )
    except Exception:
        _finish_study(ws, study_id, "failed")
        raise
    summary = describe_study(study, problem.metric)
    spec = get_model_spec(problem.task, tune.model)
    recorded = _record(
        ws,
        project_id,
        fs,
        study.result,
        df,
        test_df,
        kind="tuning",
        note=ngettext("{method} of {family}, {n} trial", "{method} of {family}, {n} trials", len(study.trials)).format(
            method=_(METHODS[tune.method]), family=_(spec.name), n=len(study.trials)
        ),
    )
    _finish_study(
        ws,
        study_id,
        "stopped" if study.stopped == "stopped" else "done",
        experiment_id=recorded["experiment"]["id"],
        default_cv_score=study.default_cv_score,
        summary=summary,
    )
    return {**recorded, "study_id": study_id, "study": study, "summary": summary}


def _finish_study(ws: Workspace, study_id: int, status: str, **fields: Any) -> None:
    fields["status"] = status
    cols = ", ".join(f"{k} = ?" for k in fields)
    with ws.transaction() as conn:
        conn.execute(f"UPDATE studies SET {cols} WHERE id = ?", (*fields.values(), study_id))


def _ended_status(ws: Workspace, study: dict[str, Any]) -> str | None:
    """None while a "running" study still runs, else what became of it. A study run by a job lives as
    long as the job; one run without a job (the CLI's --tune) as long as the process that started it."""
    if study["job_id"] is not None:
        status = jobs.get_job(ws, study["job_id"])["status"]
        return None if status == "running" else "failed" if status == "failed" else "interrupted"
    alive = owner.is_this_process(study["owner"]) or owner.is_alive(study["owner"])
    return None if alive else "interrupted"


def get_study(ws: Workspace, study_id: int) -> dict[str, Any]:
    """The study with its trials; one left "running" by a process that is gone is marked
    interrupted here (its trials so far are kept)."""
    study = ws.get_row(
        "studies",
        study_id,
        _("Tuning study {study_id} does not exist; start one on the Train page.").format(study_id=study_id),
    )
    ended = _ended_status(ws, study) if study["status"] == "running" else None
    if ended is not None:
        with ws.transaction() as conn:
            conn.execute("UPDATE studies SET status = ? WHERE id = ? AND status = 'running'", (ended, study_id))
        study = ws.get_row("studies", study_id, "")
    study["config"] = TuneConfig.from_dict(json.loads(study["config_json"]))
    study["trials"] = [
        {
            "number": t["number"],
            "params": json.loads(t["params_json"]),
            "cv_scores": json.loads(t["cv_scores_json"]),
            "cv_score": float("nan") if t["cv_score"] is None else t["cv_score"],
            "seconds": t["seconds"],
            "error": t["error"],
        }
        for t in ws.query("SELECT * FROM trials WHERE study_id = ? ORDER BY number", (study_id,))
    ]
    return study


def latest_study(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    row = ws.query_one("SELECT id FROM studies WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project_id,))
    return get_study(ws, row["id"]) if row else None


def study_for_experiment(ws: Workspace, experiment_id: int) -> dict[str, Any] | None:
    row = ws.query_one("SELECT id FROM studies WHERE experiment_id = ?", (experiment_id,))
    return get_study(ws, row["id"]) if row else None


def stage_rerun(ws: Workspace, project_id: int, run_id: int, *, progress: Progress = no_progress) -> dict[str, Any]:
    """Train a recorded run again from its record alone (data version, feature set, problem, validation,
    seed, settings) and say whether it reproduces the same fold scores."""
    run = tracking.get_run(ws, run_id)
    if run["error"]:
        raise ConfigError(
            _("Run {run_id} ({model_name}) failed to train, so there is nothing to reproduce.").format(
                run_id=run_id, model_name=run["model_name"]
            )
        )
    experiment = tracking.get_experiment(ws, run["experiment_id"])
    problem = get_experiment_problem(experiment)
    recorded_config = json.loads(experiment["config_json"])
    config = TrainConfig.from_dict(recorded_config)
    fs = featurestore.get_feature_set(ws, experiment["feature_set_id"])
    features = featurestore.load_feature_config(ws, fs["id"])
    df = datasets.load_dataset(ws, experiment["dataset_id"])
    test_df = tracking.load_holdout(ws, experiment) if recorded_config.get("holdout") == "provided-test-set" else None
    data, tracker = prepare_training(df, problem, features, config, test_df=test_df, progress=progress, n_models=2)
    spec = get_model_spec(problem.task, run["model_key"])
    params = json.loads(run["params_json"] or "{}")
    results = [
        evaluate_model(get_model_spec(problem.task, BASELINE_KEY), data, tracker),
        evaluate_model(spec, data, tracker, params=params, name=run["model_name"]),
    ]
    result = data.to_result(results)
    recorded = _record(
        ws,
        project_id,
        fs,
        result,
        df,
        test_df,
        kind="rerun",
        rerun_of=run_id,
        note=_("re-run of run {run_id} ({model_name})").format(run_id=run_id, model_name=run["model_name"]),
    )
    original = json.loads(run["cv_scores_json"] or "[]")
    again = next(r for r in result.results if r.name == run["model_name"])
    same = len(original) == len(again.cv_scores) and bool(np.allclose(original, again.cv_scores, rtol=0, atol=1e-12))
    return {
        **recorded,
        "run_id": run_id,
        "original_cv_scores": original,
        "rerun_cv_scores": list(again.cv_scores),
        "reproduced": same,
    }


def describe_rerun(outcome: dict[str, Any]) -> str:
    original, again = outcome["original_cv_scores"], outcome["rerun_cv_scores"]
    if outcome["reproduced"]:
        return _(
            "Re-running run {run_id} from its record gave the same score on every one of the {n} folds: the run is reproducible."
        ).format(run_id=outcome["run_id"], n=format_count(len(again)))
    diff = max((abs(a - b) for a, b in zip(original, again)), default=float("nan"))
    return _(
        "Re-running run {run_id} gave different fold scores (largest difference {diff}); the data, the settings or the library versions have changed since it was recorded."
    ).format(run_id=outcome["run_id"], diff=format_as(diff, ".2g"))


def summarize_study(outcome: dict[str, Any]) -> dict[str, Any]:
    """The JSON the CLI prints for a tuning study."""
    study: StudyResult = outcome["study"]
    best = study.best
    return {
        "model": study.config.model,
        "method": study.config.method,
        "trials": len(study.trials),
        "stopped": study.stopped or None,
        "seconds": round(study.seconds, 2),
        "default_cv_score": _rounded(study.default_cv_score),
        "best_cv_score": _rounded(best.cv_score) if best else None,
        "best_params": best.params if best else None,
        "summary": outcome["summary"],
        "experiment_id": outcome["experiment"]["id"],
        "gate": outcome["gate"].to_dict(),
    }


def _rounded(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)
