"""Problem choices given as command-line flags (``--time-column``, ``--metric``, ``--costs FN,FP``…):
set on top of a spec (a flag overrides the spec), then the whole spec is checked again, so a bad flag
gets the same one line as a bad field."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from core.i18n import _
from core.spec.convert import check_spec
from core.spec.errors import SpecError
from core.spec.io import spec_from_dict, spec_to_dict
from core.spec.models import PipelineSpec


@dataclass(frozen=True)
class ProblemFlags:
    """Every Problem choice a command line can make; None leaves the spec's choice."""

    target: str | None = None
    time_column: str | None = None
    group_column: str | None = None
    metric: str | None = None
    threshold: float | None = None
    positive_class: str | None = None
    costs: tuple[float, float] | None = None  # (missed positive, false alarm)
    sensitive_column: str | None = None
    models: tuple[str, ...] | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


def parse_costs(text: str) -> tuple[float, float]:
    """``"500,50"`` → (500.0, 50.0): a missed positive, then a false alarm."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 2 or not all(math.isfinite(v) and v >= 0 for v in values):
        raise SpecError(
            _(
                "problem.costs: {value} is not two costs; write the cost of a missed positive and of a false alarm "
                "as FN,FP, e.g. 500,50 (numbers ≥ 0)."
            ).format(value=repr(text)),
            "problem.costs",
        )
    return values[0], values[1]


def parse_models(text: str) -> tuple[str, ...]:
    """``"logistic_regression,random_forest"`` → the catalog keys (checked against the task later)."""
    keys = tuple(k.strip() for k in str(text).split(",") if k.strip())
    if not keys:
        raise SpecError(_("training.models: name at least one model family, separated by commas."), "training.models")
    return keys


def apply_flags(spec: PipelineSpec, flags: ProblemFlags) -> PipelineSpec:
    """``spec`` with every flag given set on top, checked again as a whole."""
    if flags.is_empty():
        return spec
    data: dict[str, Any] = spec_to_dict(spec)
    problem = data["problem"]
    for name in ("target", "time_column", "group_column", "metric", "threshold", "positive_class", "sensitive_column"):
        value = getattr(flags, name)
        if value is not None:
            problem[name] = value
    if flags.costs is not None:
        problem["costs"] = {"false_negative": flags.costs[0], "false_positive": flags.costs[1]}
    if flags.models is not None:
        data["training"]["models"] = list(flags.models)
    if flags.time_column is not None and data["training"]["validation"] not in ("auto", "time-split"):
        data["training"]["validation"] = "auto"  # a time column given on the command line asks for a time split
    return spec_from_dict(data, check=check_spec)
