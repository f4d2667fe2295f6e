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
from core.formatting import localize_number_text
from core.i18n import N_, _, use_language
from core.workspace.errors import ConfigError

GUARDRAILS = ("error rate", "p95 latency", "score distribution", "metric on labelled requests")
#: The guardrails' names in the session's language (the stored code stays English).
GUARDRAIL_NAMES = {
    "error rate": N_("error rate"),
    "p95 latency": N_("p95 latency"),
    "score distribution": N_("score distribution"),
    "metric on labelled requests": N_("metric on labelled requests"),
}


def guardrail_name(code: str) -> str:
    return _(GUARDRAIL_NAMES[code]) if code in GUARDRAIL_NAMES else code


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
                raise ConfigError(
                    _("The guardrail '{name}' must be a number of 0 or more; got {value} instead.").format(
                        name=name, value=repr(value)
                    )
                )
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(name: str, holds: bool, **numbers: Any) -> dict[str, Any]:
    """A check with its numbers and its sentence in English (it is stored in the audit log);
    ``describe_check`` says it again in the reader's language from the same numbers."""
    check = {"guardrail": name, "holds": bool(holds), **numbers}
    with use_language("en"):
        check["sentence"] = describe_check(check)
    return check


def _n(text: str) -> str:
    return localize_number_text(text)


def describe_check(check: dict[str, Any]) -> str:
    """A guardrail check's sentence in the current language, from the values it stores (a check
    recorded before those values were kept is said as it was stored)."""
    name, holds, say = check.get("guardrail"), bool(check.get("holds")), check.get("say")
    if not isinstance(say, dict):
        return str(check.get("sentence", ""))
    if name == "error rate":
        text = (
            _("The challenger failed {rate_b} of its {n} requests against the champion's {rate_a}.")
            if holds
            else _(
                "The challenger failed {rate_b} of its {n} requests against the champion's {rate_a}, "
                "more than the {allowed} allowed on top."
            )
        )
        return text.format(
            rate_b=_n(f"{check['challenger']:.1%}"),
            n=_n(f"{say['n']:,}"),
            rate_a=_n(f"{check['champion']:.1%}"),
            allowed=_n(f"{say['allowed']:.1%}"),
        )
    if name == "p95 latency":
        text = (
            _("The challenger's p95 latency is {b} ms against the champion's {a} ms.")
            if holds
            else _(
                "The challenger's p95 latency is {b} ms against the champion's {a} ms, above the {limit} ms allowed."
            )
        )
        return text.format(
            b=_n(f"{check['challenger']:.1f}"), a=_n(f"{check['champion']:.1f}"), limit=_n(f"{check['limit']:.1f}")
        )
    if name == "score distribution":
        values = {
            "psi": _n(f"{check['psi']:.2f}"),
            "n": _n(f"{say['n']:,}"),
            "max_psi": _n(f"{say['max_psi']:.2f}"),
            "p": _n(f"{check['ks_p_value']:.2f}"),
            "p_short": _n(f"{check['ks_p_value']:.2g}"),
        }
        if say.get("shifted") and holds:
            text = _(
                "The challenger's scores differ from the champion's by a PSI of {psi} on {n} requests, but a "
                "KS test cannot tell them apart yet (p = {p}): too few requests to call it a shift."
            )
        elif holds:
            text = _(
                "The challenger's scores differ from the champion's by a PSI of {psi} on {n} requests "
                "(below the {max_psi} that marks a major shift)."
            )
        else:
            text = _(
                "The challenger's scores differ from the champion's by a PSI of {psi} on {n} requests "
                "(above the {max_psi} that marks a major shift; KS p = {p_short})."
            )
        return text.format(**values)
    if name == "metric on labelled requests":
        if not check.get("judged"):
            return _(
                "Waiting for labels: {n_a} champion and {n_b} challenger answers labelled so far "
                "({needed} per version needed to judge)."
            ).format(n_a=say["n_a"], n_b=say["n_b"], needed=say["needed"])
        metric = _("accuracy") if say.get("kind") == "proportion" else _("mean absolute error")
        text = (
            _(
                "On {n} labelled requests the challenger's {metric} is {b} against the champion's {a} "
                "(one-sided p = {p})."
            )
            if holds
            else _(
                "On {n} labelled requests the challenger's {metric} is {b} against the champion's {a} "
                "(significantly worse, one-sided p = {p})."
            )
        )
        return text.format(
            n=_n(f"{say['n_a'] + say['n_b']:,}"),
            metric=metric,
            b=_n(f"{check['challenger']:.3f}"),
            a=_n(f"{check['champion']:.3f}"),
            p=_n(f"{check['p_value']:.3g}"),
        )
    return str(check.get("sentence", ""))


def check_error_rate(errors_champion: int, n_champion: int, errors_challenger: int, n_challenger: int, g: Guardrails):
    rate_a = errors_champion / n_champion if n_champion else 0.0
    rate_b = errors_challenger / n_challenger if n_challenger else 0.0
    holds = rate_b <= rate_a + g.max_error_rate_increase
    return _check(
        "error rate",
        holds,
        say={"n": n_challenger, "allowed": g.max_error_rate_increase},
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
        say={},
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
    return _check(
        "score distribution",
        holds,
        say={"n": n, "max_psi": g.max_score_psi, "shifted": bool(shifted)},
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
            say={"n_a": n_a, "n_b": n_b, "needed": g.min_labelled_per_arm},
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
    a, b = float(np.mean(values_champion)), float(np.mean(values_challenger))
    return _check(
        "metric on labelled requests",
        holds,
        say={"n_a": n_a, "n_b": n_b, "kind": kind},
        champion=a,
        challenger=b,
        p_value=one_sided,
        test=test.test,
        judged=True,
    )
