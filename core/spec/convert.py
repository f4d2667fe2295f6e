"""Each spec section to the studio's own config object, and the check of a spec by those objects' own
rules (one home per concept: the spec does not repeat them). A rule broken becomes one ``SpecError`` line
that names the field: ``problem.metric: The metric 'r2' does not apply to a binary task; …``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from core.data.cleaning import CleaningRecipe
from core.data.reader.options import ReadOptions
from core.deployment.rollouts import guardrails as gr
from core.deployment.rollouts.canary import CanaryPlan
from core.deployment.routing import RoutingConfig
from core.features.preprocessing import FeatureConfig, suggest_features
from core.i18n import _
from core.monitoring.autopilot import AutopilotPolicy
from core.monitoring.rules import AlertRule, validate_rules
from core.monitoring.simulation import TrafficConfig
from core.problem.definition import DEFAULT_GATES, ProblemConfig, suggest_problem
from core.problem.definition import _validate_config_values as check_problem_values
from core.spec.errors import SpecError
from core.spec.models import SAMPLE_NAMES, SAMPLE_PREFIX, PipelineSpec
from core.training.catalog import get_model_spec
from core.training.config import TrainConfig, validate_train_config
from core.training.tuning import Dimension, TuneConfig
from core.workspace.errors import ConfigError, DataError

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"
#: The spec's deployment strategy "direct" is the routing's "single" (the champion answers everything).
_ROUTING_STRATEGY = {"direct": "single"}


@contextmanager
def at(path: str) -> Iterator[None]:
    """A ``ConfigError`` raised inside becomes a ``SpecError`` naming ``path``."""
    try:
        yield
    except SpecError:
        raise
    except (ConfigError, DataError) as exc:
        raise SpecError(f"{path}: {exc}", path) from None
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{path}: {exc}", path) from None


# -- Sections to config objects --------------------------------------------------------------------------
def read_options(spec: PipelineSpec) -> ReadOptions:
    d = spec.data
    with at("data"):
        return ReadOptions(
            delimiter=d.delimiter,
            encoding=d.encoding,
            decimal=d.decimal,
            sheet=d.sheet,
            header_row=d.header_row,
            thousands=d.thousands,
        )


def sample_path(source: str) -> Path | None:
    """``sample:telco_churn`` → the bundled file; None for a plain path."""
    if not source.startswith(SAMPLE_PREFIX):
        return None
    name = source[len(SAMPLE_PREFIX) :].removesuffix(".csv")
    if name not in SAMPLE_NAMES:
        raise SpecError(
            _("data.source: {value} is not one of {allowed}.").format(
                value=repr(source), allowed=", ".join(SAMPLE_PREFIX + n for n in SAMPLE_NAMES)
            ),
            "data.source",
        )
    return SAMPLE_DIR / f"{name}.csv"


def cleaning_recipe(spec: PipelineSpec) -> CleaningRecipe | None:
    """None: the studio's suggested cleaning."""
    if spec.cleaning.recipe is None:
        return None
    with at("cleaning.recipe"):
        return CleaningRecipe.from_dict({"steps": spec.cleaning.recipe})


def problem_config(spec: PipelineSpec, df: pd.DataFrame, target: str | None = None) -> ProblemConfig:
    """The problem on this table: the studio's suggestion for the target (as the Problem page starts),
    with every choice the spec makes set on top."""
    p = spec.problem
    target = target or p.target
    if not target:
        raise SpecError(_("problem.target: is required (or give --target)."), "problem.target")
    with at("problem.target"):
        base = suggest_problem(df, target)
    task = p.task or base.task
    if task != base.task:
        metric, threshold = DEFAULT_GATES[task]
        base = replace(base, task=task, metric=metric, threshold=threshold)
        if task != "binary":
            base = replace(base, positive_class=None)
    return _apply_problem(spec, base)


def _apply_problem(spec: PipelineSpec, base: ProblemConfig) -> ProblemConfig:
    p = spec.problem
    steps: list[tuple[str, dict[str, Any]]] = [
        ("problem.metric", {"metric": p.metric} if p.metric else {}),
        ("problem.threshold", {"threshold": p.threshold} if p.threshold is not None else {}),
        ("problem.positive_class", {"positive_class": p.positive_class} if p.positive_class is not None else {}),
        ("problem.time_column", {"time_column": p.time_column}),
        ("problem.group_column", {"group_column": p.group_column}),
        (
            "problem.costs",
            {"cost_false_negative": p.costs.false_negative, "cost_false_positive": p.costs.false_positive}
            if p.costs is not None
            else {"cost_false_negative": None, "cost_false_positive": None},
        ),
        ("problem.sensitive_column", {"sensitive_column": p.sensitive_column}),
        ("gate.max_fairness_gap", {"max_fairness_gap": spec.gate.max_fairness_gap}),
        ("problem.max_latency_ms", {"max_latency_ms": p.max_latency_ms}),
    ]
    problem = base
    for path, changes in steps:  # one field at a time, so the first rule broken names its field
        problem = replace(problem, **changes)
        with at(path):
            check_problem_values(problem)
    if problem.task != "binary" and p.costs is not None:
        raise SpecError(
            _("problem.costs: only apply to a yes/no (binary) problem; this one is {task}.").format(task=problem.task),
            "problem.costs",
        )
    return problem


def feature_config(spec: PipelineSpec, df: pd.DataFrame, problem: ProblemConfig) -> FeatureConfig:
    f = spec.features
    if f is None:
        return suggest_features(df, problem)
    return FeatureConfig(
        numeric_scaling=f.numeric_scaling,
        one_hot=f.one_hot,
        max_categories=f.max_categories,
        date_parts=f.date_parts,
        log_columns=tuple(f.log_columns),
        drop_columns=tuple(f.drop_columns),
    )


def train_config(spec: PipelineSpec, models: tuple[str, ...] | None = None) -> TrainConfig:
    t = spec.training
    return TrainConfig(
        models=tuple(models if models is not None else t.models),
        cv_folds=t.cv_folds,
        test_size=t.test_size,
        seed=t.seed,
        validation=t.validation,
        class_weight=t.class_weight,
    )


def tune_config(spec: PipelineSpec, best_model: str) -> TuneConfig | None:
    t = spec.tuning
    if t.method == "none":
        return None
    with at("tuning.space"):
        space = tuple(Dimension.from_dict(d) for d in t.space)
    return TuneConfig(
        model=t.model or best_model, method=t.method, space=space, max_trials=t.budget, max_seconds=t.max_seconds
    )


def routing_config(spec: PipelineSpec) -> RoutingConfig:
    d = spec.deployment
    with at("deployment"):
        return RoutingConfig(
            strategy=_ROUTING_STRATEGY.get(d.strategy, d.strategy),
            challenger_share=d.challenger_share,
            active_color=d.active_color,
        ).validate()


def canary_plan(spec: PipelineSpec) -> CanaryPlan:
    d = spec.deployment
    with at("deployment.canary_steps"):
        return CanaryPlan(
            steps=tuple(float(s) for s in d.canary_steps),
            min_challenger_requests=d.min_challenger_requests,
            guardrails=gr.Guardrails(**d.guardrails.model_dump()),
        ).validate()


def traffic_config(spec: PipelineSpec) -> TrafficConfig:
    m = spec.monitoring
    with at("monitoring"):
        return TrafficConfig(
            scenario=m.scenario,
            windows=m.windows,
            rows_per_window=m.rows_per_window,
            drift_start=m.drift_start,
            seed=spec.training.seed,
            label_delay=m.label_delay,
            label_share=m.label_share,
        ).validate()


def alert_rules(spec: PipelineSpec) -> list[AlertRule] | None:
    """None: the default rules for the problem."""
    rules = spec.monitoring.alert_rules
    if rules is None:
        return None
    parsed = []
    for i, rule in enumerate(rules):
        with at(f"monitoring.alert_rules[{i}]"):
            parsed.append(AlertRule.from_dict(rule).validate())
    with at("monitoring.alert_rules"):
        if not parsed:
            raise ConfigError(
                _("keep at least one rule (switch rules off instead), or leave it empty for the defaults.")
            )
        return validate_rules(parsed)


def autopilot_policy(spec: PipelineSpec) -> AutopilotPolicy:
    m, r = spec.monitoring, spec.monitoring.retraining
    try:
        return AutopilotPolicy(
            trigger=r.trigger,
            every_windows=r.every_windows,
            release=r.release,
            steps=tuple(float(s) for s in spec.deployment.canary_steps),
            scenario=m.scenario if m.scenario != "none" else "concept",
            rounds=r.rounds,
            windows=m.windows,
            rows_per_window=m.rows_per_window,
            drift_start=m.drift_start,
            seed=spec.training.seed,
        ).validate()
    except ConfigError as exc:
        path = _policy_path(str(exc))
        raise SpecError(f"{path}: {exc}", path) from None


def _policy_path(message: str) -> str:
    """Where a policy's field lives in the spec: the traffic's fields in monitoring, the rest in retraining."""
    match = re.search(r"The '(\w+)' of AutopilotPolicy", message)
    field = match.group(1) if match else ""
    if field in ("windows", "rows_per_window", "drift_start", "scenario"):
        return f"monitoring.{field}"
    if field == "steps":
        return "deployment.canary_steps"
    return f"monitoring.retraining.{field}" if field else "monitoring.retraining"


# -- The check of a whole spec (without its data) -----------------------------------------------------------
def check_spec(spec: PipelineSpec) -> PipelineSpec:
    """Every rule that can be checked without the table: reading options, the sample's name, the recipe's
    steps, the problem's values for a stated task, the training settings, the search space, the
    deployment, the traffic, the alert rules and the retraining policy. Returns the spec."""
    read_options(spec)
    if isinstance(spec.data.source, str) and spec.data.source:
        sample_path(spec.data.source)
    cleaning_recipe(spec)
    task = spec.problem.task or _task_of_metric(spec.problem.metric)
    problem = None
    if task is not None:
        metric, threshold = DEFAULT_GATES[task]
        base = ProblemConfig(target=spec.problem.target or "target", task=task, metric=metric, threshold=threshold)
        problem = _apply_problem(spec, base)
    _check_training(spec, problem)
    _check_tuning(spec, problem)
    routing_config(spec)
    canary_plan(spec)
    traffic_config(spec)
    alert_rules(spec)
    autopilot_policy(spec)
    return spec


def check_against(spec: PipelineSpec, df: pd.DataFrame, target: str) -> ProblemConfig:
    """The rules that need the table (the task follows from the target's values), checked before a
    project is made: the problem's values, the training settings and the family to tune. Returns the
    problem as it would be on this (uncleaned) table."""
    problem = problem_config(spec, df, target)
    _check_training(spec, problem)
    _check_tuning(spec, problem)
    return problem


def _task_of_metric(metric: str | None) -> str | None:
    return "regression" if metric in ("r2", "rmse", "mae") else None


def _check_training(spec: PipelineSpec, problem: ProblemConfig | None) -> None:
    config = train_config(spec)
    if problem is None:
        if config.validation == "time-split" and not spec.problem.time_column:
            raise SpecError(
                _("training.validation: a time split needs problem.time_column; name the date column."),
                "training.validation",
            )
        return
    with at("training"):
        validate_train_config(replace(config, models=()), problem)
    for i, key in enumerate(config.models):
        with at(f"training.models[{i}]"):
            get_model_spec(problem.task, key)


def _check_tuning(spec: PipelineSpec, problem: ProblemConfig | None) -> None:
    t = spec.tuning
    for i, raw in enumerate(t.space):
        with at(f"tuning.space[{i}]"):
            Dimension.from_dict(raw).validate()
    if t.model and problem is not None:
        with at("tuning.model"):
            get_model_spec(problem.task, t.model)
