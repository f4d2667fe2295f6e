"""The A/B test's readout: per arm the metric with its interval, the test, the p-value, the minimum
detectable effect and the sample size still needed, a sequential-safe p-value, and the verdict.

The input is one row per labelled answer: the arm that answered (champion = A, challenger = B), the
value of the metric for that answer (1/0 "the answer was right" for a classifier, its absolute error
for a regressor) and the order in which the labels arrived (the looks follow it). Requests are taken as
independent: the simulator draws each request's row independently of its user id.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.deployment import serving
from core.deployment.rollouts import stats
from core.deployment.rollouts.records import record_event
from core.deployment.rollouts.traffic import TrafficRun, answer_values, get_labelled_df
from core.deployment.routing import RoutingConfig
from core.formatting import format_count, format_number, localize_number_text
from core.i18n import _, use_language
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError
from core.workspace.progress import Progress

VERDICTS = ("ship B", "keep A", "keep running")
LOOK_EVERY = 50  # labelled answers between two looks of the sequential test


@dataclass(frozen=True)
class ABDesign:
    """What the test looks for: the metric's kind, whether higher is better, the effect worth finding."""

    kind: str = "proportion"  # proportion (accuracy) | mean (absolute error)
    higher_is_better: bool = True
    mde: float = 0.05  # the difference worth detecting, in the metric's units
    alpha: float = stats.ALPHA
    power: float = stats.POWER
    look_every: int = LOOK_EVERY

    def validate(self) -> ABDesign:
        if self.kind not in ("proportion", "mean"):
            raise ConfigError(
                _("The 'kind' of ABDesign must be 'proportion' or 'mean'; got {kind} instead.").format(
                    kind=repr(self.kind)
                )
            )
        if not (isinstance(self.mde, (int, float)) and self.mde > 0):
            raise ConfigError(
                _("The 'mde' of ABDesign must be a positive number; got {mde} instead.").format(mde=repr(self.mde))
            )
        if not 0 < self.alpha < 0.5 or not 0.5 <= self.power < 1:
            raise ConfigError(_("The 'alpha' of ABDesign must be in (0, 0.5) and its 'power' in [0.5, 1)."))
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ABReadout:
    metric: str
    arms: dict[str, dict[str, Any]]
    test: dict[str, Any]
    mde_now: float
    needed_per_arm: int
    more_needed_per_arm: int
    sequential_p_value: float
    looks: int
    verdict: str
    sentence: str
    design: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _variance(values: np.ndarray, kind: str) -> float:
    if len(values) == 0:
        return math.nan
    if kind == "proportion":
        p = float(values.mean())
        return p * (1 - p)
    return float(values.var(ddof=1)) if len(values) > 1 else math.nan


def sequential_p_value(labelled: pd.DataFrame, design: ABDesign) -> tuple[float, int]:
    """The mSPRT always-valid p-value after looks every ``look_every`` labelled answers (in arrival
    order), and the number of looks. The mixing variance is set once, from the first look's pooled
    variance, so it does not move with the data."""
    arms = labelled["arm"].to_numpy()
    values = labelled["value"].to_numpy(dtype=float)
    diffs, variances = [], []
    tau2 = math.nan
    for end in range(design.look_every, len(labelled) + 1, design.look_every):
        a, b = values[:end][arms[:end] == "champion"], values[:end][arms[:end] == "challenger"]
        if len(a) < 2 or len(b) < 2:
            continue
        var_a, var_b = _variance(a, design.kind), _variance(b, design.kind)
        pooled = _variance(values[:end], design.kind)
        if math.isnan(tau2):
            tau2 = max(pooled, 1e-12) * stats.MIXING_VARIANCE_RATIO
        diffs.append(b.mean() - a.mean())
        variances.append(max(var_a, 1e-12) / len(a) + max(var_b, 1e-12) / len(b))
    if not diffs:
        return 1.0, 0
    return float(stats.always_valid_p_values(np.array(diffs), np.array(variances), tau2)[-1]), len(diffs)


def ab_readout(labelled: pd.DataFrame, design: ABDesign = ABDesign(), metric: str = "accuracy") -> ABReadout:
    """The readout of one A/B test from its labelled answers (columns arm, value; in arrival order)."""
    design.validate()
    a = labelled.loc[labelled["arm"] == "champion", "value"].to_numpy(dtype=float)
    b = labelled.loc[labelled["arm"] == "challenger", "value"].to_numpy(dtype=float)
    if design.kind == "proportion":
        est_a = stats.wilson_interval(int(a.sum()), len(a), design.alpha)
        est_b = stats.wilson_interval(int(b.sum()), len(b), design.alpha)
        test = stats.two_proportion_ztest(int(a.sum()), len(a), int(b.sum()), len(b), design.alpha)
        base = est_a.value if len(a) else 0.5
        needed = stats.sample_size_two_proportions(
            base if not math.isnan(base) else 0.5, design.mde, design.alpha, design.power
        )
    else:
        est_a, est_b = stats.mean_interval(a, design.alpha), stats.mean_interval(b, design.alpha)
        test = stats.welch_ttest(a, b, design.alpha)
        pooled = _variance(np.concatenate([a, b]), "mean")
        needed = stats.sample_size_per_arm(pooled, design.mde, design.alpha, design.power) if pooled == pooled else 0
    var_a, var_b = _variance(a, design.kind), _variance(b, design.kind)
    mde_now = (
        stats.minimum_detectable_effect(var_a, len(a), var_b, len(b), design.alpha, design.power)
        if len(a) > 1 and len(b) > 1
        else math.inf
    )
    seq_p, looks = sequential_p_value(labelled, design)
    more = max(0, needed - min(len(a), len(b)))
    verdict, sentence = _verdict(design, metric, est_a, est_b, test, seq_p, more, needed)
    return ABReadout(
        metric=metric,
        arms={"A (champion)": est_a.to_dict(), "B (challenger)": est_b.to_dict()},
        test=test.to_dict(),
        mde_now=mde_now,
        needed_per_arm=needed,
        more_needed_per_arm=more,
        sequential_p_value=seq_p,
        looks=looks,
        verdict=verdict,
        sentence=sentence,
        design=design.to_dict(),
    )


def _verdict(design, metric, est_a, est_b, test, seq_p, more, needed) -> tuple[str, str]:
    """The verdict code (stored, English) and its sentence in the current language."""
    if est_a.n < 2 or est_b.n < 2:
        return "keep running", _(
            "Too few labelled answers so far ({n_a} for A, {n_b} for B): keep running until labels arrive."
        ).format(n_a=est_a.n, n_b=est_b.n)
    better = (test.difference > 0) == design.higher_is_better
    numbers = _("{metric} A {a}, B {b} (p = {p}, sequential p = {seq_p})").format(
        metric=metric,
        a=localize_number_text(f"{est_a.value:.3f}"),
        b=localize_number_text(f"{est_b.value:.3f}"),
        p=localize_number_text(f"{test.p_value:.3g}"),
        seq_p=localize_number_text(f"{seq_p:.3g}"),
    )
    if seq_p < design.alpha:
        if better:
            return "ship B", _(
                "B is better: {numbers}; the difference holds even though the test was read at every look."
            ).format(numbers=numbers)
        return "keep A", _(
            "B is worse: {numbers}; the difference holds even though the test was read at every look."
        ).format(numbers=numbers)
    if more == 0:
        return "keep A", _(
            "No difference found with the {needed} labelled answers per arm planned to detect {mde}: {numbers}; "
            "B does not earn a switch."
        ).format(needed=format_count(needed), mde=format_number(design.mde), numbers=numbers)
    return "keep running", _(
        "Not decided yet: {numbers}. About {more} more labelled answers per arm are needed to detect a "
        "difference of {mde}."
    ).format(numbers=numbers, more=format_count(more), mde=format_number(design.mde))


def english_sentence(labelled: pd.DataFrame, design: ABDesign, metric: str) -> str:
    """The readout's sentence in English, as the audit log stores it (the page shows the reader's)."""
    with use_language("en"):
        return ab_readout(labelled, design, metric).sentence


def run_ab(
    ws: Workspace,
    project_id: int,
    traffic: TrafficRun,
    champion_id: int,
    challenger_id: int,
    share: float,
    design: ABDesign = ABDesign(),
    *,
    metric: str = "accuracy",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Deploy an A/B test (sticky by user id), send all of ``traffic`` through it, wait for the labels
    still owed, and read it out. Returns {"readout", "deployment_id", "sticky", "requests"}."""
    design.validate()
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1:
        raise ConfigError(
            _(
                "The 'share' of an A/B test must be a number between 0 and 1, both excluded (0.5 sends half "
                "of the users to the challenger): each arm needs users; got {share} instead."
            ).format(share=repr(share))
        )
    deployment = serving.create_deployment(
        ws,
        project_id,
        RoutingConfig("ab", share),
        champion_id,
        challenger_id,
        reason=f"A/B test, {share:.0%} of users to the challenger",
        rollout={"strategy": "ab", "design": design.to_dict(), "state": {"status": "running"}},
    )
    total = traffic.remaining
    answers = traffic.send(
        lambda: deployment,
        total,
        on_batch=(lambda _b: progress(min(1.0, 1 - traffic.remaining / total), _("A/B test: sending requests…")))
        if progress
        else None,
    )
    traffic.deliver_due(all_pending=True)
    labelled = get_labelled_df(ws, [deployment["id"]])
    labelled = labelled.assign(value=answer_values(labelled["prediction"], labelled["label"], design.kind))
    readout = ab_readout(labelled, design, metric)
    arms_per_user = answers.groupby("key")["arm"].nunique()
    sticky = {"users": int(len(arms_per_user)), "users_in_both_arms": int((arms_per_user > 1).sum())}
    record_event(
        ws,
        deployment,
        "ab_readout",
        readout.verdict,
        {
            **readout.to_dict(),
            "sentence": english_sentence(labelled, design, metric),  # the audit log stores English
            "sticky": sticky,
            "requests": len(answers),
        },
        share=share,
        rollout={"strategy": "ab", "design": design.to_dict(), "state": {"status": "read", "verdict": readout.verdict}},
    )
    return {
        "readout": readout,
        "sentence_en": english_sentence(labelled, design, metric),
        "deployment_id": deployment["id"],
        "sticky": sticky,
        "requests": len(answers),
    }
