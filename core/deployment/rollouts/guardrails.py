"""A canary step's guardrails: pure checks of the challenger against the champion, each returning
whether it holds, the numbers, and a sentence saying why.

- error rate: the challenger's share of requests it could not answer, against the champion's;
- p95 latency: single-row answers timed for both versions on the same requests;
- score distribution: PSI of the challenger's scores against the champion's (0.25 = major shift), counted
  only when a KS test also tells them apart;
- metric on labelled requests, once enough labels have arrived: the challenger must not be
  significantly worse (one-sided test at ``metric_alpha``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.deployment.rollouts import stats
from core.workspace.errors import ConfigError

GUARDRAILS = ("error rate", "p95 latency", "score distribution", "metric on labelled requests")


@dataclass(frozen=True)
class Guardrails:
    max_error_rate_increase: float = 0.02  # challenger error rate may exceed the champion's by this much
    max_latency_ratio: float = 3.0  # p95 latency may be this many times the champion's…
    latency_slack_ms: float = 20.0  # …or this many ms more, whichever is larger (timing noise)
    max_score_psi: float = 0.25  # PSI of the challenger's scores against the champion's…
    score_alpha: float = 0.05  # …counted only when a KS test also tells them apart (few requests: PSI is noise)
    metric_alpha: float = 0.05  # one-sided: the challenger is worse on labelled requests
    min_labelled_per_arm: int = 30  # the metric is judged only once this many labels per arm arrived

    def validate(self) -> Guardrails:
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"The guardrail '{name}' must be a number of 0 or more; got {value!r} instead.")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(name: str, holds: bool, sentence: str, **numbers: Any) -> dict[str, Any]:
    return {"guardrail": name, "holds": bool(holds), "sentence": sentence, **numbers}


def check_error_rate(errors_champion: int, n_champion: int, errors_challenger: int, n_challenger: int, g: Guardrails):
    rate_a = errors_champion / n_champion if n_champion else 0.0
    rate_b = errors_challenger / n_challenger if n_challenger else 0.0
    holds = rate_b <= rate_a + g.max_error_rate_increase
    return _check(
        "error rate",
        holds,
        f"The challenger failed {rate_b:.1%} of its {n_challenger:,} requests against the champion's {rate_a:.1%}"
        + ("." if holds else f", more than the {g.max_error_rate_increase:.1%} allowed on top."),
        champion=rate_a,
        challenger=rate_b,
    )


def check_latency(latency_champion_ms: np.ndarray, latency_challenger_ms: np.ndarray, g: Guardrails):
    p95_a = float(np.percentile(latency_champion_ms, 95)) if len(latency_champion_ms) else math.nan
    p95_b = float(np.percentile(latency_challenger_ms, 95)) if len(latency_challenger_ms) else math.nan
    limit = max(p95_a * g.max_latency_ratio, p95_a + g.latency_slack_ms)
    holds = not p95_b > limit
    return _check(
        "p95 latency",
        holds,
        f"The challenger's p95 latency is {p95_b:.1f} ms against the champion's {p95_a:.1f} ms"
        + ("." if holds else f", above the {limit:.1f} ms allowed."),
        champion=p95_a,
        challenger=p95_b,
        limit=limit,
    )


def check_score_distribution(scores_champion: np.ndarray, scores_challenger: np.ndarray, g: Guardrails):
    value = stats.psi(scores_champion, scores_challenger)
    ks = (
        stats.stats.ks_2samp(scores_champion, scores_challenger)
        if len(scores_champion) and len(scores_challenger)
        else None
    )
    p_value = float(ks.pvalue) if ks is not None else math.nan
    shifted = value > g.max_score_psi
    # On a few dozen requests PSI's near-empty bins alone reach several units: a shift counts only when
    # the KS test also tells the two score distributions apart (as monitoring's drift distances do).
    holds = not (shifted and p_value < g.score_alpha)
    n = len(scores_challenger)
    if shifted and holds:
        sentence = (
            f"The challenger's scores differ from the champion's by a PSI of {value:.2f} on {n:,} requests, but a "
            f"KS test cannot tell them apart yet (p = {p_value:.2f}): too few requests to call it a shift."
        )
    else:
        sentence = (
            f"The challenger's scores differ from the champion's by a PSI of {value:.2f} on {n:,} requests"
            + (" (below the " if holds else " (above the ")
            + f"{g.max_score_psi:.2f} that marks a major shift"
            + ("" if holds else f"; KS p = {p_value:.2g}")
            + ")."
        )
    return _check(
        "score distribution",
        holds,
        sentence,
        psi=value,
        ks_statistic=float(ks.statistic) if ks is not None else math.nan,
        ks_p_value=float(ks.pvalue) if ks is not None else math.nan,
    )


def check_metric(
    values_champion: np.ndarray, values_challenger: np.ndarray, kind: str, higher_is_better: bool, g: Guardrails
):
    """Holds until enough labels arrived; then fails only when the challenger is significantly worse."""
    n_a, n_b = len(values_champion), len(values_challenger)
    if min(n_a, n_b) < g.min_labelled_per_arm:
        return _check(
            "metric on labelled requests",
            True,
            f"Waiting for labels: {n_a} champion and {n_b} challenger answers labelled so far "
            f"({g.min_labelled_per_arm} per version needed to judge).",
            champion=float(np.mean(values_champion)) if n_a else math.nan,
            challenger=float(np.mean(values_challenger)) if n_b else math.nan,
            judged=False,
        )
    if kind == "proportion":
        test = stats.two_proportion_ztest(int(values_champion.sum()), n_a, int(values_challenger.sum()), n_b)
    else:
        test = stats.welch_ttest(values_champion, values_challenger)
    worse = (test.difference < 0) == higher_is_better and test.difference != 0
    one_sided = test.p_value / 2 if worse else 1 - test.p_value / 2
    holds = not (worse and one_sided < g.metric_alpha)
    name = "accuracy" if kind == "proportion" else "mean absolute error"
    a, b = float(np.mean(values_champion)), float(np.mean(values_challenger))
    return _check(
        "metric on labelled requests",
        holds,
        f"On {n_a + n_b:,} labelled requests the challenger's {name} is {b:.3f} against the champion's {a:.3f} "
        + (
            f"(significantly worse, one-sided p = {one_sided:.3g})."
            if not holds
            else f"(one-sided p = {one_sided:.3g})."
        ),
        champion=a,
        challenger=b,
        p_value=one_sided,
        test=test.test,
        judged=True,
    )
