"""The "good enough?" gate: is the best model's holdout score above the bar the business set,
and better than the baseline? Both must hold for GO.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.problem import ProblemConfig, format_metric_value, get_metric_label, is_higher_better


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
            "baseline_value": None if self.baseline_value is None or math.isnan(self.baseline_value) else self.baseline_value,
            "model": self.model,
            "checks": [dict(c) for c in self.checks],
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
    return {"name": "threshold", "passed": passed, "sentence": f"{label} on unseen data is {shown_value}, {relation} {bar}: {verdict}."}


def _baseline_check(metric: str, value: float, baseline_value: float) -> dict:
    label = get_metric_label(metric)
    if math.isnan(baseline_value):
        return {"name": "beats_baseline", "passed": True, "sentence": "The baseline could not be scored, so it is not compared."}
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


def check_gate(problem: ProblemConfig, best: Any, baseline: Any | None) -> GateResult:
    """Decide GO / NO-GO from the best model's holdout metric (``best.test_metrics``)."""
    metric = problem.metric
    value = float(best.test_metrics.get(metric, float("nan")))
    threshold = float(problem.threshold)
    checks = [_threshold_check(metric, value, threshold)]
    baseline_value = None
    if baseline is not None and baseline is not best and metric in baseline.test_metrics:
        baseline_value = float(baseline.test_metrics[metric])
        checks.append(_baseline_check(metric, value, baseline_value))
    return GateResult(
        metric=metric,
        threshold=threshold,
        value=value,
        passed=all(c["passed"] for c in checks),
        baseline_value=baseline_value,
        checks=tuple(checks),
        model=getattr(best, "key", ""),
    )
