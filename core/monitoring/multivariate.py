"""Multivariate drift: can a classifier tell the current rows from the reference rows?

Per window, a small gradient-boosting classifier learns to tell a bounded sample of the window's rows
from one of the reference's; its cross-validated ROC-AUC is the signal (0.5: indistinguishable, 1:
fully separable). The AUC is compared with what chance gives: the out-of-fold scores are kept and the
labels shuffled many times (a permutation test), so the threshold follows the sample size. The features
that drive it are named by permutation importance: how much the AUC falls when one column is shuffled.

Why a domain classifier rather than PCA reconstruction error: it takes categories and missing values as
they are (no one-hot encoding and scaling to choose), it sees shifts PCA's residual misses (a move along
the main components changes the scores, not the reconstruction error) and changes in how columns go
together that no univariate test sees, and it names the columns behind a drift directly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from core.monitoring.reference import as_floats, is_numeric_column
from core.workspace.errors import ConfigError

DOMAIN_DRIFT_SCHEMA = {
    "window": "int64",
    "auc": "float64",
    "threshold": "float64",
    "pvalue": "float64",
    "drifted": "bool",
    "rows": "int64",
}
DOMAIN_FEATURES_SCHEMA = {"window": "int64", "feature": "str", "importance": "float64"}
# Categories beyond this many share one code (the classifier's categorical support has 255 bins).
MAX_CODES = 250


@dataclass(frozen=True)
class DomainConfig:
    """The domain classifier's sample and test: ``sample_rows`` per side and window, ``folds`` for the
    out-of-fold scores, ``permutations`` of the labels for the chance level; a window drifted when its
    AUC is above the chance level's (1 - alpha) quantile AND at least ``min_auc`` (a separation too
    weak to matter is not drift, however significant)."""

    sample_rows: int = 1000
    folds: int = 3
    permutations: int = 200
    alpha: float = 0.01
    min_auc: float = 0.55
    seed: int = 0

    def validate(self) -> DomainConfig:
        whole = {"sample_rows": 50, "folds": 2, "permutations": 20}
        for name, least in whole.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigError(
                    f"The '{name}' of DomainConfig must be a whole number of at least {least}; got {value!r} instead."
                )
        if not 0 < self.alpha < 1 or not 0.5 <= self.min_auc < 1:
            raise ConfigError(
                f"The 'alpha' of DomainConfig must be between 0 and 1 and its 'min_auc' between 0.5 and 1; "
                f"got {self.alpha!r} and {self.min_auc!r} instead."
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _encode(reference: pd.DataFrame, current: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Both samples as one float matrix (numbers as they are, categories as codes; missing: nan) and
    which columns are categories."""
    encoded, categorical = [], []
    for column in columns:
        both = pd.concat([reference[column], current[column]], ignore_index=True)
        if is_numeric_column(reference[column]):
            encoded.append(as_floats(both))
            categorical.append(False)
        else:
            codes, _ = pd.factorize(both.astype(object), use_na_sentinel=True)
            codes = np.where(codes >= MAX_CODES, MAX_CODES, codes).astype(float)
            codes[codes < 0] = np.nan
            encoded.append(codes)
            categorical.append(True)
    return np.column_stack(encoded), np.array(categorical)


def _auc(ranks: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """ROC-AUC from the scores' ranks for each row of 0/1 ``labels`` (Mann–Whitney)."""
    positives = labels.sum(axis=-1)
    negatives = labels.shape[-1] - positives
    return (labels @ ranks - positives * (positives + 1) / 2) / (positives * negatives)


def _window_signal(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, categorical: np.ndarray, config: DomainConfig, seed: int
):
    """(AUC, chance threshold, p-value, importance per column or None) for one window; the importance
    only where the window drifted (it costs a prediction per column and fold)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedGroupKFold

    rng = np.random.default_rng(seed)
    scores = np.zeros(len(y))
    folds = []
    # Identical rows stay in one fold: a row whose twin on the other side was learned would be scored as
    # that twin's side, pushing the AUC far below 0.5 when the current rows repeat reference rows (as
    # resampled traffic does) instead of near 0.5, "indistinguishable".
    splitter = StratifiedGroupKFold(config.folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(x, y, groups):
        model = HistGradientBoostingClassifier(
            max_iter=40, max_leaf_nodes=15, early_stopping=False, categorical_features=categorical, random_state=seed
        ).fit(x[train], y[train])
        scores[test] = model.predict_proba(x[test])[:, 1]
        folds.append((model, test))
    ranks = rankdata(scores)
    auc = float(_auc(ranks, y.astype(float)))
    chance = _auc(ranks, rng.permuted(np.tile(y.astype(float), (config.permutations, 1)), axis=1))
    pvalue = (1 + np.count_nonzero(chance >= auc)) / (config.permutations + 1)
    threshold = float(np.quantile(chance, 1 - config.alpha))
    if not (auc > threshold and auc >= config.min_auc):
        return auc, threshold, float(pvalue), None
    drops = np.zeros(x.shape[1])
    for model, test in folds:
        labels = y[test].astype(float)
        fold_auc = _auc(rankdata(scores[test]), labels)
        # Every column shuffled in its own copy of the fold, scored in one call (a call costs more than rows).
        copies = np.tile(x[test], (x.shape[1], 1))
        for column in range(x.shape[1]):
            rows = slice(column * len(test), (column + 1) * len(test))
            copies[rows, column] = rng.permutation(copies[rows, column])
        shuffled_scores = model.predict_proba(copies)[:, 1].reshape(x.shape[1], len(test))
        drops += fold_auc - _auc(rankdata(shuffled_scores, axis=1).T, labels)
    return auc, threshold, float(pvalue), np.maximum(drops / config.folds, 0.0)


def get_domain_drift_df(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    *,
    by: str = "window",
    config: DomainConfig = DomainConfig(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per group of ``current`` (window): the domain classifier's AUC, the chance threshold, its
    p-value, whether it drifted and the rows compared; and per (window, column) the column's
    importance (AUC lost when it is shuffled), largest first, for the windows that drifted.

    The classifier runs on one thread: on a shared machine OpenMP's threads wait for each other
    (a fit measured 20 times slower with two threads than with one here)."""
    from threadpoolctl import threadpool_limits

    config.validate()
    columns = list(columns)
    signals: list[dict[str, Any]] = []
    importances: list[dict[str, Any]] = []
    if not columns or len(reference) == 0:
        return _empty(DOMAIN_DRIFT_SCHEMA), _empty(DOMAIN_FEATURES_SCHEMA)
    ref_sample = reference.sample(min(len(reference), config.sample_rows), random_state=config.seed)
    with threadpool_limits(1):
        for window, rows in current.groupby(by, sort=True):
            _add_window(ref_sample, rows, window, columns, config, signals, importances)
    features = pd.DataFrame(importances, columns=list(DOMAIN_FEATURES_SCHEMA))
    features = features.sort_values(["window", "importance"], ascending=[True, False])
    return (
        pd.DataFrame(signals, columns=list(DOMAIN_DRIFT_SCHEMA)).astype(DOMAIN_DRIFT_SCHEMA),
        features.astype(DOMAIN_FEATURES_SCHEMA).reset_index(drop=True),
    )


def _add_window(
    ref_sample: pd.DataFrame,
    rows: pd.DataFrame,
    window: Any,
    columns: list[str],
    config: DomainConfig,
    signals: list[dict[str, Any]],
    importances: list[dict[str, Any]],
) -> None:
    """Append one window's signal (and its columns' importance when it drifted)."""
    cur_sample = rows.sample(min(len(rows), config.sample_rows), random_state=config.seed)
    if min(len(ref_sample), len(cur_sample)) < config.folds * 2:
        return  # too few rows to cross-validate
    x, categorical = _encode(ref_sample, cur_sample, columns)
    y = np.r_[np.zeros(len(ref_sample), dtype=int), np.ones(len(cur_sample), dtype=int)]
    groups, _ = pd.factorize(pd.util.hash_pandas_object(pd.DataFrame(x), index=False))
    if groups.max() + 1 < config.folds * 2:
        return  # too few distinct rows to cross-validate
    auc, threshold, pvalue, importance = _window_signal(x, y, groups, categorical, config, config.seed + int(window))
    signals.append(
        {
            "window": window,
            "auc": auc,
            "threshold": threshold,
            "pvalue": pvalue,
            "drifted": importance is not None,
            "rows": len(y),
        }
    )
    if importance is not None:
        importances.extend({"window": window, "feature": c, "importance": v} for c, v in zip(columns, importance))


def _empty(schema: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(schema)).astype(schema)
