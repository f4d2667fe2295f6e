"""The pipeline spec: one versioned, documented object holding everything a project chose, from how
its data is read to how its model is deployed and monitored (issue 14).

The models only store values and check their types and ranges (pydantic). The rules that need more
than one field stay where they live already (``validate_problem``, ``validate_train_config``,
``RoutingConfig.validate``, ``CanaryPlan.validate``, ``AlertRule.validate``, ``AutopilotPolicy.validate``):
``core.spec.convert`` turns each section into its config object and runs that object's own check, so
each concept has one home. ``None`` in a choice means "what the studio would suggest", as the UI does
before one changes anything.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from core.spec.feature_store import FeatureStoreSpec

SPEC_VERSION = 1
SAMPLE_PREFIX = "sample:"
#: ``data.source: sample:<name>`` names one of the bundled samples (their files are sample_data/<name>.csv).
SAMPLE_NAMES = ("telco_churn", "card_fraud", "house_prices")
TASKS = ("binary", "multiclass", "regression")
METRICS = ("roc_auc", "f1_macro", "accuracy", "r2", "rmse", "mae")
VALIDATIONS = ("auto", "stratified-kfold", "kfold", "time-split", "group-kfold")
SCALINGS = ("standard", "minmax", "none")
TUNING_METHODS = ("none", "grid", "random", "bayes")
STRATEGIES = ("direct", "canary", "shadow", "blue_green", "ab")
SCENARIOS = ("none", "gradual", "sudden", "new_category", "concept")
GateCheck = Literal["threshold", "beats_baseline", "beats_champion", "latency", "fairness", "personal_data"]
GATE_CHECKS: tuple[GateCheck, ...] = (
    "threshold",
    "beats_baseline",
    "beats_champion",
    "latency",
    "fairness",
    "personal_data",
)
TRIGGERS = ("alert", "schedule", "manual")
RELEASES = ("shadow", "canary")


def _label(value: Any) -> Any:
    """A class label written in YAML as yes/no/1 arrives as a bool or a number: the studio's labels
    are text ("True", "1"), as ``to_label`` writes them."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return value


Label = Annotated[str | None, BeforeValidator(_label)]
Share = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ProjectSpec(_Section):
    """The project the spec makes."""

    name: str | None = Field(
        default=None, max_length=200, description="The project's name; none: the data file's name (or the spec file's)."
    )
    description: str = Field(default="", max_length=2000, description="What the project is for, in a sentence or two.")


class UploadSource(_Section):
    """A table uploaded in the browser: its name and its bytes' hash. Nothing here is a path to read: a
    replay needs the table given again (``--data``, or an upload), and notes a file with other contents."""

    upload: str = Field(min_length=1, max_length=500, description="The uploaded file's name (shown, never read).")
    sha256: str | None = Field(
        default=None,
        pattern="^[0-9a-f]{64}$",
        description="SHA-256 of the uploaded file's bytes; a replay on a file with other contents says so.",
    )


class DataSpec(_Section):
    """Where the table comes from and how it is read (every reading option left empty is detected)."""

    source: str | UploadSource | None = Field(
        default=None,
        description=(
            "The table: a file path (CSV, TSV, Excel or Parquet; relative to the current folder), "
            "'sample:<name>' for a bundled sample (sample:telco_churn, sample:card_fraud, sample:house_prices), "
            "or {upload: <name>, sha256: <hash>} for a file uploaded in the browser (give it with --data). "
            "None: give the file with --data."
        ),
    )
    encoding: str | None = Field(default=None, description="Text encoding such as utf-8 or latin-1; none: detected.")
    delimiter: str | None = Field(
        default=None,
        min_length=1,
        max_length=1,
        description="Column separator, one character (',', ';', a tab); none: detected.",
    )
    decimal: Literal[".", ","] | None = Field(default=None, description="Decimal mark of numbers; none: detected.")
    thousands: str | None = Field(
        default=None, max_length=1, description="Thousands separator ('' for none); none: detected."
    )
    sheet: str | None = Field(default=None, description="Excel: the sheet to read; none: the first.")
    header_row: int | None = Field(
        default=None, ge=0, description="0-based row holding the column names; none: detected."
    )


def source_label(source: str | UploadSource | None) -> str | None:
    """The source as a person reads it: the path or sample, or "uploaded file <name>"."""
    if isinstance(source, UploadSource):
        return f"upload: {source.upload}"
    return source


class CleaningSpec(_Section):
    """The cleaning recipe: the same steps the Data page downloads and ``run --recipe`` reads."""

    recipe: list[dict[str, Any]] | None = Field(
        default=None,
        description=(
            "The cleaning steps in order, each {op, params} as in a recipe downloaded from the Data page; "
            "none: the studio's suggested (safe) cleaning; [] cleans nothing."
        ),
    )


class CostsSpec(_Section):
    """What mistakes cost (yes/no problems): the decision threshold minimises their sum."""

    false_negative: float = Field(ge=0, description="Cost of a missed positive (e.g. a churner not contacted).")
    false_positive: float = Field(ge=0, description="Cost of a false alarm (e.g. a retention offer wasted).")


class ProblemSpec(_Section):
    """What to predict and what "good enough" means."""

    target: str | None = Field(default=None, description="The column to predict; none: give it with --target.")
    task: Literal["binary", "multiclass", "regression"] | None = Field(
        default=None, description="binary, multiclass or regression; none: detected from the target's values."
    )
    positive_class: Label = Field(
        default=None, description="Binary: the class that means 'the event happened'; none: the rarer."
    )
    metric: Literal["roc_auc", "f1_macro", "accuracy", "r2", "rmse", "mae"] | None = Field(
        default=None,
        description=(
            "The gate's metric: roc_auc, f1_macro or accuracy (binary), f1_macro or accuracy (multiclass), "
            "r2, rmse or mae (regression); none: the task's default."
        ),
    )
    threshold: float | None = Field(
        default=None, description="The bar the metric must reach (at most, for rmse/mae); none: the task's default."
    )
    time_column: str | None = Field(
        default=None,
        description="A date column: the models are checked on the latest rows (a time split); none: random.",
    )
    group_column: str | None = Field(
        default=None,
        description="Rows sharing a value (a customer ID) stay on one side of every split; none: no grouping.",
    )
    costs: CostsSpec | None = Field(default=None, description="Binary: what a missed positive and a false alarm cost.")
    sensitive_column: str | None = Field(
        default=None,
        description="The gate compares the model's errors across this column's groups; none: no fairness check.",
    )
    max_latency_ms: float = Field(
        default=200.0, gt=0, description="Largest time to answer one request (one row), in ms."
    )


class FeaturesSpec(_Section):
    """The feature set's settings (as on the Features page)."""

    numeric_scaling: Literal["standard", "minmax", "none"] = Field(
        default="standard", description="How numbers are scaled: standard (z-score), minmax (0 to 1) or none."
    )
    one_hot: bool = Field(default=True, description="Categories as one column each (true) or as ordinal codes (false).")
    max_categories: int = Field(
        default=20, ge=1, description="Most categories kept per column; the rarer ones become 'other'."
    )
    date_parts: bool = Field(default=True, description="Split dates into year, month, weekday… columns.")
    log_columns: list[str] = Field(default_factory=list, description="Skewed number columns taken as log(1 + x).")
    drop_columns: list[str] = Field(default_factory=list, description="Columns left out of the features.")


class TrainingSpec(_Section):
    """How the leaderboard is trained and checked."""

    models: list[str] = Field(
        default_factory=list,
        description="Model families to compare (catalog keys such as logistic, random_forest, hist_gb); []: the default set.",
    )
    cv_folds: int = Field(default=5, ge=2, le=20, description="Cross-validation folds.")
    test_size: float = Field(
        default=0.2, ge=0.05, le=0.5, description="Share of the rows held out for the final check."
    )
    validation: Literal["auto", "stratified-kfold", "kfold", "time-split", "group-kfold"] = Field(
        default="auto",
        description="How rows are split; auto: time split / group folds / stratified folds from the problem.",
    )
    class_weight: Literal["balanced"] | None = Field(
        default=None, description="balanced: rare classes count more in training; none: every row counts the same."
    )
    seed: int = Field(
        default=42, ge=0, le=2**31 - 1, description="Random seed: the same seed gives the same leaderboard."
    )


class TuningSpec(_Section):
    """A hyper-parameter search of one family after the leaderboard."""

    method: Literal["none", "grid", "random", "bayes"] = Field(
        default="none", description="none, grid, random or bayes (TPE)."
    )
    model: str | None = Field(default=None, description="The family to tune; none: the leaderboard's best.")
    budget: int = Field(default=20, ge=1, le=500, description="Trials at most.")
    max_seconds: float | None = Field(
        default=None, gt=0, description="Stop starting new trials after this long; none: no limit."
    )
    space: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Search ranges, each {name, kind: int|float|log|choice, low, high, choices}; []: the default.",
    )


class GateSpec(_Section):
    """The "good enough?" gate before a model is registered."""

    checks: list[GateCheck] = Field(
        default_factory=lambda: list(GATE_CHECKS),
        description=(
            "The checks that decide GO (each runs when it applies: fairness needs a sensitive column, "
            "beats_champion a champion); the others are shown but do not decide."
        ),
    )
    max_fairness_gap: float = Field(
        gt=0, le=1, default=0.10, description="Largest allowed gap in recall between the sensitive groups."
    )
    register_on_no_go: bool = Field(
        default=True, description="Register (and deploy) the best model even on NO-GO, so the loop can be shown."
    )


class GuardrailsSpec(_Section):
    """A canary step's guardrails (the challenger against the champion)."""

    max_error_rate_increase: NonNegative = Field(default=0.02, description="Error rate above the champion's allowed.")
    max_latency_ratio: NonNegative = Field(default=3.0, description="p95 latency allowed, in times the champion's.")
    latency_slack_ms: NonNegative = Field(default=20.0, description="…or this many ms more, whichever is larger.")
    max_score_psi: NonNegative = Field(
        default=0.25, description="PSI of the challenger's scores against the champion's."
    )
    score_alpha: NonNegative = Field(default=0.05, description="Significance of the KS test on the scores.")
    metric_alpha: NonNegative = Field(default=0.05, description="Significance of 'the challenger is worse' on labels.")
    min_labelled_per_arm: int = Field(default=30, ge=0, description="Labels per arm before the metric is judged.")


class DeploymentSpec(_Section):
    """How the registered model goes live."""

    strategy: Literal["direct", "canary", "shadow", "blue_green", "ab"] = Field(
        default="direct",
        description=(
            "direct: the champion answers everything; canary: a ramp of traffic to a challenger; shadow: "
            "the challenger scores silently; blue_green: two environments, one live; ab: users split for good."
        ),
    )
    challenger_share: Share = Field(
        default=0.1, description="canary and ab: share of requests / users for the challenger."
    )
    active_color: Literal["blue", "green"] = Field(default="blue", description="blue_green: blue = champion serves.")
    canary_steps: list[float] = Field(
        default_factory=lambda: [5.0, 25.0, 50.0, 100.0],
        description="canary: the challenger's share at each step, in percent, rising to 100.",
    )
    min_challenger_requests: int = Field(
        default=100, ge=10, description="canary: requests the challenger answers per step."
    )
    guardrails: GuardrailsSpec = Field(default_factory=GuardrailsSpec, description="canary: when a step rolls back.")


class RetrainingSpec(_Section):
    """When the model is retrained (the autopilot's policy)."""

    when_recommended: bool = Field(
        default=False, description="Retrain once at the end of a run if monitoring recommends it."
    )
    trigger: Literal["alert", "schedule", "manual"] = Field(
        default="alert", description="Autopilot: retrain on an alert, every N windows, or never by itself."
    )
    every_windows: int = Field(default=6, ge=1, le=1000, description="trigger schedule: windows between retrainings.")
    release: Literal["shadow", "canary"] = Field(
        default="shadow", description="How the autopilot releases a retrained model."
    )
    rounds: int = Field(default=2, ge=1, le=10, description="Autopilot: retraining rounds at most.")


class MonitoringSpec(_Section):
    """The simulated production traffic, the alert rules and the retraining policy."""

    scenario: Literal["none", "gradual", "sudden", "new_category", "concept"] = Field(
        default="none", description="Drift planted in the simulated traffic."
    )
    windows: int = Field(default=6, ge=2, le=12, description="Windows of simulated traffic.")
    rows_per_window: int = Field(default=500, ge=50, le=5000, description="Rows per window.")
    drift_start: int = Field(default=3, ge=1, description="First drifted window (1-based).")
    label_delay: int = Field(default=0, ge=0, description="Windows before a window's labels arrive.")
    label_share: Share = Field(default=1.0, description="Share of the rows whose label ever arrives.")
    alert_rules: list[dict[str, Any]] | None = Field(
        default=None,
        description=(
            "Alert rules, each {id, name, signal, comparison, threshold, severity, min_features, last_windows, "
            "cooldown, enabled, retrain_reason} as on the Monitor page; none: the default rules."
        ),
    )
    retraining: RetrainingSpec = Field(default_factory=RetrainingSpec, description="The retraining policy.")


class PipelineSpec(_Section):
    """Everything a project chose, versioned (``spec_version``) and replayable headless."""

    spec_version: Literal[1] = Field(
        default=1, description="The spec format's version; this studio writes and reads 1."
    )
    project: ProjectSpec = Field(default_factory=ProjectSpec, description="The project: name and description.")
    data: DataSpec = Field(default_factory=DataSpec, description="The table and how it is read.")
    cleaning: CleaningSpec = Field(default_factory=CleaningSpec, description="The cleaning recipe.")
    problem: ProblemSpec = Field(default_factory=ProblemSpec, description="What to predict and the bar.")
    features: FeaturesSpec | None = Field(
        default=None, description="The feature-set settings; none: the studio's suggestion."
    )
    feature_store: FeatureStoreSpec | None = Field(
        default=None, description="The catalog features the project uses; none: none."
    )
    training: TrainingSpec = Field(default_factory=TrainingSpec, description="How the leaderboard is trained.")
    tuning: TuningSpec = Field(default_factory=TuningSpec, description="The hyper-parameter search.")
    gate: GateSpec = Field(default_factory=GateSpec, description="The go/no-go gate.")
    deployment: DeploymentSpec = Field(default_factory=DeploymentSpec, description="How the model goes live.")
    monitoring: MonitoringSpec = Field(default_factory=MonitoringSpec, description="Monitoring and retraining.")
