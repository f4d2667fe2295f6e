"""Tests of core.evaluation.comparison: paired CV comparison, vectorised bootstrap on the holdout, the sentence."""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from core.evaluation.charts_checks import caption_comparison
from core.evaluation.comparison import (
    bootstrap_metric_difference,
    compare_cv_folds,
    compare_models,
    get_top_two,
    metric_uses_scores,
    score_metric,
)
from core.workspace.errors import ConfigError, DataError

# ---------------------------------------------------------------- CV folds


def test_cv_comparison_counts_wins_and_uses_a_paired_t_test():
    a = [0.84, 0.85, 0.83, 0.86, 0.84]
    b = [0.835, 0.84, 0.835, 0.85, 0.83]
    cv = compare_cv_folds(a, b)
    assert (cv["folds"], cv["wins_a"], cv["wins_b"], cv["ties"]) == (5, 4, 1, 0)
    assert cv["mean_difference"] == pytest.approx(0.006)
    assert cv["p_value"] == pytest.approx(stats.ttest_rel(a, b).pvalue)


def test_t_test_is_symmetric_and_wins_flip():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.8, 0.02, 5), rng.normal(0.79, 0.02, 5)
    ab, ba = compare_cv_folds(a, b), compare_cv_folds(b, a)
    assert ab["p_value"] == pytest.approx(ba["p_value"])
    assert ab["mean_difference"] == pytest.approx(-ba["mean_difference"])
    assert (ab["wins_a"], ab["wins_b"]) == (ba["wins_b"], ba["wins_a"])


def test_lower_is_better_counts_the_smaller_error_as_a_win():
    cv = compare_cv_folds([10.0, 12.0, 9.0], [11.0, 13.0, 8.0], higher_is_better=False)
    assert (cv["wins_a"], cv["wins_b"]) == (2, 1)
    assert cv["mean_difference"] == pytest.approx(-1 / 3)


def test_cv_comparison_edge_cases():
    same = compare_cv_folds([0.8, 0.8, 0.8], [0.8, 0.8, 0.8])
    assert same["p_value"] == 1.0 and same["ties"] == 3
    constant_gap = compare_cv_folds([0.9, 0.8, 0.7], [0.8, 0.7, 0.6])
    assert constant_gap["p_value"] == 0.0 and constant_gap["wins_a"] == 3
    with_nan = compare_cv_folds([0.8, float("nan"), 0.9], [0.7, 0.8, 0.85])
    assert with_nan["folds"] == 2 and with_nan["mean_difference"] == pytest.approx(0.075)
    assert np.isnan(compare_cv_folds([0.8], [0.7])["p_value"])
    with pytest.raises(DataError, match="same folds"):
        compare_cv_folds([0.8, 0.7], [0.8])


# ---------------------------------------------------------------- vectorised metrics = sklearn


def binary_case(n=300, seed=1):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    score_a = np.round(np.clip(0.3 + 0.35 * (y - 0.3) + rng.normal(0, 0.2, n), 0, 1), 2)  # ties on purpose
    score_b = np.clip(0.3 + 0.2 * (y - 0.3) + rng.normal(0, 0.2, n), 0, 1)
    return y, score_a, score_b


def test_registered_metrics_equal_sklearn():
    y, score, _ = binary_case()
    labels = (score >= 0.5).astype(int)
    assert score_metric("roc_auc", y, score) == pytest.approx(roc_auc_score(y, score))
    assert score_metric("pr_auc", y, score) == pytest.approx(average_precision_score(y, score))
    assert score_metric("log_loss", y, score) == pytest.approx(log_loss(y, score))
    assert score_metric("accuracy", y, labels) == pytest.approx(accuracy_score(y, labels))
    classes = np.array(["a", "b", "c"])[np.random.default_rng(2).integers(0, 3, 300)]
    guesses = np.where(np.random.default_rng(3).random(300) < 0.6, classes, "a")
    assert score_metric("f1_macro", classes, guesses) == pytest.approx(f1_score(classes, guesses, average="macro"))
    assert score_metric("balanced_accuracy", classes, guesses) == pytest.approx(
        balanced_accuracy_score(classes, guesses)
    )
    actual = np.random.default_rng(4).normal(50, 10, 300)
    predicted = actual + np.random.default_rng(5).normal(0, 5, 300)
    assert score_metric("r2", actual, predicted) == pytest.approx(r2_score(actual, predicted))
    assert score_metric("rmse", actual, predicted) == pytest.approx(root_mean_squared_error(actual, predicted))
    assert score_metric("mae", actual, predicted) == pytest.approx(mean_absolute_error(actual, predicted))
    assert metric_uses_scores("roc_auc") and not metric_uses_scores("accuracy")


@pytest.mark.parametrize(
    "metric, sklearn_metric, use_labels",
    [
        ("roc_auc", roc_auc_score, False),
        ("pr_auc", average_precision_score, False),
        ("f1_macro", lambda y, p: f1_score(y, p, average="macro"), True),
        ("balanced_accuracy", balanced_accuracy_score, True),
    ],
)
def test_vectorised_bootstrap_equals_looping_sklearn_over_the_same_resamples(metric, sklearn_metric, use_labels):
    y, a, b = binary_case(n=200)
    if use_labels:
        a, b = (a >= 0.5).astype(int), (b >= 0.4).astype(int)
    fast = bootstrap_metric_difference(y, a, b, metric, n_boot=60, seed=7)
    slow = bootstrap_metric_difference(y, a, b, sklearn_metric, n_boot=60, seed=7)  # same seed → same rows
    for key in ("score_a", "score_b", "difference", "ci_low", "ci_high", "share_a_better"):
        assert fast[key] == pytest.approx(slow[key]), key


# ---------------------------------------------------------------- bootstrap behaviour


def regression_case(n, seed):
    # A's errors ~ N(0, 1), B's ~ N(0, 2): the true MAE difference is √(2/π)·(1 − 2) ≈ −0.798.
    rng = np.random.default_rng(seed)
    y = rng.normal(100, 20, n)
    return y, y + rng.normal(0, 1, n), y + rng.normal(0, 2, n)


def test_bootstrap_interval_contains_the_true_difference_and_narrows_with_more_rows():
    true_difference = np.sqrt(2 / np.pi) * (1 - 2)
    small = bootstrap_metric_difference(*regression_case(200, seed=1), "mae", seed=0)
    large = bootstrap_metric_difference(*regression_case(3000, seed=2), "mae", seed=0)
    for boot in (small, large):
        assert boot["ci_low"] < true_difference < boot["ci_high"]
        assert boot["valid_resamples"] == 1000 and not boot["higher_is_better"]
        assert boot["share_a_better"] > 0.99  # A's errors are smaller in (almost) every resample
    assert (large["ci_high"] - large["ci_low"]) < 0.5 * (small["ci_high"] - small["ci_low"])
    assert large["difference"] == pytest.approx(large["score_a"] - large["score_b"])


def test_bootstrap_of_two_equal_models_is_a_tie():
    rng = np.random.default_rng(3)
    y = (rng.random(800) < 0.4).astype(int)
    same_quality = [np.clip(0.4 + 0.3 * (y - 0.4) + rng.normal(0, 0.25, 800), 0, 1) for _ in range(2)]
    boot = bootstrap_metric_difference(y, *same_quality, "roc_auc")
    assert boot["ci_low"] < 0 < boot["ci_high"]
    assert 0.05 < boot["share_a_better"] < 0.95


def test_bootstrap_skips_resamples_where_the_metric_is_undefined():
    y = np.array([0] * 19 + [1])  # many resamples draw no positive at all
    boot = bootstrap_metric_difference(y, np.linspace(0, 1, 20), np.linspace(1, 0, 20), "roc_auc", n_boot=200)
    assert 0 < boot["valid_resamples"] < 200
    assert boot["difference"] == pytest.approx(1.0)


def test_bootstrap_refuses_bad_input():
    with pytest.raises(DataError, match="one prediction per holdout row"):
        bootstrap_metric_difference([0, 1], [0.1], [0.2, 0.3], "roc_auc")
    with pytest.raises(ConfigError, match="cannot be bootstrapped"):
        bootstrap_metric_difference([0, 1], [0.1, 0.9], [0.2, 0.3], "median_error")
    with pytest.raises(DataError, match="one value per row"):
        bootstrap_metric_difference([0, 1], np.ones((2, 2)), np.ones((2, 2)), "roc_auc")


# ---------------------------------------------------------------- two models of a training run


def fake_result(key, name, cv_scores, test_scores, test_pred, ok=True):
    return SimpleNamespace(
        key=key,
        name=name,
        cv_scores=cv_scores,
        test_scores=test_scores,
        test_pred=test_pred,
        ok=ok,
        is_baseline=key == "baseline",
    )


def test_top_two_skips_the_baseline_and_failures_and_compare_models_picks_scores():
    y, a, b = binary_case()
    results = [
        fake_result("logistic", "Logistic regression", [0.8, 0.82], a, (a >= 0.5).astype(int)),
        fake_result("broken", "Broken", [], np.array([]), np.array([]), ok=False),
        fake_result("baseline", "Baseline", [0.5, 0.5], np.full(len(y), 0.3), np.zeros(len(y), int)),
        fake_result("random_forest", "Random forest", [0.79, 0.8], b, (b >= 0.5).astype(int)),
    ]
    first, second = get_top_two(results)
    assert (first.key, second.key) == ("logistic", "random_forest")
    assert get_top_two(results[1:3]) is None
    comparison = compare_models(first, second, y, "roc_auc", n_boot=100)
    assert comparison["bootstrap"]["score_a"] == pytest.approx(roc_auc_score(y, a))
    assert comparison["cv"]["wins_a"] == 2
    by_accuracy = compare_models(first, second, y, "accuracy", n_boot=100)
    assert by_accuracy["bootstrap"]["score_a"] == pytest.approx(accuracy_score(y, first.test_pred))


# ---------------------------------------------------------------- the sentence


def test_caption_of_a_practical_tie():
    cv = compare_cv_folds([0.84, 0.85, 0.83, 0.86, 0.84], [0.835, 0.84, 0.835, 0.85, 0.83])
    boot = {"difference": 0.005, "ci_low": -0.004, "ci_high": 0.014, "higher_is_better": True}
    assert caption_comparison("Logistic regression", "Random forest", cv, boot, "roc_auc") == (
        "Logistic regression beats random forest on 4 of 5 folds, by 0.006 ROC-AUC on average; "
        "on the holdout it is ahead by 0.005 (95% interval −0.004 to 0.014), "
        "so the two are practically tied: the simpler or faster one is a fine choice."
    )


def test_caption_of_a_real_win_and_of_a_reversal():
    cv = compare_cv_folds([0.9, 0.91, 0.9], [0.8, 0.82, 0.81])
    boot = {"difference": 0.09, "ci_low": 0.05, "ci_high": 0.13, "higher_is_better": True}
    assert caption_comparison("Gradient boosting", "Logistic regression", cv, boot, "roc_auc").endswith(
        "so gradient boosting is really better."
    )
    reversed_boot = {"difference": -0.03, "ci_low": -0.05, "ci_high": -0.01, "higher_is_better": True}
    caption = caption_comparison("Gradient boosting", "XGBoost", cv, reversed_boot, "roc_auc")
    assert "on the holdout it is behind by 0.030 (95% interval −0.050 to −0.010)" in caption
    assert caption.endswith("so XGBoost is really better on unseen data.")


def test_caption_for_an_error_metric_speaks_in_advantages():
    # RMSE: A's errors are 1,200 smaller on average over the folds and 900 smaller on the holdout.
    cv = compare_cv_folds([30_000, 31_000, 29_000], [31_500, 32_000, 30_100], higher_is_better=False)
    boot = bootstrap_metric_difference(*regression_case(500, seed=4), "rmse", n_boot=200)
    boot = dict(boot, difference=-900.0, ci_low=-2_000.0, ci_high=300.0)
    assert caption_comparison("Ridge regression", "Random forest", cv, boot, "rmse") == (
        "Ridge regression beats random forest on 3 of 3 folds, by 1,200 RMSE on average; "
        "on the holdout it is ahead by 900 (95% interval −300 to 2,000), "
        "so the two are practically tied: the simpler or faster one is a fine choice."
    )


def test_caption_without_cv_scores():
    boot = {"difference": 0.02, "ci_low": 0.01, "ci_high": 0.03, "higher_is_better": True}
    assert caption_comparison("Random forest", "Decision tree", None, boot, "accuracy") == (
        "On the holdout Random forest is ahead by 0.020 accuracy (95% interval 0.010 to 0.030), so it is really better."
    )


def test_recorded_runs_side_by_side_charts_and_sentences():
    import pandas as pd

    from core.evaluation.charts_checks import caption_run_folds, caption_run_scores, plot_run_folds, plot_run_scores

    runs = pd.DataFrame(
        {
            "model": ["Logistic regression", "Random forest"],
            "cv_score": [0.83, 0.81],
            "roc_auc": [0.84, 0.86],
            "r2": [None, None],
            "cv_folds": [[0.82, 0.84, 0.83], [0.78, 0.84, 0.81]],
        },
        index=pd.Index([3, 7], name="run"),
    )
    bars = plot_run_scores(runs, "roc_auc")
    assert [t.name for t in bars.data] == ["run 3: Logistic regression", "run 7: Random forest"]
    assert list(bars.data[0].x) == ["CV ROC-AUC", "ROC-AUC"]  # r2 is empty for these runs: no bar
    assert caption_run_scores(runs, "roc_auc").startswith("Run 7 (Random forest) has the best holdout ROC-AUC")
    folds = plot_run_folds(runs, "roc_auc")
    assert list(folds.data[1].x) == [1, 2, 3] and list(folds.data[1].y) == [0.78, 0.84, 0.81]
    assert "up to 0.060 from fold to fold" in caption_run_folds(runs)
