"""Train & compare, evaluation section: one model of an experiment looked at closely (threshold and
business cost, curves, calibration, regression errors), whether the best is really better than the
runner-up, fairness across a sensitive column, robustness, and the segments where it errs most."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core import pipeline
from core.evaluation.charts import (
    caption_calibration,
    caption_confusion,
    caption_per_class,
    caption_pr,
    caption_predicted_vs_actual,
    caption_regression_report,
    caption_residuals,
    caption_roc,
    plot_calibration,
    plot_confusion,
    plot_per_class,
    plot_pr,
    plot_predicted_vs_actual,
    plot_residuals,
    plot_roc,
)
from core.evaluation.charts_checks import (
    caption_comparison,
    caption_error_segments,
    caption_fairness,
    caption_robustness,
    plot_error_segments,
    plot_group_metrics,
    plot_robustness,
)
from core.evaluation.charts_threshold import (
    caption_cost_curve,
    caption_threshold,
    plot_cost_curve,
    plot_threshold_metrics,
)
from core.evaluation.fairness import (
    get_error_segments_df,
    get_fairness_gaps,
    get_group_metrics_df,
)
from core.evaluation.multiclass import get_multiclass_report, get_per_class_df
from core.evaluation.reports import (
    get_best_threshold,
    get_calibration_df,
    get_classification_report,
    get_confusion_at_threshold,
    get_confusion_df,
    get_cost_matrix,
    get_pr_df,
    get_regression_report,
    get_residuals_df,
    get_roc_df,
    get_threshold_df,
    get_threshold_row,
)
from core.formatting import format_as, format_money, format_percent, format_value
from core.i18n import _
from core.problem.definition import ProblemConfig, encode_target, get_metric_heading, get_metric_label
from core.problem.store import get_experiment_problem, get_problem
from core.training import tracking
from ui import cache
from ui.gate_panel import chosen_threshold_key
from ui.text import escape_markdown
from ui.widgets import chart, option_labels, term_help, user_errors

THRESHOLD_TERM = "decision threshold"  # i18n: skip (a key of core.glossary, not shown)


def show_evaluation(ws, project_id: int, experiment: dict) -> None:
    problem = get_experiment_problem(experiment)
    runs = tracking.get_runs_df(ws, project_id, experiment["id"])
    ok = runs[runs["error"].isna()]
    labels = dict(zip(ok["run"], ok["model"]))
    ids = list(labels)
    best_id = experiment["best_run_id"]
    run_id = st.selectbox(
        _("Model"),
        ids,
        format_func=option_labels(labels),
        key=f"eval_run_{experiment['id']}",
        index=ids.index(best_id) if best_id in ids else 0,
    )
    with user_errors():
        holdout = tracking.load_holdout(ws, experiment)
        model = tracking.load_run_outputs(ws, int(run_id), problem)
        threshold = None  # binary: the slider's, so fairness and error segments judge the same answers
        if problem.task == "binary":
            threshold = _binary(problem, holdout, model, (int(experiment["id"]), int(run_id)))
        elif problem.task == "multiclass":
            _multiclass(ws, problem, holdout, model)
        else:
            _regression(problem, holdout, model)
        _top_two(ws, project_id, experiment, problem)
        # The column set on the Problem page now, even if the experiment is older than that choice.
        current = get_problem(ws, project_id)
        _fairness(
            problem,
            holdout,
            model,
            threshold,
            key=f"{experiment['id']}_{run_id}",
            default=(current.sensitive_column if current else None) or problem.sensitive_column,
        )
        _error_segments(problem, holdout, model, threshold)
        _robustness(ws, problem, int(run_id))


def _y_test(problem: ProblemConfig, holdout: pd.DataFrame) -> np.ndarray:
    return encode_target(holdout[problem.target], problem)


def _binary(problem: ProblemConfig, holdout: pd.DataFrame, model, run: tuple[int, int]) -> float:
    """The threshold section and every chart of a yes/no model (``run``: experiment id, run id);
    returns the threshold chosen."""
    key = f"{run[0]}_{run[1]}"
    y = _y_test(problem, holdout)
    score = model.test_scores
    classes = pipeline.get_class_labels(holdout, problem)
    positive = classes[1]
    cost = get_cost_matrix(problem)
    thresholds = get_threshold_df(y, score, cost)
    best = get_best_threshold(thresholds, "cost" if cost else "f1", step=0.01)  # the slider's step
    st.subheader(_("Where to draw the line"))
    chosen = chosen_threshold_key(*run)
    threshold = st.slider(
        _("Decision threshold: rows scoring at least this are flagged"),
        0.0,
        1.0,
        st.session_state.get(chosen, best),
        0.01,
        key=f"threshold_{key}",
        help=_("Starts at the cheapest threshold (or the best F1 without costs)."),
    )
    # Kept apart from the slider (whose state goes when another section is shown): the slider comes
    # back where it was left, and the register form starts there.
    st.session_state[chosen] = threshold
    row = get_threshold_row(thresholds, threshold)
    if cost is not None:
        c1, c2, c3 = st.columns(3)
        c1.metric(_("Cost at this threshold"), format_money(row["cost"]))
        c2.metric(_("Cheapest threshold"), format_as(best, ".2f"), help=term_help(THRESHOLD_TERM))
        c3.metric(_("Cost at the cheapest"), format_money(get_threshold_row(thresholds, best)["cost"]))
        chart(plot_cost_curve(thresholds, best, threshold), caption_cost_curve(thresholds, best), key=f"cost_{key}")
    else:
        st.info(
            _(
                "Set the cost of a missed positive and of a false alarm on the Problem page to see the cheapest "
                "threshold; until then the slider starts at the best F1."
            ),
            icon=":material/payments:",
        )
    report = get_classification_report(y, score, threshold)
    cols = st.columns(4)
    for i, (name, value) in enumerate(report.items()):
        cols[i % 4].metric(
            get_metric_heading(name), _("n/a") if np.isnan(value) else format_as(value, ".3f"), help=term_help(name)
        )
    st.caption(
        escape_markdown(
            _(
                "At threshold {threshold}: of the real '{positive}' rows, {recall} are caught "
                "(recall); of the rows flagged, {precision} really are '{positive}' (precision). "
                "ROC-AUC, PR-AUC and log loss do not depend on the threshold."
            ).format(
                threshold=format_as(threshold, ".2f"),
                positive=positive,
                recall=format_as(report["recall"], ".0%"),
                precision=format_as(report["precision"], ".0%"),
            )
        )
    )
    c1, c2 = st.columns(2)
    with c1:
        cm = get_confusion_at_threshold(y, score, threshold, names=classes)
        chart(plot_confusion(cm), caption_confusion(cm, positive), key=f"confusion_{key}")
    with c2:
        chart(
            plot_threshold_metrics(thresholds, threshold),
            caption_threshold(thresholds, threshold, positive),
            key=f"tradeoff_{key}",
        )
    c1, c2 = st.columns(2)
    with c1:
        chart(
            plot_roc(get_roc_df(y, score), report["roc_auc"]),
            caption_roc(report["roc_auc"], positive),
            key=f"roc_{key}",
        )
    with c2:
        pr = get_pr_df(y, score)
        rate = float(np.mean(y)) if len(y) else 0.0
        chart(plot_pr(pr, report["pr_auc"], rate), caption_pr(pr, report["pr_auc"], rate, positive), key=f"pr_{key}")
    calibration = get_calibration_df(y, score)
    chart(plot_calibration(calibration), caption_calibration(calibration), key=f"calibration_{key}")
    return threshold


def _multiclass(ws, problem: ProblemConfig, holdout: pd.DataFrame, model) -> None:
    truth = holdout[problem.target].astype(str).to_numpy()
    predicted = np.asarray(model.test_pred).astype(str)
    stored = cache.run_probabilities(ws, int(model.id))
    proba, classes = stored if stored is not None else (None, sorted(set(truth) | set(predicted)))
    report = get_multiclass_report(truth, predicted, proba, classes)
    cols = st.columns(4)
    for i, (name, value) in enumerate(report.items()):
        cols[i % 4].metric(
            get_metric_heading(name),
            _("n/a") if np.isnan(value) else format_as(value, ".3f"),
            help=term_help(name.removesuffix("_ovr")),
        )
    st.caption(
        _(
            "{share} of the unseen rows get the right class. The class averages count every "
            "class the same however rare it is; ROC-AUC and log loss judge the probabilities, not just the "
            "final answer."
        ).format(share=format_as(report["accuracy"], ".0%"))
    )
    per_class = get_per_class_df(truth, predicted, classes)
    c1, c2 = st.columns(2)
    with c1:
        chart(plot_per_class(per_class), caption_per_class(per_class), key="per_class_multiclass")
    with c2:
        cm = get_confusion_df(truth, predicted, sorted(set(truth) | set(predicted) | set(classes)))
        chart(plot_confusion(cm), caption_confusion(cm, None), key="confusion_multiclass")


def _regression(problem: ProblemConfig, holdout: pd.DataFrame, model) -> None:
    actual = holdout[problem.target].astype(float).to_numpy()
    predicted = np.asarray(model.test_pred, dtype=float)
    report = get_regression_report(actual, predicted)
    cols = st.columns(4)
    for col, name in zip(cols, ("r2", "rmse", "mae", "mape")):
        value = report.get(name, float("nan"))
        shown = (
            _("n/a")
            if np.isnan(value)
            else (format_percent(value) if name == "mape" else format_value(value, digits=4))
        )
        col.metric(get_metric_label(name), shown, help=term_help(name))
    st.caption(escape_markdown(caption_regression_report(report)))
    residuals = get_residuals_df(actual, predicted)
    c1, c2 = st.columns(2)
    with c1:
        chart(plot_predicted_vs_actual(residuals), caption_predicted_vs_actual(residuals), key="pred_vs_actual")
    with c2:
        chart(plot_residuals(residuals), caption_residuals(residuals), key="residuals")


def _top_two(ws, project_id: int, experiment: dict, problem: ProblemConfig) -> None:
    # Computed once and saved with the runs (core.stages.evaluate): a refresh shows it again.
    outcome = pipeline.stage_compare_top_two(ws, project_id, int(experiment["id"]))
    if outcome is None:
        return
    st.subheader(_("Is the best model really better?"))
    st.info(
        escape_markdown(
            caption_comparison(
                outcome["name_a"], outcome["name_b"], outcome["cv"], outcome["bootstrap"], problem.metric
            )
        ),
        icon=":material/balance:",
    )
    st.caption(
        _(
            "Two checks: how often the best wins on the same cross-validation folds, and a bootstrap "
            "(1,000 resamples of the unseen rows) giving a 95% interval for the difference. An interval that "
            "straddles 0 means the data cannot tell the two apart."
        )
    )


def _fairness(
    problem: ProblemConfig, holdout: pd.DataFrame, model, threshold: float | None, key: str, default: str | None
) -> None:
    st.subheader(_("Fairness: does it serve every group alike?"))
    candidates = [c for c in holdout.columns if c != problem.target]
    default = default if default in candidates else None
    column = st.selectbox(
        _("Sensitive column"),
        [None, *candidates],
        key=f"sensitive_{key}",
        index=[None, *candidates].index(default),
        format_func=lambda c: _("choose a column") if c is None else c,
        help=_("A column such as gender, age band or region. The Problem page sets the one the gate checks."),
    )
    if column is None:
        st.caption(_("Pick a column to compare the model's results across its groups."))
        return
    if threshold is not None:
        st.caption(
            _("Groups are compared on the answers at the threshold chosen above ({threshold}).").format(
                threshold=format_as(threshold, ".2f")
            )
        )
    y, pred = _truth_and_pred(problem, holdout, model, threshold)
    table = get_group_metrics_df(
        y,
        pred,
        holdout[column].reset_index(drop=True),
        problem.task,
        score=model.test_scores if problem.task == "binary" else None,
    )
    gaps = get_fairness_gaps(table)
    chart(plot_group_metrics(table), caption_fairness(table, gaps, column), key=f"fairness_{key}")


def _truth_and_pred(
    problem: ProblemConfig, holdout: pd.DataFrame, model, threshold: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """The holdout's truth encoded like ``TrainResult.y_test`` and the model's predictions alike
    (a yes/no model's at ``threshold``, the one on the slider)."""
    if problem.task == "binary" and threshold is not None:
        return _y_test(problem, holdout), (np.asarray(model.test_scores) >= threshold).astype(int)
    pred = np.asarray(model.test_pred)
    pred = (
        pred.astype(int)
        if problem.task == "binary"
        else pred.astype(str)
        if problem.task == "multiclass"
        else pred.astype(float)
    )
    return _y_test(problem, holdout), pred


def _error_segments(problem: ProblemConfig, holdout: pd.DataFrame, model, threshold: float | None) -> None:
    st.subheader(_("Where it makes the most mistakes"))
    y, pred = _truth_and_pred(problem, holdout, model, threshold)
    segments = get_error_segments_df(
        holdout.drop(columns=[problem.target]).reset_index(drop=True), y, pred, problem.task
    )
    if segments.empty:
        st.caption(escape_markdown(caption_error_segments(segments, problem.task)))
        return
    chart(
        plot_error_segments(segments, problem.task),
        caption_error_segments(segments, problem.task),
        key="error_segments",
    )


def _robustness(ws, problem: ProblemConfig, run_id: int) -> None:
    st.subheader(_("Robustness: small noise, a missing feature"))
    # Saved with the run once checked (core.stages.evaluate): a refresh shows it without the button.
    table = pipeline.get_saved_robustness(ws, run_id)
    if table is None:
        st.caption(
            _(
                "Scores the model again with 5–20% noise on the numbers and with each input blanked in turn "
                "(a few seconds)."
            )
        )
        if not st.button(_("Check robustness"), key=f"robustness_button_{run_id}", icon=":material/shield:"):
            return
        with st.spinner(_("Scoring the model under noise and with missing inputs…")):
            table = pipeline.stage_robustness(ws, run_id)
    chart(
        plot_robustness(table, problem.metric),
        caption_robustness(table, problem.metric),
        key=f"robustness_chart_{run_id}",
    )
