"""The "good enough?" gate: is the best model's holdout score above the bar the business set,
and better than the baseline? Both must hold for GO.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.problem.definition import (
    ProblemConfig,
    format_metric_value,
    get_metric_label,
    is_higher_better,
)


@dataclass(frozen=True)
class GateResult:
    metric: str
    threshold: float
    value: float
    passed: bool
    baseline_value: float | None
    checks: tuple[dict, ...]  # each {name, passed, sentence}
    model: str = ""

    @property
    def decision(self) -> str:
        return "GO" if self.passed else "NO-GO"

    @property
    def sentence(self) -> str:
        """All check sentences in one paragraph, for the decision banner."""
        return " ".join(check["sentence"] for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "threshold": self.threshold,
            "value": None if math.isnan(self.value) else self.value,
            "passed": self.passed,
            "baseline_value": None
            if self.baseline_value is None or math.isnan(self.baseline_value)
            else self.baseline_value,
            "model": self.model,
            "checks": [dict(c) for c in self.checks],
        }


# What each check is called where people read it (the Train page's gate panel, the model card).
CHECK_TITLES = {
    "threshold": "Good enough for the business",
    "beats_baseline": "Better than guessing",
    "beats_champion": "At least as good as the current champion",
    "latency": "Fast enough",
    "fairness": "Fair across groups",
}


def _is_better(metric: str, value: float, other: float) -> bool:
    return value > other if is_higher_better(metric) else value < other


def _meets(metric: str, value: float, threshold: float) -> bool:
    return value >= threshold if is_higher_better(metric) else value <= threshold


def _threshold_check(metric: str, value: float, threshold: float) -> dict:
    label = get_metric_label(metric)
    shown_value, shown_bar = format_metric_value(metric, value), format_metric_value(metric, threshold)
    if math.isnan(value):
        return {
            "name": "threshold",
            "passed": False,
            "sentence": f"{label} could not be computed on the unseen data (it holds a single class?): NO-GO.",
        }
    passed = _meets(metric, value, threshold)
    if is_higher_better(metric):
        relation = "above" if value > threshold else ("at" if value == threshold else "below")
        bar = f"the {shown_bar} the business asked for"
    else:
        relation = "below" if value < threshold else ("at" if value == threshold else "above")
        bar = f"the {shown_bar} the business allows"
    verdict = "GO" if passed else "NO-GO"
    return {
        "name": "threshold",
        "passed": passed,
        "sentence": f"{label} on unseen data is {shown_value}, {relation} {bar}: {verdict}.",
    }


def _baseline_check(metric: str, value: float, baseline_value: float) -> dict:
    label = get_metric_label(metric)
    if math.isnan(baseline_value):
        return {
            "name": "beats_baseline",
            "passed": True,
            "sentence": "The baseline could not be scored, so it is not compared.",
        }
    passed = not math.isnan(value) and _is_better(metric, value, baseline_value)
    shown_base = format_metric_value(metric, baseline_value)
    if passed:
        gap = format_metric_value(metric, abs(value - baseline_value))
        sentence = f"It beats the baseline, which scores {shown_base}, by {gap}."
    else:
        sentence = (
            f"It does not beat the baseline that ignores the features ({label} {shown_base}), "
            "so it has learned nothing useful: NO-GO."
        )
    return {"name": "beats_baseline", "passed": passed, "sentence": sentence}


def _champion_check(metric: str, value: float, champion: dict[str, Any]) -> dict:
    """``champion``: {name, value} = the current champion's metric on the same holdout rows, or
    {name, error} when it could not be scored on them (other columns): then it is only reported."""
    label = get_metric_label(metric)
    # A champion that cannot be compared does not block the gate, but the check says so ("informational").
    if champion.get("error"):
        return {
            "name": "beats_champion",
            "passed": True,
            "informational": True,
            "sentence": f"The current champion ({champion['name']}) is not compared: {champion['error']}.",
        }
    other = float(champion["value"])
    shown = format_metric_value(metric, other)
    if math.isnan(other):
        return {
            "name": "beats_champion",
            "passed": True,
            "informational": True,
            "sentence": f"The current champion ({champion['name']}) has no {label} on these rows; not compared.",
        }
    low, high = champion.get("ci_low"), champion.get("ci_high")
    has_interval = low is not None and high is not None and not (math.isnan(low) or math.isnan(high))
    if has_interval:
        assert low is not None and high is not None  # has_interval says both are there
        # Paired bootstrap of (this model − champion): NO-GO only when the champion is really better.
        really_worse = high < 0 if is_higher_better(metric) else low > 0
        passed = not math.isnan(value) and not really_worse
        tied = not really_worse and not (low > 0 if is_higher_better(metric) else high < 0)
    else:
        passed = not math.isnan(value) and (value == other or _is_better(metric, value, other))
        tied = False
    if not passed:
        sentence = (
            f"On the same unseen rows the current champion ({champion['name']}) scores {shown}, "
            f"{'really ' if has_interval else ''}better than this model: replacing it would be a step back: NO-GO."
        )
    elif tied:
        sentence = (
            f"On the same unseen rows the current champion ({champion['name']}) scores {shown}; the two "
            "are practically tied (the 95% interval of the difference includes 0)."
        )
    else:
        sentence = (
            f"On the same unseen rows the current champion ({champion['name']}) scores {shown}; this model "
            "is at least as good."
        )
    return {"name": "beats_champion", "passed": passed, "sentence": sentence}


def _latency_check(latency_ms: float, limit_ms: float) -> dict:
    passed = latency_ms <= limit_ms
    verdict = "within" if passed else "over"
    sentence = f"It answers one request in {latency_ms:.1f} ms, {verdict} the {limit_ms:g} ms the service allows" + (
        "." if passed else ": NO-GO."
    )
    return {"name": "latency", "passed": passed, "sentence": sentence}


def _share(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"


def _fairness_check(fairness: dict[str, Any], limit: float) -> dict:
    """``fairness``: {column, measure (words), gap, low_group, high_group, reliable, and for yes/no
    models the decision_threshold the answers were made at}."""
    gap = float(fairness["gap"])
    shown = f"{gap:.0%}" if fairness.get("relative") else _share(gap)
    limit_shown = f"{limit:.0%}" if fairness.get("relative") else _share(limit)
    passed = gap <= limit
    at = (
        f" (flagging rows that score {fairness['decision_threshold']:.2f} or more)"
        if fairness.get("decision_threshold") is not None
        else ""
    )
    where = (
        f"its {fairness['measure']} differs by {shown} between '{fairness['high_group']}' and "
        f"'{fairness['low_group']}' of {fairness['column']}{at}"
    )
    caveat = "" if fairness.get("reliable", True) else " (some groups are small, so this is a rough estimate)"
    if passed:
        sentence = f"Fairness: {where}, within the {limit_shown} allowed{caveat}."
    else:
        sentence = f"Fairness: {where}, more than the {limit_shown} allowed{caveat}: NO-GO."
    return {"name": "fairness", "passed": passed, "sentence": sentence}


def check_gate(
    problem: ProblemConfig,
    best: Any,
    baseline: Any | None,
    *,
    champion: dict[str, Any] | None = None,
    latency_ms: float | None = None,
    fairness: dict[str, Any] | None = None,
) -> GateResult:
    """Decide GO / NO-GO from the best model's holdout metric (``best.test_metrics``): above the
    threshold, better than the baseline and, when given, at least as good as the current champion on
    the same rows, fast enough (``latency_ms`` per request) and with a fairness gap within the limit."""
    metric = problem.metric
    value = float(best.test_metrics.get(metric, float("nan")))
    threshold = float(problem.threshold)
    checks = [_threshold_check(metric, value, threshold)]
    baseline_value = None
    if baseline is not None and baseline is not best and metric in baseline.test_metrics:
        baseline_value = float(baseline.test_metrics[metric])
        checks.append(_baseline_check(metric, value, baseline_value))
    if champion is not None:
        checks.append(_champion_check(metric, value, champion))
    if latency_ms is not None and math.isfinite(latency_ms):
        checks.append(_latency_check(latency_ms, float(problem.max_latency_ms)))
    if fairness is not None:
        checks.append(_fairness_check(fairness, float(problem.max_fairness_gap)))
    return GateResult(
        metric=metric,
        threshold=threshold,
        value=value,
        passed=all(c["passed"] for c in checks),
        baseline_value=baseline_value,
        checks=tuple(checks),
        model=getattr(best, "key", ""),
    )
