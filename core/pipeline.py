"""The pipeline's stages as functions of (workspace, ids, config) -> saved result.

The pages, the "Run full demo" button and the CLI all call these, so there is one code path.
Each stage loads its inputs by id, computes with the pure modules, and saves what it made with its
lineage; nothing is kept in memory between stages.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from core import datasets, featurestore, projects, registry, serving, tracking
from core.lab import require_problem, stage_train, stage_tune, summarize_study  # noqa: F401 - one import place
from core.cleaning import CleaningOffer, CleaningRecipe, apply_recipe, get_cleaning_warnings, suggest_cleaning
from core.drift import DriftConfig
from core.errors import ConfigError, NotFoundError
from core.evaluation import DEFAULT_DECISION_THRESHOLD, get_cost_matrix, get_operating_threshold
from core.explain import Explanation, explain_model
from core.features import FeatureConfig, suggest_features
from core.monitoring import MonitoringReport, get_non_signal_columns, run_monitoring
from core.problem import (
    ProblemConfig,
    encode_target,
    format_metric_value,
    get_metric_label,
    is_higher_better,
    suggest_problem,
    validate_problem,
)
from core.reader import ReadInfo, read_path
from core.retraining import MonitoringVerdict, describe_monitoring_outcome, get_retraining, record_retraining
from core.routing import RoutingConfig
from core.simulation import TrafficConfig, simulate_traffic
from core.training import TrainConfig, TrainResult, compute_metrics, suggest_group_column
from core.tuning import TuneConfig
from core.validation import check_rows_by_window, derive_rules
from core.workspace import Workspace, now

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
DEFAULT_SAMPLE = "telco_churn.csv"
SAMPLES = {"telco_churn.csv": "churn", "card_fraud.csv": "is_fraud", "house_prices.csv": "price"}
DEMO_SCENARIO = "sudden"
# A churner who leaves costs about a year of margin; a retention offer costs a discount.
DEMO_COSTS = (500.0, 50.0)
DEMO_TIME_COLUMN = "signup_date"
DEMO_PROJECT_NAME = "Churn demo"

Progress = Callable[[float, str], None]


def _noop(fraction: float, message: str) -> None:
    pass


def _scaled(progress: Progress, start: float, end: float) -> Progress:
    """A progress callback for a sub-step occupying [start, end] of the whole."""
    return lambda f, msg: progress(start + (end - start) * f, msg)


# -- Data ----------------------------------------------------------------------------------------
def stage_ingest(ws: Workspace, project_id: int, df: pd.DataFrame, info: ReadInfo | None, name: str,
                 upload: bytes | None = None) -> dict:
    """Save an uploaded/sample table as a raw dataset version (with the file's own bytes, hashed)."""
    return datasets.save_dataset(ws, project_id, df, kind="raw", name=name,
                                 read_info=info.to_dict() if info else None, upload=upload)


def stage_clean(ws: Workspace, project_id: int, raw_dataset_id: int, recipe: CleaningRecipe | None = None,
                target: str | None = None, progress: Progress = _noop) -> dict:
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
    cleaned, reports = apply_recipe(raw, recipe, training=True, progress=progress)
    recipe_row = datasets.save_recipe(ws, project_id, recipe, reports, raw_dataset_id)
    dataset = datasets.save_dataset(ws, project_id, cleaned, kind="cleaned", name=f"cleaned v{recipe_row['version']}",
                                    parent_id=raw_dataset_id, recipe_id=recipe_row["id"],
                                    rules=derive_rules(cleaned, target).to_dict())
    return {"dataset": dataset, "recipe": recipe_row, "reports": reports, "offers": offers,
            "warnings": get_cleaning_warnings(reports, offers)}


# -- Problem & features --------------------------------------------------------------------------
def stage_problem(ws: Workspace, project_id: int, dataset_id: int, problem: ProblemConfig | str,
                  **overrides: Any) -> ProblemConfig:
    """Validate and save the problem definition (a target name gets the suggested definition, with
    ``overrides`` such as a time column or the costs of mistakes set on top; costs only apply to
    yes/no problems)."""
    df = datasets.load_dataset(ws, dataset_id)
    if isinstance(problem, str):
        if problem not in df.columns:
            raise ConfigError(f"The target column '{problem}' is not in the table; choose one of: "
                              f"{', '.join(map(str, df.columns[:30]))}.")
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
    projects.set_problem(ws, project_id, problem)
    return problem


def require_cleaned(ws: Workspace, project_id: int) -> dict:
    dataset = datasets.latest_dataset(ws, project_id, "cleaned")
    if dataset is None:
        raise NotFoundError("This project has no cleaned data yet; load and clean a table on the Data page.")
    return dataset


def stage_features(ws: Workspace, project_id: int, dataset_id: int, config: FeatureConfig | None = None) -> dict:
    problem = require_problem(ws, project_id)
    df = datasets.load_dataset(ws, dataset_id)
    config = config or suggest_features(df, problem)
    return featurestore.save_feature_set(ws, project_id, dataset_id, df, problem, config)


# -- Explain -------------------------------------------------------------------------------------
def stage_explain(ws: Workspace, project_id: int, run_id: int, *, max_rows: int = 200) -> Explanation:
    """SHAP for one run on its holdout rows; saved so the page shows it again without recomputing."""
    cached = ws.query_one("SELECT artifact_id FROM explanations WHERE run_id = ? ORDER BY id DESC LIMIT 1",
                          (run_id,))
    if cached:
        return Explanation.from_dict(ws.load_json(cached["artifact_id"]))
    run = tracking.get_run(ws, run_id)
    experiment = tracking.get_experiment(ws, run["experiment_id"])
    problem = ProblemConfig.from_dict(json.loads(experiment["problem_json"]))
    X = tracking.load_holdout(ws, experiment).drop(columns=[problem.target], errors="ignore")
    pipeline = tracking.load_run_model(ws, run_id)
    expl = explain_model(pipeline, X, problem.task, model_key=run["model_key"], max_rows=max_rows,
                         target_name=problem.target,
                         class_name=str(problem.positive_class) if problem.task == "binary" else None)
    artifact_id = ws.save_json(expl.to_dict(), kind="explanation")
    with ws.transaction() as conn:
        conn.execute("INSERT INTO explanations (run_id, artifact_id, created_at) VALUES (?,?,?)",
                     (run_id, artifact_id, now()))
    return expl


# -- Registry & deployment ------------------------------------------------------------------------
def _slug(text: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in str(text).lower())
    return "-".join(filter(None, slug.split("-")))


def model_name_for(project: dict) -> str:
    """The project's first model name, made from the project's name."""
    return _slug(project["name"])[:40] or f"project-{project['id']}"


def model_name_for_problem(ws: Workspace, project_id: int, problem: ProblemConfig) -> str:
    """The model name a version of ``problem`` is registered under: the project's model that already
    predicts the same thing, else a new name (the project's, plus the target when that is taken), so
    the versions and the champion/challenger of one model always answer the same question."""
    existing = registry.find_model_name(ws, project_id, problem)
    if existing is not None:
        return existing
    taken = set(registry.get_model_names(ws, project_id))
    base = model_name_for(projects.get_project(ws, project_id))
    candidates = [base, f"{base}-{_slug(problem.target)[:30] or 'target'}"]
    candidates += [f"{candidates[1]}-{i}" for i in range(2, len(taken) + 3)]
    return next(name for name in candidates if name not in taken)


def model_name_for_experiment(ws: Workspace, project_id: int, experiment: dict) -> str:
    """The model name a run of ``experiment`` is registered under (see model_name_for_problem)."""
    return model_name_for_problem(ws, project_id, ProblemConfig.from_dict(json.loads(experiment["problem_json"])))


def get_class_labels(df: pd.DataFrame, problem: ProblemConfig) -> list[str]:
    """Binary: [negative, positive] as text, matching the 0/1 encoding; multiclass: sorted labels."""
    if problem.task == "regression":
        return []
    values = sorted({str(v) for v in df[problem.target].dropna().unique()})
    if problem.task == "binary":
        positive = str(problem.positive_class)
        negative = next((v for v in values if v != positive), "other")
        return [negative, positive]
    return values


def stage_register(ws: Workspace, project_id: int, run_id: int, *, alias: str | None = "champion",
                   note: str = "", override_reason: str = "", decision_threshold: float | None = None) -> dict:
    """Register a run. Refused when its experiment failed the gate, unless a written reason is given.
    A yes/no model keeps the score from which it answers 'yes' (``decision_threshold``; by default
    the cheapest on its holdout when the problem has costs, else 0.5): the endpoint uses it."""
    run = tracking.get_run(ws, run_id)
    experiment = tracking.get_experiment(ws, run["experiment_id"])
    gate = json.loads(experiment["gate_json"] or "{}")
    is_best = experiment["best_run_id"] == run_id
    if not (gate.get("passed") and is_best) and not override_reason.strip():
        why = "did not pass the gate" if not gate.get("passed") else "is not the model the gate checked"
        raise ConfigError(f"Run {run_id} ({run['model_name']}) {why}; improve it, or register it anyway with a "
                          "written reason (it goes into the audit log).")
    problem = ProblemConfig.from_dict(json.loads(experiment["problem_json"]))
    dataset = datasets.get_dataset(ws, experiment["dataset_id"])
    df = datasets.load_dataset(ws, dataset["id"])
    # The version freezes its problem (read back with registry.get_version_problem): monitoring and
    # retraining judge it by what it was trained to predict, whatever the Problem page says later.
    lineage = {"recipe_id": dataset["recipe_id"], "raw_dataset_id": _raw_ancestor(ws, dataset), "task": problem.task,
               "target": problem.target, "classes": get_class_labels(df, problem), "gate": gate,
               "override_reason": override_reason or None, "problem": problem.to_dict(),
               "input_columns": _input_columns(ws, run_id)}
    if problem.task == "binary":
        lineage["decision_threshold"] = (suggest_decision_threshold(ws, experiment, run_id)
                                         if decision_threshold is None else _checked_threshold(decision_threshold))
    version = registry.register_model(ws, project_id, run_id, model_name=model_name_for_problem(ws, project_id, problem),
                                      alias=alias, extra_lineage=lineage,
                                      note=note or (f"override: {override_reason}" if override_reason else ""))
    if alias == "champion":  # a new champion of the model the endpoint serves is served at once
        redeploy_if_live(ws, project_id, version["model_name"], reason=f"registration of {_label(version)}")
    return version


def _input_columns(ws: Workspace, run_id: int) -> list[str]:
    """The columns a run's fitted pipeline takes as input (a request's schema)."""
    return [str(c) for c in getattr(tracking.load_run_model(ws, run_id), "feature_names_in_", [])]


def suggest_decision_threshold(ws: Workspace, experiment: dict, run_id: int) -> float:
    """Where a yes/no run should answer 'yes' once deployed: the cheapest threshold on its holdout
    when the problem has costs, otherwise 0.5."""
    problem = ProblemConfig.from_dict(json.loads(experiment["problem_json"]))
    if problem.task != "binary" or get_cost_matrix(problem) is None:
        return DEFAULT_DECISION_THRESHOLD
    y = encode_target(tracking.load_holdout(ws, experiment)[problem.target], problem)
    return get_operating_threshold(problem, y, tracking.load_run_predictions(ws, run_id)["score"].to_numpy())


def _checked_threshold(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 <= value <= 1:
        raise ConfigError(f"The decision threshold must be a score between 0 and 1; got {value!r} instead.")
    return round(float(value), 4)


def _raw_ancestor(ws: Workspace, dataset: dict) -> int | None:
    """The raw upload a dataset version descends from (retraining sets chain cleaned versions)."""
    while dataset["kind"] != "raw" and dataset["parent_id"] is not None:
        dataset = datasets.get_dataset(ws, dataset["parent_id"])
    return dataset["id"] if dataset["kind"] == "raw" else None


def stage_deploy(ws: Workspace, project_id: int, routing: RoutingConfig = RoutingConfig(),
                 model_name: str | None = None, reason: str = "") -> dict:
    """Put the champion of ``model_name`` (by default the model of the project's current problem, see
    registry.get_model_name) and its challenger, if the strategy uses one, behind the endpoint."""
    name = model_name or registry.get_model_name(ws, project_id)
    champion = registry.get_alias_version(ws, project_id, name, "champion") if name else None
    if champion is None:
        what = f"Model '{name}' has no champion" if name else "No model is registered"
        raise NotFoundError(f"{what} to deploy; register a model as champion on the Registry page.")
    challenger = registry.get_alias_version(ws, project_id, name, "challenger")
    if routing.strategy != "single" and challenger is None:
        raise ConfigError(f"The '{routing.strategy}' strategy needs a challenger; register one on the Registry "
                          "page or choose 'single'.")
    return serving.create_deployment(ws, project_id, routing, champion["id"],
                                     challenger["id"] if challenger and routing.strategy != "single" else None,
                                     reason=reason)


def stage_promote(ws: Workspace, project_id: int, model_name: str, reason: str = "") -> dict:
    """The challenger becomes champion, and the endpoint serves it at once when it serves this model
    (see redeploy_if_live). Returns {"version", "deployment" (None when not redeployed), "message"}."""
    version = registry.promote_challenger(ws, project_id, model_name, reason=reason)
    return _after_champion_change(ws, project_id, version, f"{_label(version)} is now the champion", "promotion")


def stage_rollback(ws: Workspace, project_id: int, model_name: str, reason: str = "") -> dict:
    """The previous champion is champion again, and serves at once when the endpoint serves this model."""
    version = registry.rollback_champion(ws, project_id, model_name, reason=reason)
    return _after_champion_change(ws, project_id, version, f"Rolled back: {_label(version)} is the champion again",
                                  "rollback")


def redeploy_if_live(ws: Workspace, project_id: int, model_name: str, reason: str) -> dict | None:
    """After the champion of ``model_name`` changed: when the endpoint serves that model, serve its
    champion now, so the Registry's champion and what the endpoint answers with never disagree. The
    strategy stays when the model still has the challenger it needs, else it becomes 'single'. The
    aliases are read afresh, so of two changes at once the later redeployment serves the final champion.
    Returns the new deployment, or None when the endpoint serves nothing or another model."""
    live = serving.get_active_deployment(ws, project_id)
    if live is None or registry.get_version(ws, live["champion_version_id"])["model_name"] != model_name:
        return None
    routing = live["routing"]
    if routing.strategy != "single" and registry.get_alias_version(ws, project_id, model_name, "challenger") is None:
        routing = RoutingConfig("single")
    return stage_deploy(ws, project_id, routing, model_name=model_name, reason=reason)


def describe_champion_not_served(ws: Workspace, project_id: int, model_name: str) -> str | None:
    """A warning when the endpoint serves ``model_name`` but not its champion (a state left by older
    versions of the studio, which changed aliases without redeploying); None when they agree."""
    live = serving.get_active_deployment(ws, project_id)
    champion = registry.get_alias_version(ws, project_id, model_name, "champion")
    if live is None or champion is None or live["champion_version_id"] == champion["id"]:
        return None
    deployed = registry.get_version(ws, live["champion_version_id"])
    if deployed["model_name"] != model_name:
        return None
    return (f"The champion of {model_name} is v{champion['version']}, but the endpoint still serves "
            f"v{deployed['version']} as champion: deploy on the Deploy page to serve v{champion['version']}.")


def describe_model_switch(ws: Workspace, project_id: int, model_name: str) -> str | None:
    """A warning before deploying ``model_name`` when the endpoint serves another model: the answers
    will be to another question (another target), so clients must know. None otherwise."""
    live = serving.get_active_deployment(ws, project_id)
    if live is None:
        return None
    deployed = registry.get_version(ws, live["champion_version_id"])
    if deployed["model_name"] == model_name:
        return None
    now_problem = registry.get_model_problem(ws, project_id, deployed["model_name"])
    new_problem = registry.get_model_problem(ws, project_id, model_name)
    what = (f", which predicts '{now_problem.target}'; deploying replaces it with {model_name}, which predicts "
            f"'{new_problem.target}'" if now_problem and new_problem else f"; deploying replaces it with {model_name}")
    return f"The endpoint serves {_label(deployed)}{what}. Clients will get answers to the new question."


def _after_champion_change(ws: Workspace, project_id: int, version: dict, done: str, why: str) -> dict:
    deployment = redeploy_if_live(ws, project_id, version["model_name"], reason=f"{why} of {version['model_name']}")
    live = serving.get_active_deployment(ws, project_id)
    if deployment is not None:
        message = f"{done}; the endpoint serves it now ({serving.describe_deployment(ws, deployment)})."
    elif live is None:
        message = f"{done}. Nothing is deployed yet: deploy it on the Deploy page to serve it."
    else:
        message = (f"{done}. The endpoint still serves {serving.describe_deployment(ws, live)}, another model: "
                   "deploy this one on the Deploy page to serve it instead.")
    return {"version": version, "deployment": deployment, "message": message}


def _label(version: dict) -> str:
    return f"{version['model_name']} v{version['version']}"


# -- Monitoring & retraining -----------------------------------------------------------------------
def _score_metric(problem: ProblemConfig, classes: list[str]) -> Callable[[np.ndarray, np.ndarray], float]:
    """metric(y_true_raw, scores) for one window, with the same definitions as training and the gate:
    accuracy and F1 of a yes/no model at 0.5, as the gate's bar was set on them (the endpoint's own
    answers use its decision threshold; ROC-AUC does not depend on it)."""
    def metric(y_true_raw, scores) -> float:
        y_true_raw = pd.Series(y_true_raw)
        if problem.task == "binary":
            y = encode_target(y_true_raw, problem)
            if len(np.unique(y)) < 2 and problem.metric == "roc_auc":
                return float("nan")
            y_pred = (np.asarray(scores) >= DEFAULT_DECISION_THRESHOLD).astype(int)
            return compute_metrics(problem, y, y_pred, np.asarray(scores))[problem.metric]
        if problem.task == "multiclass":
            y_pred = np.asarray(classes)[np.asarray(scores, dtype=int)]
            return compute_metrics(problem, y_true_raw.astype(str).to_numpy(), y_pred, None)[problem.metric]
        values = np.asarray(scores, dtype=float)
        return compute_metrics(problem, y_true_raw.astype(float).to_numpy(), values, values)[problem.metric]
    return metric


def _monitor_scores(model: serving.ServedModel) -> Callable[[pd.DataFrame], np.ndarray]:
    """Scores for drift/performance: P(positive), predicted value, or predicted class index."""
    def scores(rows: pd.DataFrame) -> np.ndarray:
        labels, values = model.score(rows)
        if model.task == "multiclass":
            index = {c: i for i, c in enumerate(model.classes)}
            return np.array([index.get(str(v), -1) for v in labels], dtype=float)
        return np.asarray(values, dtype=float)
    return scores


def get_request_examples(ws: Workspace, model: serving.ServedModel) -> pd.DataFrame:
    """Rows the model never trained on (its experiment's holdout), as a client would send them."""
    lineage = json.loads(model.version["lineage_json"])
    holdout = tracking.load_holdout(ws, tracking.get_experiment(ws, lineage["experiment_id"]))
    return holdout[model.required_columns]


def get_top_features(ws: Workspace, run_id: int) -> list[str]:
    row = ws.query_one("SELECT artifact_id FROM explanations WHERE run_id = ? ORDER BY id DESC LIMIT 1", (run_id,))
    if row is None:
        return []
    from core.explain import get_importance_df
    return get_importance_df(Explanation.from_dict(ws.load_json(row["artifact_id"])))["feature"].tolist()


def stage_monitor(ws: Workspace, project_id: int, traffic: TrafficConfig = TrafficConfig(),
                  drift: DriftConfig = DriftConfig()) -> dict:
    """Simulate production traffic through the live endpoint and check drift and performance."""
    deployment = serving.get_active_deployment(ws, project_id)
    if deployment is None:
        raise NotFoundError("Nothing is deployed yet; deploy the champion on the Deploy page first.")
    # The version that answers the traffic, judged by the problem it was registered for (not the
    # project's current one, which may have moved on to another target).
    champion = serving.load_served(ws, serving.get_serving_version(ws, deployment)["id"])
    lineage = json.loads(champion.version["lineage_json"])
    problem = registry.get_version_problem(ws, champion.version)
    experiment = tracking.get_experiment(ws, lineage["experiment_id"])
    pool = tracking.load_holdout(ws, experiment)
    frame = simulate_traffic(pool, problem.target, problem.family, traffic,
                             important_features=get_top_features(ws, champion.version["run_id"]))
    inputs = frame.drop(columns=[problem.target, "window"])
    keys = [f"w{w}-{i}" for i, w in enumerate(frame["window"])]
    serving.predict(ws, deployment, inputs, keys=keys, seed=traffic.seed)
    scorer = _monitor_scores(champion)
    used = champion.required_columns  # not IDs and other dropped columns: they would always "drift"
    # Drift is measured against the unseen rows the traffic is resampled from, as they were before any
    # change: against the whole table, a small holdout's own sampling noise read as drift in every window
    # of the "no drift" scenario (wine's 36 rows: PSI up to 1.2, "retrain"). Times and IDs are still
    # told apart on the whole table, where they show.
    reference = pool.sample(5000, random_state=0) if len(pool) > 5000 else pool
    table = datasets.load_dataset(ws, lineage["dataset_id"])
    report = run_monitoring(
        reference, frame, feature_columns=used, predict_scores=scorer,
        reference_scores=scorer(reference), target=problem.target, task=problem.family, metric=problem.metric,
        threshold=problem.threshold, score_metric=_score_metric(problem, champion.classes), config=drift,
        # Times and keys are told apart on the whole table, where they show; the problem also names them.
        excluded_columns=get_non_signal_columns(
            table.sample(5000, random_state=0) if len(table) > 5000 else table, used,
            time_columns=[c for c in (problem.time_column,) if c],
            id_columns=[c for c in (problem.group_column,) if c]),
    )
    report_id = ws.save_json(report.to_dict(), kind="monitoring")
    # The champion's own inputs only: never the target, the IDs or a time column it does not take.
    violations = check_rows_by_window(frame, champion.rules) if champion.rules else pd.DataFrame()
    violations_id = ws.save_frame(violations, kind="violations")
    frame_id = ws.save_frame(frame, kind="traffic")  # every column: the retraining set is made from it
    with ws.transaction() as conn:
        row_id = conn.execute(
            """INSERT INTO monitoring_reports (project_id, deployment_id, traffic_json, report_artifact_id,
               traffic_artifact_id, retrain_recommended, summary, created_at, violations_artifact_id, version_id)
               VALUES (?,?,?,?,?,?,?,?,?,?)""",
            (project_id, deployment["id"], json.dumps({**traffic.to_dict(),
             "drifted_columns": list(frame.attrs.get("drifted_columns", []))}), report_id, frame_id,
             int(report.retrain_recommended), report.reason, now(), violations_id, champion.version["id"]),
        ).lastrowid
        ws.audit(conn, project_id, "monitoring.report", {"report_id": row_id, "scenario": traffic.scenario,
                                                         "retrain_recommended": report.retrain_recommended,
                                                         "version_id": champion.version["id"]})
    return {"id": row_id, "report": report, "traffic": traffic, "violations": violations,
            "version": champion.version}


def get_watched_version(ws: Workspace, report: dict) -> dict:
    """The model version a monitoring report watched (reports made before this was recorded: the
    version their deployment served)."""
    if report.get("version_id"):
        return registry.get_version(ws, report["version_id"])
    return serving.get_serving_version(ws, serving.get_deployment(ws, report["deployment_id"]))


def describe_watch(ws: Workspace, project_id: int, report: dict | None = None) -> list[str]:
    """What Monitor watches, in sentences: the version (the report's, else the live one) and the problem
    it is judged on, and what differs now (another model live, the project's problem moved on); a new
    version of the same model is the verdict's to say (get_monitoring_verdict)."""
    live = serving.get_active_deployment(ws, project_id)
    if report is not None:
        version = get_watched_version(ws, report)
    elif live is not None:
        version = serving.get_serving_version(ws, live)
    else:
        return []
    label, problem = _label(version), registry.get_version_problem(ws, version)
    bar = "at least" if is_higher_better(problem.metric) else "at most"
    sentences = [f"{'This report watched' if report else 'Monitoring watches'} {label}, which predicts "
                 f"'{problem.target}', judged on {get_metric_label(problem.metric)} ({bar} "
                 f"{format_metric_value(problem.metric, problem.threshold)} asked for)."]
    if (report is not None and live is not None
            and serving.get_serving_version(ws, live)["model_name"] != version["model_name"]):
        sentences.append(f"The endpoint now serves another model ({serving.describe_deployment(ws, live)}): "
                         "simulate traffic again to watch it.")
    current = projects.get_problem(ws, project_id)
    if current is not None and not registry.predicts_same(current, problem):
        sentences.append(f"The project's problem now predicts '{current.target}', but {label} predicts "
                         f"'{problem.target}': monitoring and retraining keep judging {label} on "
                         f"'{problem.target}'. To serve the new problem, train and register a model for it, "
                         "then deploy it.")
    return sentences


def latest_monitoring(ws: Workspace, project_id: int) -> dict | None:
    row = ws.query_one("SELECT * FROM monitoring_reports WHERE project_id = ? ORDER BY id DESC LIMIT 1",
                       (project_id,))
    if row is None:
        return None
    row["report"] = MonitoringReport.from_dict(ws.load_json(row["report_artifact_id"]))
    row["traffic"] = json.loads(row["traffic_json"])
    row["violations"] = (ws.load_frame(row["violations_artifact_id"]) if row.get("violations_artifact_id")
                         else pd.DataFrame())
    row["retraining"] = get_retraining(ws, row["id"])
    return row


def get_monitoring_verdict(ws: Workspace, project_id: int, latest: dict) -> MonitoringVerdict:
    """The headline of a monitoring report (``latest_monitoring``'s row), given what happened since:
    a retraining it led to, or another version of the same model serving now (another model serving
    now is said by describe_watch)."""
    report, retraining = latest["report"], latest["retraining"]
    watched = get_watched_version(ws, latest)
    live = serving.get_active_deployment(ws, project_id)
    serving_now = serving.get_serving_version(ws, live) if live else None
    same_model = serving_now is not None and serving_now["model_name"] == watched["model_name"]
    metric = (retraining or {}).get("gate", {}).get("metric", "")  # the retrained model is judged on it
    registered = (retraining or {}).get("registered")
    challenger = registry.get_alias_version(ws, project_id, registered["model"], "challenger") if registered else None
    return describe_monitoring_outcome(report.retrain_recommended, report.reason, metric, retraining,
                                       watched["version"], serving_now["version"] if same_model else None,
                                       registered_is_challenger=registered is None or (
                                           challenger is not None and challenger["id"] == registered["id"]))


def stage_retrain(ws: Workspace, project_id: int, report_id: int, *, progress: Progress = _noop) -> dict:
    """The loop back: retrain the champion's family on the reference data plus the labelled production
    rows, evaluate on fresh production rows it has not seen, gate, and register a challenger."""
    row = ws.query_one("SELECT * FROM monitoring_reports WHERE id = ? AND project_id = ?", (report_id, project_id))
    if row is None:
        raise NotFoundError(f"Monitoring report {report_id} does not exist; run monitoring first.")
    # Retrain what the report watched, for the problem that version was registered for: the
    # challenger answers the same question as the champion it challenges, whatever the Problem page
    # says now (a new problem gets its own model name when a model of it is registered).
    champion = serving.load_served(ws, get_watched_version(ws, row)["id"])
    lineage = json.loads(champion.version["lineage_json"])
    problem = registry.get_version_problem(ws, champion.version)
    traffic = json.loads(row["traffic_json"])
    frame = ws.load_frame(row["traffic_artifact_id"])
    fresh = frame[frame["window"] >= int(traffic.get("drift_start", 1))] if traffic.get("scenario") != "none" else frame
    fresh = fresh.drop(columns=["window"]).dropna(subset=[problem.target])
    fresh_train = fresh.sample(frac=0.5, random_state=0)
    fresh_eval = fresh.drop(fresh_train.index)
    reference = datasets.load_dataset(ws, lineage["dataset_id"])
    combined = pd.concat([reference, fresh_train[reference.columns]], ignore_index=True)
    ref_row = datasets.get_dataset(ws, lineage["dataset_id"])
    dataset = datasets.save_dataset(ws, project_id, combined, kind="cleaned",
                                    name=f"retraining: v{ref_row['version']} + {len(fresh_train)} production rows",
                                    parent_id=ref_row["id"], recipe_id=ref_row["recipe_id"],
                                    read_info={"source": "retraining", "monitoring_report_id": report_id},
                                    rules=derive_rules(combined, problem.target).to_dict())
    features = featurestore.load_feature_config(ws, lineage["feature_set_id"])
    fs = featurestore.save_feature_set(ws, project_id, dataset["id"], combined, problem, features)
    # Same validation as the champion's experiment, so the two are judged alike.
    champion_experiment = tracking.get_experiment(ws, lineage["experiment_id"])
    champion_config = TrainConfig.from_dict(json.loads(champion_experiment["config_json"]))
    config = replace(champion_config, models=("baseline", lineage["model_key"]))
    trained = stage_train(ws, project_id, fs["id"], config, test_df=fresh_eval.reset_index(drop=True),
                          progress=progress, kind="retraining", problem=problem,
                          note=f"retraining after monitoring report {report_id}, "
                               f"checked on {len(fresh_eval)} fresh production rows")
    scorer = _monitor_scores(champion)
    champion_on_fresh = _score_metric(problem, champion.classes)(fresh_eval[problem.target],
                                                                 scorer(fresh_eval))
    gate = trained["gate"]
    new_value = gate.value
    outcome = {"experiment_id": trained["experiment"]["id"], "gate": gate.to_dict(),
               "champion_metric_on_fresh": champion_on_fresh, "retrained_metric_on_fresh": new_value,
               "fresh_rows_train": len(fresh_train), "fresh_rows_eval": len(fresh_eval), "registered": None}
    if gate.passed:
        version = stage_register(ws, project_id, trained["experiment"]["best_run_id"], alias="challenger",
                                 note=f"retrained after monitoring report {report_id}")
        outcome["registered"] = {"model": version["model_name"], "version": version["version"],
                                 "alias": "challenger", "id": version["id"]}
    outcome["champion"] = {"model": champion.version["model_name"], "version": champion.version["version"],
                           "id": champion.version["id"]}
    record_retraining(ws, project_id, report_id, outcome)
    return outcome


# -- The whole loop ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PipelineConfig:
    target: str
    project_name: str
    scenario: str = "none"
    cv_folds: int = 5
    seed: int = 42
    retrain_when_recommended: bool = False
    tune: str | None = None  # grid | random | bayes: a tuning study of the leaderboard's best family
    tune_budget: int = 20  # trials
    costs: tuple[float, float] | None = None  # binary: (missed positive, false alarm), for the threshold
    time_column: str | None = None  # evaluate on the latest rows (a time split) instead of a random split
    windows: int = 6
    rows_per_window: int = 500


def _cost_fields(costs: tuple[float, float] | None) -> dict[str, float]:
    return {} if costs is None else {"cost_false_negative": float(costs[0]), "cost_false_positive": float(costs[1])}


def run_pipeline(ws: Workspace, df: pd.DataFrame, info: ReadInfo | None, config: PipelineConfig, *,
                 test_df: pd.DataFrame | None = None, progress: Progress = _noop,
                 source_name: str = "uploaded table", recipe: CleaningRecipe | None = None,
                 project_id: int | None = None) -> dict[str, Any]:
    """Data → clean → problem → features → train → gate → explain → register → deploy → monitor
    (→ retrain). Returns the JSON summary of DESIGN.md's CLI contract. ``recipe`` replays a saved
    cleaning recipe instead of the suggested one. ``project_id`` runs it in a project made beforehand
    (the app makes the demo's project first, so the running demo belongs to it); otherwise a new project
    named ``config.project_name`` (or the first free "name (n)") is made."""
    timings: dict[str, float] = {}

    def timed(name: str, start: float, end: float, message: str, fn: Callable[[], Any]) -> Any:
        progress(start, message)
        t0 = time.perf_counter()
        with projects.build_step(ws, pid, name):  # a run stopped midway leaves the project marked incomplete
            value = fn()
        timings[name] = round(time.perf_counter() - t0, 3)
        progress(end, message)
        return value

    if config.target not in df.columns:
        raise ConfigError(f"The target column '{config.target}' is not in {source_name}; choose one of: "
                          f"{', '.join(map(str, df.columns[:30]))}.")
    if test_df is not None and config.target not in test_df.columns:
        raise ConfigError(f"The test table has no column '{config.target}' (the target): it must hold the true "
                          f"values to check the models against; its columns are {', '.join(map(str, test_df.columns[:30]))}.")
    if df[config.target].dropna().nunique() < 2:
        # Cleaning never adds target values, so this run would fail at the problem stage:
        # say why now, before a half-made project is left in the workspace.
        validate_problem(df, suggest_problem(df, config.target))
    project = (projects.get_project(ws, project_id) if project_id is not None
               else projects.create_unique_project(ws, config.project_name, source=source_name))
    pid = project["id"]
    projects.start_build(ws, pid)  # a run stopped midway leaves the project marked incomplete
    raw = timed("data", 0.0, 0.03, "Saving the raw data", lambda: stage_ingest(ws, pid, df, info, source_name))
    cleaned = timed("clean", 0.03, 0.08, "Cleaning the data",
                    lambda: stage_clean(ws, pid, raw["id"], recipe, target=config.target))
    dataset_id = cleaned["dataset"]["id"]
    problem = timed("problem", 0.08, 0.1, "Defining the problem",
                    lambda: stage_problem(ws, pid, dataset_id, config.target, **_cost_fields(config.costs),
                                          **({"time_column": config.time_column} if config.time_column else {})))
    clean_test = None
    if test_df is not None:
        recipe = datasets.load_recipe(ws, cleaned["recipe"]["id"])
        clean_test = apply_recipe(test_df, recipe, training=False)[0].dropna(subset=[problem.target])
    fs = timed("features", 0.1, 0.12, "Building the feature set", lambda: stage_features(ws, pid, dataset_id))
    trained = timed("train", 0.12, 0.6, "Training and comparing models",
                    lambda: stage_train(ws, pid, fs["id"], TrainConfig(cv_folds=config.cv_folds, seed=config.seed),
                                        test_df=clean_test, progress=_scaled(progress, 0.12, 0.6)))
    result: TrainResult = trained["result"]
    tuning = None
    if config.tune and result.best.is_baseline:
        raise ConfigError("No model beat the baseline on the leaderboard, so there is no family worth tuning; "
                          "check the target and the features first.")
    if config.tune:
        tune = TuneConfig(model=result.best.key, method=config.tune, max_trials=config.tune_budget)
        trained = timed("tune", 0.6, 0.62, f"Tuning {result.best.name}",
                        lambda: stage_tune(ws, pid, fs["id"], tune, TrainConfig(cv_folds=config.cv_folds,
                                                                                seed=config.seed),
                                           test_df=clean_test))
        tuning = summarize_study(trained)
    gate = trained["gate"]
    best_run_id = trained["experiment"]["best_run_id"]
    timed("explain", 0.6, 0.7, "Explaining the best model", lambda: stage_explain(ws, pid, best_run_id))
    reason = "" if gate.passed else "Demo/CLI run: registered although the gate failed, so the loop can be shown."
    version = timed("register", 0.7, 0.72, "Registering the champion",
                    lambda: stage_register(ws, pid, best_run_id, alias="champion", override_reason=reason))
    timed("deploy", 0.72, 0.75, "Deploying", lambda: stage_deploy(ws, pid, RoutingConfig("single")))
    monitored = timed("monitor", 0.75, 0.85, "Simulating production traffic",
                      lambda: stage_monitor(ws, pid, TrafficConfig(scenario=config.scenario, windows=config.windows,
                                                                   rows_per_window=config.rows_per_window,
                                                                   seed=config.seed)))
    report: MonitoringReport = monitored["report"]
    summary: dict[str, Any] = {
        "project": project["name"],
        "task": problem.family,
        "target": problem.target,
        "rows": int(len(df)),
        "rows_read": int(len(df)),
        "rows_used": rows_used(ws, dataset_id, problem.target),
        "validation": result.validation,
        # What cleaning removed and offered (not applied), then what training noticed.
        "warnings": list(cleaned["warnings"]) + list(result.warnings),
        "offered_steps": [offer.to_dict() for offer in cleaned["offers"]],
        "leaderboard": result.to_summary(),
        "best_model": trained["result"].best.key,
        "gate": gate.to_dict(),
        "registry": {"model": version["model_name"], "version": version["version"], "alias": "champion",
                     **({"decision_threshold": registry.get_decision_threshold(version)}
                        if problem.task == "binary" else {})},
        "monitoring": {**report.get_latest_drift_summary(), "scenario": config.scenario,
                       "retrain_recommended": report.retrain_recommended, "reason": report.reason},
        "timings": timings,
    }
    if tuning is not None:
        summary["tuning"] = tuning
    if config.retrain_when_recommended and report.retrain_recommended:
        summary["retrain"] = timed("retrain", 0.85, 1.0, "Retraining on fresh data",
                                   lambda: stage_retrain(ws, pid, monitored["id"],
                                                         progress=_scaled(progress, 0.85, 1.0)))
    projects.finish_build(ws, pid)
    progress(1.0, "Done")
    return summary


def rows_used(ws: Workspace, dataset_id: int, target: str) -> int:
    """Rows of the cleaned training table that have a target: what the run learned and was checked on
    (a provided test file is not part of it). A large table's leaderboard compares models on a sample
    of them; the warnings say so, and the best model is refit on all of them when the budget allows."""
    return int(datasets.load_dataset(ws, dataset_id)[target].notna().sum())


def run_demo(ws: Workspace, *, progress: Progress = _noop, project_name: str = DEMO_PROJECT_NAME,
             project_id: int | None = None) -> dict[str, Any]:
    """The "Run full demo" button and `mlops-studio demo`: the default sample, end to end (in the
    project ``project_id`` when the caller made it, else in a new one)."""
    df, info = read_path(SAMPLE_DIR / DEFAULT_SAMPLE)
    # The sample's customers signed up over six years: evaluate on the latest sign-ups (a time split),
    # as the training stage's own warning asks, so the scores say how the model does on new customers.
    config = PipelineConfig(target=SAMPLES[DEFAULT_SAMPLE], project_name=project_name, scenario=DEMO_SCENARIO,
                            cv_folds=3, retrain_when_recommended=True, costs=DEMO_COSTS,
                            time_column=DEMO_TIME_COLUMN)
    return run_pipeline(ws, df, info, config, progress=progress, source_name=DEFAULT_SAMPLE, project_id=project_id)
