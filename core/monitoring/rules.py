"""Alert rules as data: which signal a rule watches, the comparison and threshold that make it fire,
which windows it looks at, how severe it is, how long it stays quiet after firing, and whether it is a
reason to retrain. The defaults, chosen per problem, give the alerts monitoring always gave; a project
keeps its own edited copy (``core.monitoring.rule_store``). Evaluation lives in ``alerts``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from core.formatting import format_significant
from core.i18n import N_, _, ngettext
from core.monitoring.drift import DriftConfig
from core.monitoring.windows import LOWER_IS_BETTER, metric_name
from core.workspace.errors import ConfigError

SEVERITIES = ("warning", "critical")
#: How a severity code reads (translated where shown: ``_(SEVERITY_LABELS[code])``).
SEVERITY_LABELS = {"warning": N_("warning"), "critical": N_("critical")}
COMPARISONS = {
    ">=": N_("at least"),
    ">": N_("above"),
    "<=": N_("at most"),
    "<": N_("below"),
    "fails": N_("fails its check"),
}
# The chart an alert of each signal points at: the key Monitor draws it under.
DRIFT_CHART, PERFORMANCE_CHART, SYSTEM_CHART = "drift_heatmap", "performance", "system_health"
# A value never seen in training in at least this share of a window's rows: the model never learned it.
NEW_VALUES_SHARE = 0.05


@dataclass(frozen=True)
class Signal:
    """What a rule can watch: its plain name, the alert kind it raises, the chart that shows it, the
    comparisons that make sense for it, and whether it is measured per feature (then a rule may ask for
    at least N features) or from the per-window system table (evaluated only when that table exists)."""

    key: str
    label: str
    kind: str
    chart: str
    comparisons: tuple[str, ...]
    per_feature: bool = False
    system: bool = False


SIGNALS: dict[str, Signal] = {
    s.key: s
    for s in (
        Signal("psi", N_("data drift: PSI of a feature"), "data_drift", DRIFT_CHART, (">=", ">", "fails"), True),
        Signal("drift_pvalue", N_("data drift: a feature's drift test p-value"), "data_drift", DRIFT_CHART, ("<", "<="), True),
        Signal("new_share", N_("share of rows with a value never seen in training"), "new_values", DRIFT_CHART, (">=", ">"), True),
        Signal("prediction_psi", N_("prediction drift: PSI of the model's scores"), "prediction_drift", "prediction_drift", (">=", ">")),
        Signal("business_bar", N_("performance against the business bar"), "performance", PERFORMANCE_CHART, ("fails",)),
        Signal("decay", N_("performance decay against the control limits"), "performance_decay", PERFORMANCE_CHART, ("fails",)),
        Signal("estimated_decay", N_("estimated performance decay before labels (CBPE)"), "estimated_decay", PERFORMANCE_CHART, ("fails",)),
        Signal("multivariate", N_("multivariate drift: domain classifier AUC"), "multivariate_drift", "domain_drift", ("fails", ">=", ">")),
        Signal("latency_p95_ms", N_("latency p95 (ms)"), "latency", SYSTEM_CHART, (">=", ">"), system=True),
        Signal("error_rate", N_("error rate"), "error_rate", SYSTEM_CHART, (">=", ">"), system=True),
        Signal("rejection_rate", N_("rejection rate"), "rejection_rate", SYSTEM_CHART, (">=", ">"), system=True),
    )
}  # fmt: skip


@dataclass(frozen=True)
class AlertRule:
    """One rule. ``comparison`` "fails" uses the signal's own check (a feature's drift verdict, the
    business bar, the control limits, the domain classifier's test) and takes no threshold.
    ``min_features``: per-feature signals fire when at least this many features meet the comparison.
    ``last_windows``: None looks at every window, N only at the report's last N. ``cooldown``: after
    firing, the rule stays quiet for this many windows unless a more severe rule on the same signal
    fires. ``retrain_reason``: a firing in the latest window is a reason to retrain."""

    id: str
    name: str
    signal: str
    comparison: str
    threshold: float | None = None
    severity: str = "warning"
    min_features: int = 1
    last_windows: int | None = None
    cooldown: int = 0
    enabled: bool = True
    retrain_reason: bool = False

    def validate(self) -> AlertRule:
        where = f"alert rule '{self.id}'"
        if not isinstance(self.id, str) or not re.fullmatch(r"[a-z0-9_]{1,40}", self.id):
            raise ConfigError(
                f"The 'id' of an alert rule must be 1–40 lower-case letters, digits or underscores; got {self.id!r} instead."
            )
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > 120:
            raise ConfigError(
                _("The 'name' of alert rule '{rule}' must be 1–120 characters of text; got {got} instead.").format(
                    rule=self.id, got=repr(self.name)
                )
            )
        signal = SIGNALS.get(self.signal)
        if signal is None:
            raise ConfigError(
                f"The 'signal' of {where} must be one of {', '.join(SIGNALS)}; got {self.signal!r} instead."
            )
        if self.comparison not in signal.comparisons:
            raise ConfigError(
                f"The 'comparison' of {where} must be one of {', '.join(signal.comparisons)} for the signal "
                f"'{self.signal}'; got {self.comparison!r} instead."
            )
        if self.comparison == "fails":
            if self.threshold is not None:
                raise ConfigError(
                    f"The 'threshold' of {where} must be empty: 'fails' uses the signal's own check; "
                    f"got {self.threshold!r} instead."
                )
        elif not _is_number(self.threshold) or self.threshold < 0:  # type: ignore[operator]
            raise ConfigError(
                f"The 'threshold' of {where} must be a number of at least 0; got {self.threshold!r} instead."
            )
        elif self.signal in {"drift_pvalue", "error_rate", "rejection_rate", "new_share"} and self.threshold > 1:  # type: ignore[operator]
            raise ConfigError(
                _(
                    "The 'threshold' of alert rule '{rule}' is a share or a p-value, so it must be between 0 and 1; "
                    "got {got} instead."
                ).format(rule=self.id, got=repr(self.threshold))
            )
        if self.severity not in SEVERITIES:
            raise ConfigError(f"The 'severity' of {where} must be warning or critical; got {self.severity!r} instead.")
        for name, low in (("min_features", 1), ("cooldown", 0)):
            value = getattr(self, name)
            if not _is_whole(value) or value < low or value > 1000:
                raise ConfigError(
                    f"The '{name}' of {where} must be a whole number from {low} to 1000; got {value!r} instead."
                )
        if self.min_features > 1 and not signal.per_feature:
            raise ConfigError(
                f"The 'min_features' of {where} must be 1: the signal '{self.signal}' is not measured per feature; "
                f"got {self.min_features!r} instead."
            )
        if self.last_windows is not None and (not _is_whole(self.last_windows) or not 1 <= self.last_windows <= 1000):
            raise ConfigError(
                f"The 'last_windows' of {where} must be empty (every window) or a whole number from 1 to 1000; "
                f"got {self.last_windows!r} instead."
            )
        for name in ("enabled", "retrain_reason"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(
                    f"The '{name}' of {where} must be true or false; got {getattr(self, name)!r} instead."
                )
        return self

    @property
    def kind(self) -> str:
        return SIGNALS[self.signal].kind

    @property
    def chart(self) -> str:
        return SIGNALS[self.signal].chart

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertRule:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"An alert rule has unknown fields {unknown}; the fields are {', '.join(cls.__dataclass_fields__)}."
            )
        missing = [f for f in ("id", "name", "signal", "comparison") if f not in data]
        if missing:
            raise ConfigError(
                f"An alert rule is missing {missing}; every rule needs an id, name, signal and comparison."
            )
        threshold = data.get("threshold")
        values = {
            **data,
            "threshold": float(threshold)
            if isinstance(threshold, (int, float)) and _is_number(threshold)
            else threshold,
        }
        return cls(**values).validate()

    def describe(self) -> str:
        """One plain sentence: 'Critical when at least 2 features have a PSI of at least 0.25, in every
        window; quiet for 0 windows after it fires.'"""
        signal = SIGNALS[self.signal]
        label = _(signal.label)
        if self.comparison == "fails":
            condition = _("{signal} fails its check").format(signal=label)
        else:
            condition = _("{signal} is {comparison} {value}").format(
                signal=label,
                comparison=_(COMPARISONS[self.comparison]),
                value=format_significant(self.threshold or 0.0, 6, grouping=False),
            )
        if signal.per_feature:
            condition = ngettext(
                "{condition} in at least {n} feature", "{condition} in at least {n} features", self.min_features
            ).format(condition=condition, n=self.min_features)
        if self.last_windows is None:
            scope = _("in every window")
        else:
            scope = ngettext("in the last window", "in the last {n} windows", self.last_windows).format(
                n=self.last_windows
            )
        quiet = (
            ngettext(
                "; then quiet for {n} window unless it gets more severe",
                "; then quiet for {n} windows unless it gets more severe",
                self.cooldown,
            ).format(n=self.cooldown)
            if self.cooldown
            else ""
        )
        state = _(" (switched off)") if not self.enabled else ""
        return _("{severity} when {condition}, {scope}{quiet}{state}.").format(
            severity=_(SEVERITY_LABELS[self.severity]).capitalize(),
            condition=condition,
            scope=scope,
            quiet=quiet,
            state=state,
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_rules(rules: list[AlertRule]) -> list[AlertRule]:
    """Each rule valid and every id used once."""
    seen: set[str] = set()
    for rule in rules:
        rule.validate()
        if rule.id in seen:
            raise ConfigError(f"Two alert rules have the id '{rule.id}'; give each rule its own id.")
        seen.add(rule.id)
    return rules


def new_rule_id(name: str, taken: set[str]) -> str:
    """An id made from a rule's name ('Latency p95 > 800 ms' -> 'latency_p95_800_ms'), unique among ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:34] or "rule"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def get_default_rules(
    task: str, metric: str, *, labels_delayed: bool = False, config: DriftConfig | None = None
) -> list[AlertRule]:
    """The rules monitoring starts with, per problem: they give exactly the alerts monitoring gave before
    rules were data (data drift warning from one drifted feature, critical from two with a major PSI;
    values never seen in training in 5% of a window's rows; prediction drift; the business bar; decay
    against the control limits), plus the signals that did not exist then: the estimate before labels
    (switched on when labels arrive late; a task the estimate declines has no estimate to alert on), the
    multivariate check (off: it is a hint, not yet an alert) and the system's latency, errors and
    rejections (evaluated only when the report carries the system table). ``task``: binary, multiclass,
    classification or regression."""
    drift = config or DriftConfig()
    name = metric_name(metric)
    bar_name = (
        _("{metric} above the most the business allows")
        if metric in LOWER_IS_BETTER
        else _("{metric} below the business bar")
    ).format(metric=name)
    rules = [
        AlertRule("data_drift", _("A feature drifted"), "psi", "fails", severity="warning"),
        AlertRule(
            "data_drift_major",
            _("Two features drifted strongly (PSI ≥ {psi})").format(
                psi=format_significant(drift.psi_threshold, 6, grouping=False)
            ),
            "psi",
            ">=",
            float(drift.psi_threshold),
            severity="critical",
            min_features=2,
            retrain_reason=True,
        ),
        AlertRule(
            "new_values",
            _("Values never seen in training"),
            "new_share",
            ">=",
            NEW_VALUES_SHARE,
            severity="critical",
            retrain_reason=True,
        ),
        AlertRule(
            "prediction_drift",
            _("The model's scores shifted"),
            "prediction_psi",
            ">=",
            float(drift.psi_threshold),
            severity="warning",
        ),
        AlertRule("business_bar", bar_name, "business_bar", "fails", severity="critical", retrain_reason=True),
        AlertRule(
            "decay",
            _("{metric} decayed against the model's own holdout").format(metric=name),
            "decay",
            "fails",
            severity="critical",
            retrain_reason=True,
        ),
    ]
    rules += [
        AlertRule(
            "estimated_decay",
            _("{metric} estimated to decay before labels arrive").format(metric=name),
            "estimated_decay",
            "fails",
            severity="warning",
            enabled=labels_delayed,
        ),
        AlertRule("multivariate_drift", _("The inputs drifted together"), "multivariate", "fails", enabled=False),
        AlertRule(
            "latency_p95",
            _("Slow answers (latency p95)"),
            "latency_p95_ms",
            ">=",
            500.0,
            severity="warning",
            cooldown=2,
        ),
        AlertRule("error_rate", _("Rows that got an error"), "error_rate", ">=", 0.01, severity="critical", cooldown=2),
        AlertRule(
            "rejection_rate",
            _("Rows the endpoint refused"),
            "rejection_rate",
            ">=",
            0.05,
            severity="warning",
            cooldown=2,
        ),
    ]
    return validate_rules(rules)


def with_changes(rule: AlertRule, **changes: Any) -> AlertRule:
    """A copy of ``rule`` with ``changes``, validated."""
    return replace(rule, **changes).validate()
