"""The performance chart and its sentence; a report keeps its performance windows through JSON."""

import json

import numpy as np
import pandas as pd

from core.monitoring.charts_performance import caption_performance_windows, plot_performance_windows
from core.monitoring.drift import DriftConfig
from core.monitoring.performance import fit_performance_reference
from core.monitoring.reports import MonitoringReport, run_monitoring


def auc_like(y, s) -> float:
    y = np.asarray(y, dtype=float)
    return float(np.mean((np.asarray(s) >= 0.5) == (y == 1)))


def _report(label_delay: int = 2) -> MonitoringReport:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.uniform(size=600)})
    reference["y"] = (rng.random(600) < reference["x"]).astype(int)
    traffic = reference.sample(1500, replace=True, random_state=1).reset_index(drop=True)
    traffic.insert(0, "window", np.repeat([1, 2, 3], 500))
    traffic["y"] = traffic["y"].where(traffic["window"] <= 3 - label_delay)
    perf = fit_performance_reference(
        reference["y"],
        reference["x"].to_numpy(),
        metric="accuracy",
        score_metric=auc_like,
        window_rows=500,
        positives=reference["y"].to_numpy(),
    )
    return run_monitoring(
        reference,
        traffic,
        feature_columns=["x"],
        predict_scores=lambda rows: rows["x"].to_numpy(),
        reference_scores=reference["x"].to_numpy(),
        target="y",
        task="classification",
        metric="accuracy",
        threshold=0.6,
        score_metric=auc_like,
        config=DriftConfig(),
        performance_reference=perf,
    )


def test_report_round_trips_its_performance_windows_and_old_reports_still_load():
    report = _report()
    data = json.loads(json.dumps(report.to_dict()))
    assert MonitoringReport.from_dict(data) == report
    assert report.performance_windows_df["labelled"].tolist() == [True, False, False]
    old = {k: v for k, v in data.items() if k not in ("performance_windows", "performance_reference")}
    loaded = MonitoringReport.from_dict(old)
    assert loaded.performance_windows_df.empty and loaded.performance_reference is None


def test_chart_shades_unlabelled_windows_and_caption_names_them():
    report = _report()
    fig = plot_performance_windows(report.performance_windows_df, 0.6)
    names = {trace.name for trace in fig.data}
    assert {"realised (labels arrived)", "estimated (before labels)", "control limit (own holdout)"} <= names
    assert sum(shape.type == "rect" for shape in fig.layout.shapes) == 2
    sentence = caption_performance_windows(report.performance_windows_df, report.performance_reference)
    assert "windows 2, 3, still without labels" in sentence and "no decay" in sentence


def test_caption_says_when_the_model_lost_skill():
    report = _report(label_delay=0)
    df = report.performance_windows_df.assign(decayed=[False, True, True])
    sentence = caption_performance_windows(df, report.performance_reference)
    assert "from window 2 on" in sentence and "lost skill" in sentence
    assert caption_performance_windows(df.iloc[0:0], None).startswith("This report has no performance reference")
