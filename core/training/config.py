"""What a training session is asked to do (``TrainConfig``: models, folds, holdout size, validation,
class weights, the sample sizes of a large table) and the check of it, kept apart so the splits,
the trainer, tuning and the pipeline all read one definition."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from core.i18n import _
from core.problem.definition import ProblemConfig
from core.training.catalog import CLASS_WEIGHTS, get_model_spec
from core.workspace.errors import ConfigError

VALIDATIONS = ("auto", "stratified-kfold", "kfold", "time-split", "group-kfold")
# Large tables: the leaderboard (and tuning) learn from a stratified sample of the training rows and
# are scored on a sample of the held-out rows; the best model is then refit on all training rows
# when that is expected to fit the refit budget. Sizes measured on a 2-core machine (README, development).
MAX_TRAIN_ROWS = 100_000
MAX_TEST_ROWS = 50_000
REFIT_SECONDS = 120.0
_MIN_SAMPLE_ROWS = 100


@dataclass(frozen=True)
class TrainConfig:
    models: tuple[str, ...] = ()  # empty = the default catalog; the baseline is always added
    cv_folds: int = 5
    test_size: float = 0.2
    seed: int = 42
    validation: str = "auto"  # auto → time-split / group-kfold / stratified-kfold / kfold, from the problem
    class_weight: str | None = None  # "balanced": rare classes count more in training (families that support it)
    max_train_rows: int = MAX_TRAIN_ROWS  # more training rows: the models compete on a stratified sample
    max_test_rows: int = MAX_TEST_ROWS  # more held-out rows: the models are scored on a stratified sample
    refit_seconds: float = REFIT_SECONDS  # budget to refit the best model on all training rows after a sample

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["models"] = list(self.models)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "models" in values:
            values["models"] = tuple(values["models"])
        return cls(**values)


def validate_train_config(config: TrainConfig, problem: ProblemConfig) -> None:
    if config.validation not in VALIDATIONS:
        raise ConfigError(
            _("The validation must be one of {join}; got '{validation}' instead.").format(
                join=", ".join(VALIDATIONS), validation=config.validation
            )
        )
    if not isinstance(config.cv_folds, (int, np.integer)) or config.cv_folds < 2:
        raise ConfigError(
            _("The number of CV folds must be a whole number ≥ 2; got {cv_folds} instead.").format(
                cv_folds=f"{config.cv_folds!r}"
            )
        )
    if not 0.05 <= float(config.test_size) <= 0.5:
        raise ConfigError(
            _("The test size must be between 0.05 and 0.5; got {test_size} instead.").format(test_size=config.test_size)
        )
    if config.class_weight not in CLASS_WEIGHTS:
        raise ConfigError(
            _("The class weight must be 'balanced' or None; got {class_weight} instead.").format(
                class_weight=f"{config.class_weight!r}"
            )
        )
    for name in ("max_train_rows", "max_test_rows"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < _MIN_SAMPLE_ROWS:
            raise ConfigError(
                _(
                    "The '{name}' of TrainConfig must be a whole number of at least {MIN_SAMPLE_ROWS}; got {value} instead."
                ).format(name=name, MIN_SAMPLE_ROWS=_MIN_SAMPLE_ROWS, value=f"{value!r}")
            )
    if (
        isinstance(config.refit_seconds, bool)
        or not isinstance(config.refit_seconds, (int, float))
        or not config.refit_seconds >= 0
    ):
        raise ConfigError(
            _(
                "The 'refit_seconds' of TrainConfig must be a number of seconds ≥ 0 (0: never refit on all rows); got {refit_seconds} instead."
            ).format(refit_seconds=f"{config.refit_seconds!r}")
        )
    if config.validation == "time-split" and problem.time_column is None:
        raise ConfigError(_("A time split needs a time column; choose one in the problem or another validation."))
    if config.validation == "stratified-kfold" and problem.task == "regression":
        raise ConfigError(_("Stratified folds need classes; use 'kfold' for a regression task."))
    for key in config.models:
        get_model_spec(problem.task, key)
