import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from sklearn.metrics import mean_squared_error, roc_auc_score

from core.monitoring.charts import (
    caption_drift_heatmap,
    caption_feature_psi,
    caption_performance,
    caption_prediction_drift,
    plot_drift_heatmap,
    plot_feature_psi,
    plot_performance,
    plot_prediction_drift,
)
from core.monitoring.reports import Alert, MonitoringReport, run_monitoring
from core.monitoring.simulation import TrafficConfig, simulate_traffic
from core.workspace.errors import DataError

N_NUMERIC = 18
FEATURES = [f"x{i}" for i in range(N_NUMERIC)] + ["plan", "region"]  # 20 features


def _predict(df: pd.DataFrame) -> np.ndarray:
    logit = 1.5 * df["x0"] - 1.0 * df["x1"] + 0.8 * (df["plan"] == "pro")
    return 1 / (1 + np.exp(-logit.to_numpy(dtype=float)))


def _roc_auc(y_true, scores):
    return roc_auc_score(np.asarray(y_true) == "Yes", scores)


@pytest.fixture(scope="module")
def reference():
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(N_NUMERIC)})
    frame["plan"] = rng.choice(["basic", "plus", "pro"], n)
    frame["region"] = rng.choice(["north", "south", "east", "west"], n)
    frame["churn"] = np.where(rng.random(n) < _predict(frame), "Yes", "No")
    return frame


def _monitor(reference, scenario, *, columns=(), score_metric=_roc_auc, important=("x0", "plan")):
    config = TrafficConfig(scenario=scenario, windows=6, rows_per_window=500, drift_start=3, seed=3, columns=columns)
    traffic = simulate_traffic(reference, "churn", "classification", config, important_features=list(important))
    return run_monitoring(
        reference,
        traffic,
        feature_columns=FEATURES,
        predict_scores=_predict,
        reference_scores=_predict(reference),
        target="churn",
        task="classification",
        metric="roc_auc",
        threshold=0.75,
        score_metric=score_metric,
    )


@pytest.fixture(scope="module")
def calm_report(reference):
    return _monitor(reference, "none")


@pytest.fixture(scope="module")
def sudden_report(reference):
    return _monitor(reference, "sudden", columns=("x5",))


@pytest.fixture(scope="module")
def concept_report(reference):
    return _monitor(reference, "concept")


def test_no_drift_means_no_alerts_and_no_retraining(calm_report):
    assert calm_report.alerts == []
    assert not calm_report.retrain_recommended
    assert calm_report.reason.endswith("keep monitoring.")
    assert "ROC-AUC is" in calm_report.reason
    df = calm_report.feature_drift_df
    assert len(df) == 6 * len(FEATURES)
    assert list(df.columns) == [
        "window",
        "feature",
        "kind",
        "psi",
        "test",
        "pvalue",
        "drifted",
        "label",
        "new_rows",
        "new_share",
    ]
    assert (df["new_rows"] == 0).all() and calm_report.excluded_columns == {}
    assert not df["drifted"].any()
    assert (calm_report.performance_df["passed"]).all()
    assert calm_report.prediction_drift_df["psi"].max() < 0.1


def test_sudden_shift_is_flagged_in_late_windows_only(sudden_report):
    df = sudden_report.feature_drift_df
    x5 = df[df["feature"] == "x5"].set_index("window")
    assert x5["drifted"].tolist() == [False, False, True, True, True, True]
    assert (x5.loc[3:, "label"] == "major drift").all()
    assert not df[df["feature"] != "x5"]["drifted"].any()
    drift_alerts = [a for a in sudden_report.alerts if a.kind == "data_drift"]
    assert [a.window for a in drift_alerts] == [3, 4, 5, 6]
    assert all(a.level == "warning" and "x5" in a.message for a in drift_alerts)
    # One strongly drifted feature, unchanged performance: watch, do not retrain yet.
    assert not sudden_report.retrain_recommended
    assert "only 1 feature drifted strongly (x5)" in sudden_report.reason


def test_two_strongly_drifted_features_recommend_retraining(reference):
    report = _monitor(reference, "sudden", columns=("x5", "x6"))
    assert report.retrain_recommended
    assert "2 features drifted strongly" in report.reason and report.reason.endswith("retrain.")
    assert [a.level for a in report.alerts if a.kind == "data_drift"] == ["critical"] * 4


def test_shift_of_an_important_feature_moves_the_predictions(reference):
    report = _monitor(reference, "sudden", columns=("x0",))
    psi = report.prediction_drift_df.set_index("window")["psi"]
    assert psi.loc[[1, 2]].max() < 0.1 and psi.loc[3:].min() > 0.25
    assert {a.window for a in report.alerts if a.kind == "prediction_drift"} == {3, 4, 5, 6}
    mean_score = report.prediction_drift_df.set_index("window")["mean_score"]
    assert mean_score.loc[3:].min() > mean_score.loc[[1, 2]].max()


def test_performance_drop_recommends_retraining(concept_report):
    perf = concept_report.performance_df.set_index("window")
    assert perf["passed"].tolist() == [True, True, False, False, False, False]
    assert (perf["metric"] == "roc_auc").all() and (perf["threshold"] == 0.75).all()
    assert concept_report.retrain_recommended
    latest = perf.loc[6, "value"]
    assert concept_report.reason.startswith(f"ROC-AUC fell to {latest:.2f} in window 6, below the 0.75")
    critical = [a for a in concept_report.alerts if a.kind == "performance"]
    assert [a.window for a in critical] == [3, 4, 5, 6] and all(a.level == "critical" for a in critical)
    # Concept drift leaves the inputs alone: no data drift.
    assert not concept_report.feature_drift_df["drifted"].any()


def test_report_json_round_trip(sudden_report, concept_report):
    for report in (sudden_report, concept_report):
        text = json.dumps(report.to_dict(), allow_nan=False)
        loaded = MonitoringReport.from_dict(json.loads(text))
        assert loaded == report
        pd.testing.assert_frame_equal(loaded.feature_drift_df, report.feature_drift_df)
        pd.testing.assert_frame_equal(loaded.prediction_drift_df, report.prediction_drift_df)
        pd.testing.assert_frame_equal(loaded.performance_df, report.performance_df)
        assert loaded.alerts == report.alerts and isinstance(loaded.alerts[0], Alert)
        assert loaded.config == report.config


def test_latest_drift_summary_is_the_cli_contract(sudden_report):
    summary = sudden_report.get_latest_drift_summary()
    assert summary["drifted_features"] == ["x5"]
    assert set(summary["features"]) == set(FEATURES)
    x5 = summary["features"]["x5"]
    assert set(x5) == {"psi", "pvalue", "drifted", "new_rows", "new_share"}
    assert x5["drifted"] is True and x5["psi"] > 0.25 and x5["new_rows"] == 0
    assert summary["excluded_columns"] == {}
    last = sudden_report.feature_drift_df.query("window == 6 and feature == 'x5'").iloc[0]
    assert x5["psi"] == pytest.approx(last["psi"])
    json.dumps(summary, allow_nan=False)


def test_without_score_metric_performance_is_skipped(reference):
    report = _monitor(reference, "none", score_metric=None)
    assert report.performance_df.empty
    assert list(report.performance_df.columns) == ["window", "metric", "value", "threshold", "passed"]
    assert "no labels have arrived" in report.reason.lower()
    assert MonitoringReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_lower_is_better_metrics_fail_above_the_threshold(reference):
    rng = np.random.default_rng(1)
    traffic = reference.sample(1000, random_state=0).reset_index(drop=True).assign(window=np.repeat([1, 2], 500))
    traffic["y"] = traffic["x0"] + np.where(traffic["window"] == 2, rng.normal(0, 3, 1000), 0.0)
    report = run_monitoring(
        reference,
        traffic,
        feature_columns=["x0", "x1"],
        predict_scores=lambda df: df["x0"].to_numpy(),
        reference_scores=reference["x0"].to_numpy(),
        target="y",
        task="regression",
        metric="rmse",
        threshold=1.0,
        score_metric=lambda y, s: mean_squared_error(y, s) ** 0.5,
    )
    assert report.performance_df["passed"].tolist() == [True, False]
    assert report.retrain_recommended and report.reason.startswith("RMSE rose to")


def test_bad_inputs_raise_data_errors(reference):
    kwargs = dict(
        feature_columns=["x0"],
        predict_scores=_predict,
        reference_scores=_predict(reference),
        target="churn",
        task="classification",
        metric="roc_auc",
        threshold=0.75,
    )
    with pytest.raises(DataError, match="'window'"):
        run_monitoring(reference, reference, **kwargs)
    with pytest.raises(DataError, match="one score"):
        traffic = reference.head(100).assign(window=1)
        run_monitoring(reference, traffic, **{**kwargs, "predict_scores": lambda df: np.zeros(3)})


def test_plots_and_captions_use_the_numbers(sudden_report, concept_report):
    heatmap = plot_drift_heatmap(sudden_report.feature_drift_df)
    assert isinstance(heatmap, go.Figure)
    assert np.asarray(heatmap.data[0].z).shape == (len(FEATURES), 6)
    assert heatmap.data[0].y[-1] == "x5"  # the most drifted feature is on top
    assert heatmap.layout.height <= 450
    caption = caption_drift_heatmap(sudden_report.feature_drift_df)
    top = sudden_report.feature_drift_df.sort_values("psi").iloc[-1]
    assert caption.startswith("x5 drifted most") and f"{top['psi']:.2f}" in caption and "major drift" in caption

    feature_fig = plot_feature_psi(sudden_report.feature_drift_df, "x5")
    assert list(feature_fig.data[0].x) == [1, 2, 3, 4, 5, 6]
    assert caption_feature_psi(sudden_report.feature_drift_df, "x5").startswith("x5 first drifted in window 3")
    assert caption_feature_psi(sudden_report.feature_drift_df, "x1").startswith("x1 is stable")

    assert len(plot_prediction_drift(sudden_report.prediction_drift_df).data) == 2
    assert "stable" in caption_prediction_drift(sudden_report.prediction_drift_df)

    perf_fig = plot_performance(concept_report.performance_df)
    assert any(shape.y0 == 0.75 for shape in perf_fig.layout.shapes)  # the threshold line
    assert caption_performance(concept_report.performance_df).startswith("ROC-AUC met the required 0.75 until window 2")
    white = pio.templates["plotly_white"].layout.plot_bgcolor
    for fig in (heatmap, feature_fig, perf_fig):
        assert fig.layout.template.layout.plot_bgcolor == white


def test_calm_captions_say_nothing_moved(calm_report):
    assert caption_drift_heatmap(calm_report.feature_drift_df).startswith("None of the 20 features drifted")
    assert caption_performance(calm_report.performance_df).startswith("ROC-AUC meets the required 0.75 in every window")
    empty = calm_report.performance_df.iloc[0:0]
    assert "no labels" in caption_performance(empty) and isinstance(plot_performance(empty), go.Figure)


# --- what is (not) a drift signal ------------------------------------------------------------------


def _run(reference, traffic, columns, **kwargs):
    scores = _predict(traffic)  # the model reads the same rows whatever is monitored
    return run_monitoring(
        reference,
        traffic,
        feature_columns=columns,
        predict_scores=lambda rows: scores,
        reference_scores=_predict(reference),
        target="churn",
        task="classification",
        metric="roc_auc",
        threshold=0.75,
        score_metric=_roc_auc,
        **kwargs,
    )


def test_times_and_identifiers_are_not_drift_signals(reference):
    """A time split's production rows are always later, and new customers bring new IDs: those
    columns "drift" in every window (PSI ≈ 6) and must not make the decision."""
    rng = np.random.default_rng(1)
    ref = reference.assign(
        signup=pd.Series(pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 365, len(reference)), "D")),
        signup_text=lambda d: d["signup"].dt.strftime("%Y-%m-%d").astype("str"),
        account=pd.Series([f"A-{i // 3:05d}" for i in range(len(reference))], dtype="str"),
    )
    traffic = simulate_traffic(ref, "churn", "classification", TrafficConfig(scenario="none", seed=3))
    later = traffic["signup"] + pd.Timedelta(days=400)
    traffic = traffic.assign(
        signup=later,
        signup_text=later.dt.strftime("%Y-%m-%d").astype("str"),
        account=pd.Series([f"B-{i // 3:05d}" for i in range(len(traffic))], dtype="str"),
    )
    columns = FEATURES + ["signup", "signup_text", "account", "region_code"]
    ref["region_code"], traffic["region_code"] = ref["region"], traffic["region"]  # a plain category, named oddly
    report = _run(ref, traffic, columns, time_columns=("signup_text",))

    assert set(report.excluded_columns) == {"signup", "signup_text", "account"}
    assert "always later" in report.excluded_columns["signup"]
    assert "identifier" in report.excluded_columns["account"]
    assert set(report.feature_drift_df["feature"]) == set(FEATURES) | {"region_code"}
    assert report.alerts == [] and not report.retrain_recommended
    assert "no feature drifted strongly" in report.reason
    summary = report.get_latest_drift_summary()
    assert summary["drifted_features"] == [] and "signup" not in summary["features"]
    assert set(summary["excluded_columns"]) == {"signup", "signup_text", "account"}
    assert MonitoringReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report
    from core.monitoring.charts import caption_excluded_columns

    caption = caption_excluded_columns(report.excluded_columns)
    assert caption.startswith("Not drift signals: signup is a time") and "retrain decision" in caption
    assert caption_excluded_columns({}) == ""

    # Nothing but times and IDs: an empty drift table, and the decision still stands on performance.
    only = _run(ref, traffic, ["signup", "account"])
    assert only.feature_drift_df.empty and not only.retrain_recommended
    assert only.reason.startswith("ROC-AUC is")


def test_a_new_category_in_40_percent_of_rows_recommends_retraining(reference):
    report = _monitor(reference, "new_category", columns=("region",))
    new = report.feature_drift_df.query("feature == 'region'").set_index("window")
    assert (new.loc[[1, 2], "new_rows"] == 0).all()
    assert new.loc[3:, "new_share"].between(0.35, 0.45).all()  # the scenario's 40% of rows
    alerts = [a for a in report.alerts if a.kind == "new_values"]
    assert [a.window for a in alerts] == [3, 4, 5, 6] and all(a.level == "critical" for a in alerts)
    rows = int(new.loc[6, "new_rows"])
    assert f"region has a value never seen in training in {rows:,} of 500 rows" in alerts[-1].message
    assert report.retrain_recommended
    assert report.reason.startswith(f"In window 6, region has a value never seen in training in {rows:,} of 500")
    assert report.reason.endswith("retrain with rows that include it.")
    # A numeric code the training data never had counts the same way (a rating of 11 on a 1–10 scale).
    ref = reference.assign(rating=np.random.default_rng(2).integers(1, 11, len(reference)))
    traffic = simulate_traffic(
        ref, "churn", "classification", TrafficConfig(scenario="new_category", seed=3, columns=("rating",))
    )
    coded = _run(ref, traffic, FEATURES + ["rating"])
    assert coded.retrain_recommended and "rating has a value never seen in training" in coded.reason


def test_a_report_saved_before_new_values_were_counted_still_loads(sudden_report):
    data = sudden_report.to_dict()
    for row in data["feature_drift"]:
        del row["new_rows"], row["new_share"]
    del data["excluded_columns"]
    loaded = MonitoringReport.from_dict(data)
    assert (loaded.feature_drift_df["new_rows"] == 0).all() and loaded.excluded_columns == {}
