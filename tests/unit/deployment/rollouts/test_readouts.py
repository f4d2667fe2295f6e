"""The pure readouts: the A/B verdict, the canary guardrails, the shadow's segments and McNemar test,
the blue-green gap evidence."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sp

from core.deployment.rollouts import guardrails as gr
from core.deployment.rollouts.ab import ABDesign, ab_readout
from core.deployment.rollouts.blue_green import gap_evidence
from core.deployment.rollouts.shadow import get_disagreement_by_segment, mcnemar_exact


def _labelled(p_a: float, p_b: float, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arms = np.where(rng.random(2 * n) < 0.5, "champion", "challenger")
    p = np.where(arms == "champion", p_a, p_b)
    return pd.DataFrame({"arm": arms, "value": (rng.random(2 * n) < p).astype(float)})


def test_ab_ships_b_when_b_is_clearly_better():
    readout = ab_readout(_labelled(0.60, 0.75, 3000))
    assert readout.verdict == "ship B"
    assert readout.sequential_p_value < 0.05
    assert readout.arms["B (challenger)"]["value"] > readout.arms["A (champion)"]["value"]


def test_ab_keeps_a_when_b_is_clearly_worse():
    readout = ab_readout(_labelled(0.75, 0.60, 3000))
    assert readout.verdict == "keep A" and "worse" in readout.sentence


def test_ab_keeps_running_until_the_planned_sample_and_then_keeps_a():
    early = ab_readout(_labelled(0.7, 0.7, 300))
    assert early.verdict == "keep running"
    assert early.more_needed_per_arm > 0 and f"{early.more_needed_per_arm:,}" in early.sentence
    late = ab_readout(_labelled(0.7, 0.7, 4000, seed=3))
    assert late.more_needed_per_arm == 0 and late.verdict == "keep A"


def test_ab_readout_numbers_are_the_stats_functions():
    data = _labelled(0.6, 0.65, 800)
    readout = ab_readout(data)
    a = data.loc[data["arm"] == "champion", "value"]
    b = data.loc[data["arm"] == "challenger", "value"]
    chi2, p, _, _ = sp.chi2_contingency([[a.sum(), len(a) - a.sum()], [b.sum(), len(b) - b.sum()]], correction=False)
    assert readout.test["p_value"] == pytest.approx(p)
    assert readout.arms["A (champion)"]["n"] == len(a)
    # The always-valid p-value is never below the fixed-sample one at the same data, roughly: it pays for peeking.
    assert readout.sequential_p_value >= readout.test["p_value"]


def test_ab_readout_for_a_numeric_metric_uses_welch():
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {
            "arm": ["champion"] * 500 + ["challenger"] * 500,
            "value": np.r_[rng.normal(10, 2, 500), rng.normal(9, 3, 500)],
        }
    ).sample(frac=1, random_state=0)
    readout = ab_readout(data, ABDesign(kind="mean", higher_is_better=False, mde=0.5), metric="mean absolute error")
    assert readout.test["test"] == "Welch t-test"
    ref = sp.ttest_ind(
        data.loc[data.arm == "challenger", "value"], data.loc[data.arm == "champion", "value"], equal_var=False
    )
    assert readout.test["p_value"] == pytest.approx(ref.pvalue)
    assert readout.verdict == "ship B"  # lower error is better


def test_guardrails_hold_and_fail_with_reasons():
    g = gr.Guardrails()
    assert gr.check_error_rate(0, 100, 1, 100, g)["holds"]
    failed = gr.check_error_rate(0, 100, 10, 100, g)
    assert not failed["holds"] and "10.0%" in failed["sentence"]
    assert gr.check_latency(np.full(20, 5.0), np.full(20, 9.0), g)["holds"]
    slow = gr.check_latency(np.full(20, 5.0), np.full(20, 40.0), g)
    assert not slow["holds"] and slow["limit"] == pytest.approx(25.0)
    rng = np.random.default_rng(0)
    same = rng.beta(2, 5, 400)
    assert gr.check_score_distribution(same, same + rng.normal(0, 0.01, 400), g)["holds"]
    assert not gr.check_score_distribution(same, np.full(400, 0.27), g)["holds"]
    # A few dozen requests: PSI's near-empty bins pass 0.25 on noise alone; KS cannot tell them apart.
    few_a, few_b = rng.beta(2, 5, 30), rng.beta(2, 5, 30)
    noisy = gr.check_score_distribution(few_a, few_b, g)
    assert noisy["psi"] > g.max_score_psi and noisy["ks_p_value"] >= g.score_alpha
    assert noisy["holds"] and "too few requests" in noisy["sentence"]
    waiting = gr.check_metric(np.ones(5), np.zeros(5), "proportion", True, g)
    assert waiting["holds"] and not waiting["judged"]
    worse = gr.check_metric(np.r_[np.ones(80), np.zeros(20)], np.r_[np.ones(50), np.zeros(50)], "proportion", True, g)
    assert not worse["holds"] and worse["judged"]
    better = gr.check_metric(np.r_[np.ones(50), np.zeros(50)], np.r_[np.ones(80), np.zeros(20)], "proportion", True, g)
    assert better["holds"]


def test_mcnemar_exact_matches_a_binomial_test_on_discordant_pairs():
    champion = np.array([True] * 30 + [False] * 10 + [True] * 50)
    shadow = np.array([False] * 30 + [True] * 10 + [True] * 50)
    # 30 pairs only the champion got right, 10 only the shadow: binomial(10; 40, 0.5), two-sided.
    assert mcnemar_exact(champion, shadow) == pytest.approx(sp.binomtest(10, 40, 0.5).pvalue)
    assert mcnemar_exact(champion, champion) == 1.0


def test_disagreement_by_segment_by_hand():
    inputs = pd.DataFrame({"plan": ["a"] * 50 + ["b"] * 50, "x": np.arange(100.0)})
    disagree = np.r_[np.zeros(50, bool), np.ones(20, bool), np.zeros(30, bool)]
    table = get_disagreement_by_segment(inputs, disagree)
    top = table.iloc[0]
    assert (top["column"], top["segment"]) == ("x", "(49.5, 74.25]") and top["disagreement"] == pytest.approx(20 / 25)
    plan_b = table[(table["column"] == "plan") & (table["segment"] == "b")].iloc[0]
    assert plan_b["disagreement"] == pytest.approx(0.4) and plan_b["requests"] == 50


def test_gap_evidence_reads_the_stream_around_the_switch():
    answers = pd.DataFrame(
        {
            "answered_at": np.arange(10) * 0.01,
            "version": ["blue"] * 5 + ["green"] * 5,
            "error": [""] * 10,
        }
    )
    evidence = gap_evidence(answers, [5])
    assert evidence["unanswered"] == 0 and evidence["median_pause_ms"] == pytest.approx(10)
    sw = evidence["switches"][0]
    assert sw["versions_before"] == ["blue"] * 3 and sw["versions_after"] == ["green"] * 3
    assert sw["longest_pause_ms"] == pytest.approx(10)
