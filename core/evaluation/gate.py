"""The "good enough?" gate: is the best model's holdout score above the bar the business set,
and better than the baseline? Both must hold for GO.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.formatting import english_numerals, format_beside_bar, localize_number_text
from core.i18n import N_, _
from core.problem.definition import (
    ProblemConfig,
    format_metric_value,
    get_metric_label,
    is_higher_better,
)
from core.security.pii import IDENTIFYING


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
# Translate where shown: _(CHECK_TITLES[name]).
CHECK_TITLES = {
    "threshold": N_("Good enough for the business"),
    "beats_baseline": N_("Better than guessing"),
    "beats_champion": N_("At least as good as the current champion"),
    "latency": N_("Fast enough"),
    "fairness": N_("Fair across groups"),
    "personal_data": N_("No raw personal data"),
}

# The threshold check's sentence by (higher is better, where the score is against the bar).
_THRESHOLD_SENTENCES = {
    (True, "above"): N_("{label} on unseen data is {value}, above the {bar} the business asked for: {verdict}."),
    (True, "at"): N_("{label} on unseen data is {value}, at the {bar} the business asked for: {verdict}."),
    (True, "below"): N_("{label} on unseen data is {value}, below the {bar} the business asked for: {verdict}."),
    (False, "above"): N_("{label} on unseen data is {value}, above the {bar} the business allows: {verdict}."),
    (False, "at"): N_("{label} on unseen data is {value}, at the {bar} the business allows: {verdict}."),
    (False, "below"): N_("{label} on unseen data is {value}, below the {bar} the business allows: {verdict}."),
}

# The fairness check's sentence by (answers at a threshold, passed, groups big enough).
_FAIRNESS_SENTENCES = {
    (False, True, True): N_(
        "Fairness: its {measure} differs by {gap} between '{high}' and '{low}' of {column}, within the {limit} allowed."
    ),
    (False, False, True): N_(
        "Fairness: its {measure} differs by {gap} between '{high}' and '{low}' of {column}, more than the {limit} "
        "allowed: NO-GO."
    ),
    (False, True, False): N_(
        "Fairness: its {measure} differs by {gap} between '{high}' and '{low}' of {column}, within the {limit} "
        "allowed (some groups are small, so this is a rough estimate)."
    ),
    (False, False, False): N_(
        "Fairness: its {measure} differs by {gap} between '{high}' and '{low}' of {column}, more than the {limit} "
        "allowed (some groups are small, so this is a rough estimate): NO-GO."
    ),
    (True, True, True): N_(
        "Fairness: its {measure} differs by {gap} between '{high}' and '{low}' of {column} (flagging rows that "
        "score {cutoff} or more), within the {limit} allowed."
    ),
    (True, False, True): N_(
        "Fairness: its {measure} differs by {gap} between '{high}' and '{low}' of {column} (flagging rows that "
        "score {cutoff} or more), more than the {limit} allowed: NO-GO."
    ),
    (True, True, False): N_(
        "Fairness: its {measure} differs by {gap} between '{high}' and '{low}' of {column} (flagging rows that "
        "score {cutoff} or more), within the {limit} allowed (some groups are small, so this is a rough "
        "estimate)."
    ),
    (True, False, False): N_(
        "Fairness: its {measure} differs by {gap} between '{high}' and '{low}' of {column} (flagging rows that "
        "score {cutoff} or more), more than the {limit} allowed (some groups are small, so this is a rough "
        "estimate): NO-GO."
    ),
}


def _check(name: str, passed: bool, template: str, /, informational: bool = False, **values: Any) -> dict:
    """A check whose sentence is kept as its English template and values too, so it is shown again
    in the reader's language (``describe_check``); ``sentence`` is the one written when it ran."""
    check: dict[str, Any] = {"name": name, "passed": passed}
    if informational:
        check["informational"] = True
    check["sentence"] = _(template).format(**_shown(values))
    check["template"] = template
    check["values"] = {k: str(v) for k, v in values.items()}
    return check


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """The values as the reader's language says them: the fairness measure is kept in English
    ("recall") and translated here; numbers were stored as English text ("0.84") and are written
    with the language's decimal mark."""
    return {
        k: _(str(v)) if k == "measure" else (localize_number_text(v) if isinstance(v, str) else v)
        for k, v in values.items()
    }


def describe_check(check: dict[str, Any]) -> str:
    """A check's sentence in the current language (older gates without a template: as stored)."""
    template, values = check.get("template"), check.get("values")
    if not isinstance(template, str) or not isinstance(values, dict):
        return str(check.get("sentence", ""))
    try:
        return _(template).format(**_shown(values))
    except (KeyError, IndexError, ValueError):
        return str(check.get("sentence", ""))


def _is_better(metric: str, value: float, other: float) -> bool:
    return value > other if is_higher_better(metric) else value < other


def _meets(metric: str, value: float, threshold: float) -> bool:
    return value >= threshold if is_higher_better(metric) else value <= threshold


def _threshold_check(metric: str, value: float, threshold: float) -> dict:
    label = get_metric_label(metric)
    shown_value, shown_bar = format_beside_bar(
        value, threshold, format_metric_value(metric, value), format_metric_value(metric, threshold)
    )
    if math.isnan(value):
        return _check(
            "threshold",
            False,
            N_("{label} could not be computed on the unseen data (it holds a single class?): NO-GO."),
            label=label,
        )
    passed = _meets(metric, value, threshold)
    higher = is_higher_better(metric)
    if higher:
        relation = "above" if value > threshold else ("at" if value == threshold else "below")
    else:
        relation = "below" if value < threshold else ("at" if value == threshold else "above")
    verdict = "GO" if passed else "NO-GO"
    return _check(
        "threshold",
        passed,
        _THRESHOLD_SENTENCES[(higher, relation)],
        label=label,
        value=shown_value,
        bar=shown_bar,
        verdict=verdict,
    )


def _baseline_check(metric: str, value: float, baseline_value: float) -> dict:
    label = get_metric_label(metric)
    if math.isnan(baseline_value):
        return _check("beats_baseline", True, N_("The baseline could not be scored, so it is not compared."))
    passed = not math.isnan(value) and _is_better(metric, value, baseline_value)
    shown_base = format_metric_value(metric, baseline_value)
    if passed:
        gap = format_metric_value(metric, abs(value - baseline_value))
        return _check(
            "beats_baseline",
            True,
            N_("It beats the baseline, which scores {base}, by {gap}."),
            base=shown_base,
            gap=gap,
        )
    return _check(
        "beats_baseline",
        False,
        N_(
            "It does not beat the baseline that ignores the features ({label} {base}), "
            "so it has learned nothing useful: NO-GO."
        ),
        label=label,
        base=shown_base,
    )


def _champion_check(metric: str, value: float, champion: dict[str, Any]) -> dict:
    """``champion``: {name, value} = the current champion's metric on the same holdout rows, or
    {name, error} when it could not be scored on them (other columns): then it is only reported."""
    label = get_metric_label(metric)
    # A champion that cannot be compared does not block the gate, but the check says so ("informational").
    if champion.get("error"):
        return _check(
            "beats_champion",
            True,
            N_("The current champion ({name}) is not compared: {error}."),
            informational=True,
            name=champion["name"],
            error=champion["error"],
        )
    other = float(champion["value"])
    shown = format_metric_value(metric, other)
    if math.isnan(other):
        return _check(
            "beats_champion",
            True,
            N_("The current champion ({name}) has no {label} on these rows; not compared."),
            informational=True,
            name=champion["name"],
            label=label,
        )
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
        template = (
            N_(
                "On the same unseen rows the current champion ({name}) scores {score}, really better than this "
                "model: replacing it would be a step back: NO-GO."
            )
            if has_interval
            else N_(
                "On the same unseen rows the current champion ({name}) scores {score}, better than this model: "
                "replacing it would be a step back: NO-GO."
            )
        )
    elif tied:
        template = N_(
            "On the same unseen rows the current champion ({name}) scores {score}; the two "
            "are practically tied (the 95% interval of the difference includes 0)."
        )
    else:
        template = N_(
            "On the same unseen rows the current champion ({name}) scores {score}; this model is at least as good."
        )
    return _check("beats_champion", passed, template, name=champion["name"], score=shown)


def _latency_check(latency_ms: float, limit_ms: float) -> dict:
    passed = latency_ms <= limit_ms
    template = (
        N_("It answers one request in {took} ms, within the {limit} ms the service allows.")
        if passed
        else N_("It answers one request in {took} ms, over the {limit} ms the service allows: NO-GO.")
    )
    return _check("latency", passed, template, took=f"{latency_ms:.1f}", limit=f"{limit_ms:g}")


def _share(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"


def _fairness_check(fairness: dict[str, Any], limit: float) -> dict:
    """``fairness``: {column, measure (words), gap, low_group, high_group, reliable, and for yes/no
    models the decision_threshold the answers were made at}."""
    gap = float(fairness["gap"])
    shown = f"{gap:.0%}" if fairness.get("relative") else _share(gap)
    limit_shown = f"{limit:.0%}" if fairness.get("relative") else _share(limit)
    passed = gap <= limit
    values = {
        "measure": fairness["measure"],
        "gap": shown,
        "high": fairness["high_group"],
        "low": fairness["low_group"],
        "column": fairness["column"],
        "limit": limit_shown,
    }
    has_threshold = fairness.get("decision_threshold") is not None
    if has_threshold:
        values["cutoff"] = f"{fairness['decision_threshold']:.2f}"
    template = _FAIRNESS_SENTENCES[(has_threshold, passed, bool(fairness.get("reliable", True)))]
    return _check("fairness", passed, template, **values)


def _personal_check(personal: list[dict[str, str]]) -> dict:
    """``personal``: the model's features found to hold personal data, each {column, kind}.

    A raw identifier (email, CPF/CNPJ, card, phone, name) among the features is NO-GO: it points at one
    person, so the model can only memorise it (nothing to generalise), an erasure request cannot take
    it out of the model without retraining, and data-protection law (LGPD, GDPR) asks for the minimum
    data; hashing or dropping it costs nothing the model could use. A date of birth or an address is
    only flagged (informational): derived features (age, region) can matter, so a person decides."""
    identifying = [p["column"] for p in personal if p["kind"] in IDENTIFYING]
    if identifying:
        return _check(
            "personal_data",
            False,
            N_(
                "Trained on raw personal data: {columns}. A model should not learn who a person is; drop, "
                "mask or hash these columns on the Data page: NO-GO."
            ),
            columns=", ".join(identifying),
        )
    if personal:
        return _check(
            "personal_data",
            True,
            N_(
                "It learns from personal data ({columns}); check it needs them (an age band says as much "
                "as a date of birth)."
            ),
            informational=True,
            columns=", ".join(p["column"] for p in personal),
        )
    return _check("personal_data", True, N_("No feature holds raw personal data."))


def check_gate(
    problem: ProblemConfig,
    best: Any,
    baseline: Any | None,
    *,
    champion: dict[str, Any] | None = None,
    latency_ms: float | None = None,
    fairness: dict[str, Any] | None = None,
    personal: list[dict[str, str]] | None = None,
) -> GateResult:
    """Decide GO / NO-GO from the best model's holdout metric (``best.test_metrics``): above the
    threshold, better than the baseline and, when given, at least as good as the current champion on
    the same rows, fast enough (``latency_ms`` per request), with a fairness gap within the limit and,
    when ``personal`` is given (the features holding personal data), no raw personal identifier."""
    metric = problem.metric
    value = float(best.test_metrics.get(metric, float("nan")))
    threshold = float(problem.threshold)
    baseline_value = None
    with english_numerals():  # a check keeps its values as English text, localized where shown (_shown)
        checks = [_threshold_check(metric, value, threshold)]
        if baseline is not None and baseline is not best and metric in baseline.test_metrics:
            baseline_value = float(baseline.test_metrics[metric])
            checks.append(_baseline_check(metric, value, baseline_value))
        if champion is not None:
            checks.append(_champion_check(metric, value, champion))
        if latency_ms is not None and math.isfinite(latency_ms):
            checks.append(_latency_check(latency_ms, float(problem.max_latency_ms)))
        if fairness is not None:
            checks.append(_fairness_check(fairness, float(problem.max_fairness_gap)))
        if personal is not None:
            checks.append(_personal_check(personal))
    return GateResult(
        metric=metric,
        threshold=threshold,
        value=value,
        passed=all(c["passed"] for c in checks),
        baseline_value=baseline_value,
        checks=tuple(checks),
        model=getattr(best, "key", ""),
    )
