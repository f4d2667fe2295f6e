"""Monitor and retrain: simulated production traffic through the live endpoint, the report and its story, and the retraining that loops back to training."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from core import registry
from core.data import datasets
from core.data.validation import check_rows_by_window, derive_rules
from core.deployment import serving
from core.evaluation.reports import DEFAULT_DECISION_THRESHOLD
from core.features import featurestore
from core.formatting import format_count, format_percent
from core.i18n import _
from core.monitoring import delivery, rule_store
from core.monitoring.drift import DriftConfig
from core.monitoring.estimation import Estimator, fit_estimator
from core.monitoring.performance import PerformanceReference, fit_performance_reference
from core.monitoring.reports import MonitoringReport, get_non_signal_columns, run_monitoring
from core.monitoring.retraining import MonitoringVerdict, describe_monitoring_outcome, get_retraining, record_retraining
from core.monitoring.simulation import TrafficConfig, simulate_traffic
from core.problem.definition import (
    ProblemConfig,
    encode_target,
    format_metric_value,
    get_metric_label,
    is_higher_better,
    to_label_strings,
)
from core.problem.store import get_problem
from core.stages.estimation_inputs import class_probability_reader, encoded_input_reader
from core.stages.explain import get_importance_shares, get_top_features
from core.stages.health import send_simulated_traffic
from core.stages.lab import stage_train
from core.stages.release import stage_register
from core.training import tracking
from core.training.config import TrainConfig
from core.training.metrics import compute_metrics
from core.workspace.database import Workspace, now
from core.workspace.errors import DataError, NotFoundError
from core.workspace.progress import Progress, no_progress

MIN_FRESH_LABELLED_ROWS = 20  # labelled production rows a retraining needs: half to learn from, half to check on


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
            # As labels, not str(): a column that waits for labels holds NaN, so its classes read 1.0, not 1.
            y_true = to_label_strings(y_true_raw).to_numpy()
            return compute_metrics(problem, y_true, y_pred, None)[problem.metric]
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


def _get_reference_key(ws: Workspace, experiment: dict) -> tuple[str, str] | None:
    """Names monitoring's reference rows for the prepared-reference cache: the holdout's bytes (their
    hash), sampled with the same seed, are the same rows every time, in any workspace."""
    row = ws.query_one("SELECT sha256 FROM artifacts WHERE id = ?", (experiment["holdout_artifact_id"],))
    return None if row is None else ("holdout", row["sha256"])


def get_performance_reference(
    ws: Workspace,
    model: serving.ServedModel,
    problem: ProblemConfig,
    holdout: pd.DataFrame,
    window_rows: int,
    *,
    seed: int = 0,
) -> PerformanceReference:
    """What the model scores per window on its own holdout (the run's saved predictions on it), with the
    estimator of its metric before labels arrive (``monitoring.estimation``)."""
    scorer = _monitor_scores(model)
    scores = None
    if problem.task != "multiclass":  # the run saved P(positive) or the predicted value per holdout row
        saved = tracking.load_run_predictions(ws, model.version["run_id"])
        if len(saved) == len(holdout) and "score" in saved.columns:
            scores = saved["score"].to_numpy(dtype=float)
    if scores is None:
        scores = scorer(holdout)
    y = holdout[problem.target]
    estimator, not_estimated = None, ""
    if problem.task != "binary":
        estimator, not_estimated = _fit_estimator(model, problem, holdout, scores, seed)
    return fit_performance_reference(
        y,
        scores,
        metric=problem.metric,
        score_metric=_score_metric(problem, model.classes),
        window_rows=window_rows,
        higher_is_better=is_higher_better(problem.metric),
        positives=encode_target(y, problem) if problem.task == "binary" else None,
        decision_threshold=DEFAULT_DECISION_THRESHOLD,
        estimator=estimator,
        not_estimated=not_estimated,
        seed=seed,
    )


def _fit_estimator(
    model: serving.ServedModel, problem: ProblemConfig, holdout: pd.DataFrame, scores: np.ndarray, seed: int
) -> tuple[Estimator | None, str]:
    """A multi-class model's CBPE from its class probabilities, a regression's loss model (DLE), learned
    on the labelled holdout rows; or why the metric is not estimated."""
    labelled = holdout[problem.target].notna().to_numpy()
    rows, y = holdout.loc[labelled, model.required_columns], holdout.loc[labelled, problem.target]
    if problem.task == "multiclass":
        index = {c: i for i, c in enumerate(model.classes)}
        codes = to_label_strings(y).map(index).fillna(-1).to_numpy(dtype=int)
        reader = class_probability_reader(model)
        return fit_estimator(
            "multiclass", problem.metric, codes, scores[labelled], rows=rows, read_rows=reader, seed=seed
        )
    reader = encoded_input_reader(model)
    values = y.astype(float).to_numpy()
    return fit_estimator("regression", problem.metric, values, scores[labelled], rows=rows, read_rows=reader, seed=seed)


def get_request_examples(ws: Workspace, model: serving.ServedModel) -> pd.DataFrame:
    """Rows the model never trained on (its experiment's holdout), as a client would send them."""
    lineage = json.loads(model.version["lineage_json"])
    holdout = tracking.load_holdout(ws, tracking.get_experiment(ws, lineage["experiment_id"]))
    return holdout[model.required_columns]


def stage_monitor(
    ws: Workspace, project_id: int, traffic: TrafficConfig = TrafficConfig(), drift: DriftConfig = DriftConfig()
) -> dict:
    """Simulate production traffic through the live endpoint and check drift and performance."""
    deployment = serving.get_active_deployment(ws, project_id)
    if deployment is None:
        raise NotFoundError(_("Nothing is deployed yet; deploy the champion on the Deploy page first."))
    # The version that answers the traffic, judged by the problem it was registered for (not the
    # project's current one, which may have moved on to another target).
    champion = serving.load_served(ws, serving.get_serving_version(ws, deployment)["id"])
    lineage = json.loads(champion.version["lineage_json"])
    problem = registry.get_version_problem(ws, champion.version)
    experiment = tracking.get_experiment(ws, lineage["experiment_id"])
    pool = tracking.load_holdout(ws, experiment)
    frame = simulate_traffic(
        pool,
        problem.target,
        problem.family,
        traffic,
        important_features=get_top_features(ws, champion.version["run_id"]),
    )
    inputs = frame.drop(columns=[problem.target, "window"])
    # Each window's rows as requests of a few rows (keys "w{window}-{i}"), so latency is logged per window.
    system_df = send_simulated_traffic(
        ws, deployment, inputs, frame["window"].to_numpy(), rows_per_request=traffic.rows_per_request, seed=traffic.seed
    )
    scorer = _monitor_scores(champion)
    used = champion.required_columns  # not IDs and other dropped columns: they would always "drift"
    # Drift is measured against the unseen rows the traffic is resampled from, as they were before any
    # change: against the whole table, a small holdout's own sampling noise read as drift in every window
    # of the "no drift" scenario (wine's 36 rows: PSI up to 1.2, "retrain"). Times and IDs are still
    # told apart on the whole table, where they show.
    reference = pool.sample(5000, random_state=0) if len(pool) > 5000 else pool
    table = datasets.load_dataset(ws, lineage["dataset_id"])
    report = run_monitoring(
        reference,
        frame,
        feature_columns=used,
        predict_scores=scorer,
        reference_scores=scorer(reference),
        target=problem.target,
        task=problem.family,
        metric=problem.metric,
        threshold=problem.threshold,
        score_metric=_score_metric(problem, champion.classes),
        config=drift,
        model_importance=get_importance_shares(ws, champion.version["run_id"]),
        reference_key=_get_reference_key(ws, experiment),
        performance_reference=get_performance_reference(
            ws, champion, problem, pool, traffic.rows_per_window, seed=traffic.seed
        ),
        rules=rule_store.get_rules(
            ws, project_id, task=problem.task, metric=problem.metric, labels_delayed=traffic.label_delay > 0
        ),
        system_df=system_df,
        # Times and keys are told apart on the whole table, where they show; the problem also names them.
        excluded_columns=get_non_signal_columns(
            table.sample(5000, random_state=0) if len(table) > 5000 else table,
            [c for c in used if c in table.columns],  # a catalog feature (joined at training) is neither
            time_columns=[c for c in (problem.time_column,) if c],
            id_columns=[c for c in (problem.group_column,) if c],
        ),
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
            (
                project_id,
                deployment["id"],
                json.dumps({**traffic.to_dict(), "drifted_columns": list(frame.attrs.get("drifted_columns", []))}),
                report_id,
                frame_id,
                int(report.retrain_recommended),
                report.reason,
                now(),
                violations_id,
                champion.version["id"],
            ),
        ).lastrowid
        ws.audit(
            conn,
            project_id,
            "monitoring.report",
            {
                "report_id": row_id,
                "scenario": traffic.scenario,
                "retrain_recommended": report.retrain_recommended,
                "version_id": champion.version["id"],
            },
        )
        rule_store.add_to_outbox(conn, project_id, row_id, report.alerts)
    webhook = rule_store.get_webhook(ws, project_id)
    if webhook and report.alerts:  # sent in the background: monitoring never waits for the receiver
        delivery.start_delivery(
            ws, project_id, webhook, [r["id"] for r in rule_store.get_outbox(ws, project_id, row_id)]
        )
    return {"id": row_id, "report": report, "traffic": traffic, "violations": violations, "version": champion.version}


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
    label, problem = registry.version_label(version), registry.get_version_problem(ws, version)
    bar = _("at least") if is_higher_better(problem.metric) else _("at most")
    watched = (
        _("This report watched {label}, which predicts '{column}', judged on {metric} ({bar} {value} asked for).")
        if report
        else _("Monitoring watches {label}, which predicts '{column}', judged on {metric} ({bar} {value} asked for).")
    )
    sentences = [
        watched.format(
            label=label,
            column=problem.target,
            metric=get_metric_label(problem.metric),
            bar=bar,
            value=format_metric_value(problem.metric, problem.threshold),
        )
    ]
    if (
        report is not None
        and live is not None
        and serving.get_serving_version(ws, live)["model_name"] != version["model_name"]
    ):
        sentences.append(
            _("The endpoint now serves another model ({deployment}): simulate traffic again to watch it.").format(
                deployment=serving.describe_deployment(ws, live)
            )
        )
    current = get_problem(ws, project_id)
    if current is not None and not registry.predicts_same(current, problem):
        sentences.append(
            _(
                "The project's problem now predicts '{new}', but {label} predicts '{old}': monitoring and "
                "retraining keep judging {label} on '{old}'. To serve the new problem, train and register a "
                "model for it, then deploy it."
            ).format(new=current.target, label=label, old=problem.target)
        )
    return sentences


def latest_monitoring(ws: Workspace, project_id: int) -> dict | None:
    row = ws.query_one("SELECT * FROM monitoring_reports WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project_id,))
    if row is None:
        return None
    row["report"] = MonitoringReport.from_dict(ws.load_json(row["report_artifact_id"]))
    row["traffic"] = json.loads(row["traffic_json"])
    row["violations"] = (
        ws.load_frame(row["violations_artifact_id"]) if row.get("violations_artifact_id") else pd.DataFrame()
    )
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
    return describe_monitoring_outcome(
        report.retrain_recommended,
        report.reason,
        metric,
        retraining,
        watched["version"],
        serving_now["version"] if same_model and serving_now is not None else None,
        registered_is_challenger=registered is None
        or (challenger is not None and challenger["id"] == registered["id"]),
    )


def stage_retrain(ws: Workspace, project_id: int, report_id: int, *, progress: Progress = no_progress) -> dict:
    """The loop back: retrain the champion's family on the reference data plus the labelled production
    rows, evaluate on fresh production rows it has not seen, gate, and register a challenger."""
    row = ws.query_one("SELECT * FROM monitoring_reports WHERE id = ? AND project_id = ?", (report_id, project_id))
    if row is None:
        raise NotFoundError(_("Monitoring report {id} does not exist; run monitoring first.").format(id=report_id))
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
    if len(fresh) < MIN_FRESH_LABELLED_ROWS:
        since = (
            " " + _("since window {n}").format(n=traffic.get("drift_start", 1))
            if traffic.get("scenario") != "none"
            else ""
        )
        raise DataError(
            _(
                "Only {n} production rows{since} have their labels yet (this report's labels arrive {delay} windows "
                "late, for {share} of the rows): too few to retrain on and check the result; retrain once more "
                "labels have arrived, or simulate traffic with a shorter label delay."
            ).format(
                n=format_count(len(fresh)),
                since=since,
                delay=traffic.get("label_delay", 0),
                share=format_percent(traffic.get("label_share", 1.0), 0),
            )
        )
    fresh_train = fresh.sample(frac=0.5, random_state=0)
    fresh_eval = fresh.drop(fresh_train.index)
    reference = datasets.load_dataset(ws, lineage["dataset_id"])
    combined = pd.concat([reference, fresh_train[reference.columns]], ignore_index=True)
    ref_row = datasets.get_dataset(ws, lineage["dataset_id"])
    dataset = datasets.save_dataset(
        ws,
        project_id,
        combined,
        kind="cleaned",
        name=f"retraining: v{ref_row['version']} + {len(fresh_train)} production rows",
        parent_id=ref_row["id"],
        recipe_id=ref_row["recipe_id"],
        read_info={"source": "retraining", "monitoring_report_id": report_id},
        rules=derive_rules(combined, problem.target).to_dict(),
    )
    features = featurestore.load_feature_config(ws, lineage["feature_set_id"])
    fs = featurestore.save_feature_set(ws, project_id, dataset["id"], combined, problem, features)
    # Same validation as the champion's experiment, so the two are judged alike.
    champion_experiment = tracking.get_experiment(ws, lineage["experiment_id"])
    champion_config = TrainConfig.from_dict(json.loads(champion_experiment["config_json"]))
    config = replace(champion_config, models=("baseline", lineage["model_key"]))
    trained = stage_train(
        ws,
        project_id,
        fs["id"],
        config,
        test_df=fresh_eval.reset_index(drop=True),
        progress=progress,
        kind="retraining",
        problem=problem,
        note=f"retraining after monitoring report {report_id}, checked on {len(fresh_eval):,} fresh production rows",
    )
    scorer = _monitor_scores(champion)
    champion_on_fresh = _score_metric(problem, champion.classes)(fresh_eval[problem.target], scorer(fresh_eval))
    gate = trained["gate"]
    new_value = gate.value
    outcome = {
        "experiment_id": trained["experiment"]["id"],
        "gate": gate.to_dict(),
        "champion_metric_on_fresh": champion_on_fresh,
        "retrained_metric_on_fresh": new_value,
        "fresh_rows_train": len(fresh_train),
        "fresh_rows_eval": len(fresh_eval),
        "registered": None,
    }
    if gate.passed:
        version = stage_register(
            ws,
            project_id,
            trained["experiment"]["best_run_id"],
            alias="challenger",
            note=f"retrained after monitoring report {report_id}",
        )
        outcome["registered"] = {
            "model": version["model_name"],
            "version": version["version"],
            "alias": "challenger",
            "id": version["id"],
        }
    outcome["champion"] = {
        "model": champion.version["model_name"],
        "version": champion.version["version"],
        "id": champion.version["id"],
    }
    record_retraining(ws, project_id, report_id, outcome)
    return outcome
