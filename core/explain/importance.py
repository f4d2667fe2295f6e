"""What an explanation says, as tables: the importance of each feature and which way it pushes, the
beeswarm's dots, and one row's waterfall. Pure functions of an ``Explanation``; ``charts`` draws them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.explain.result import Explanation
from core.formatting import format_feature_value
from core.i18n import _
from core.workspace.errors import ConfigError
from core.workspace.jsonable import to_strict_json

_JITTER_WIDTH = 0.32


def get_importance_df(expl: Explanation) -> pd.DataFrame:
    """One row per feature: mean |SHAP|, its share of the total, and which way it pushes.

    Columns: feature, mean_abs_shap, share (0-1), kind (numeric/categorical), direction (text),
    correlation (numeric features: of value with SHAP), top_category (categorical features:
    the value with the highest average SHAP). Sorted by mean_abs_shap, largest first.
    """
    shap_df, values_df = expl.shap_df, expl.values_df
    mean_abs = shap_df.abs().mean(axis=0)
    total = float(mean_abs.sum())
    rows = []
    for feature in shap_df.columns:
        kind, numeric = _feature_numeric_values(values_df[feature]) if feature in values_df else ("numeric", None)
        correlation, top_category, direction = np.nan, None, _("no effect")
        if mean_abs[feature] > 0:
            if kind == "numeric" and numeric is not None:
                correlation = _correlation(numeric, shap_df[feature].to_numpy())
                direction = _numeric_direction(correlation)
            elif kind == "categorical":
                top_category = _top_category(values_df[feature], shap_df[feature])
                direction = _("{feature} = {top_category} pushes the prediction up most").format(
                    feature=feature, top_category=top_category
                )
        rows.append(
            {
                "feature": feature,
                "mean_abs_shap": float(mean_abs[feature]),
                "share": float(mean_abs[feature] / total) if total > 0 else 0.0,
                "kind": kind,
                "direction": direction,
                "correlation": correlation,
                "top_category": top_category,
            }
        )
    importance = pd.DataFrame(
        rows, columns=["feature", "mean_abs_shap", "share", "kind", "direction", "correlation", "top_category"]
    )
    importance = importance.sort_values("mean_abs_shap", ascending=False, kind="stable").reset_index(drop=True)
    importance.attrs["output"] = expl.output  # the unit of mean_abs_shap, for the chart's axis
    return importance


def _feature_numeric_values(values: pd.Series) -> tuple[str, np.ndarray | None]:
    """("numeric", floats) for numbers and dates; ("categorical", None) for everything else."""
    if pd.api.types.is_bool_dtype(values):
        return "categorical", None
    if pd.api.types.is_numeric_dtype(values):
        return "numeric", pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    if pd.api.types.is_datetime64_any_dtype(values):
        return "numeric", _datetime_as_float(values)
    present = values.dropna()
    if len(present) and present.nunique() > 20:  # many distinct texts: dates written as text?
        parsed = pd.to_datetime(present, errors="coerce", format="mixed")
        if parsed.notna().mean() >= 0.9:
            return "numeric", _datetime_as_float(pd.to_datetime(values, errors="coerce", format="mixed"))
    return "categorical", None


def _datetime_as_float(values: pd.Series) -> np.ndarray:
    seconds = (values - pd.Timestamp("1970-01-01")).dt.total_seconds()
    return seconds.to_numpy(dtype=float, na_value=np.nan)


def _correlation(values: np.ndarray, shap_values: np.ndarray) -> float:
    keep = ~np.isnan(values)
    if keep.sum() < 3 or np.std(values[keep]) == 0 or np.std(shap_values[keep]) == 0:
        return float("nan")
    return float(np.corrcoef(values[keep], shap_values[keep])[0, 1])


def _numeric_direction(correlation: float) -> str:
    if math.isnan(correlation) or abs(correlation) < 0.2:
        return _("mixed: no single direction")
    return _("higher values push the prediction up") if correlation > 0 else _("higher values push the prediction down")


def _top_category(values: pd.Series, shap_values: pd.Series) -> str:
    labels = values.astype(object).where(values.notna(), "missing").astype(str)
    means = shap_values.groupby(labels.to_numpy()).mean()
    return str(means.idxmax())


def get_beeswarm_df(expl: Explanation, top: int = 10, seed: int = 0) -> pd.DataFrame:
    """Long table, one row per (explained row, top feature): SHAP, value, colour 0-1, y position.

    Colour is the feature value scaled to 0-1 by rank for numeric features, the category code
    (alphabetical) scaled to 0-1 for categorical ones; NaN when the value is missing.
    """
    features = list(get_importance_df(expl)["feature"].head(top))
    rng = np.random.default_rng(seed)
    parts = []
    for position, feature in enumerate(features):
        values = expl.values_df[feature] if feature in expl.values_df else pd.Series(np.nan, index=expl.shap_df.index)
        kind, numeric = _feature_numeric_values(values)
        if kind == "numeric":
            colour = pd.Series(numeric).rank(pct=True).to_numpy()
        else:
            labels = values.astype(object).where(values.notna(), None)
            codes, uniques = pd.factorize(labels.astype(str).where(labels.notna()), sort=True)
            colour = np.where(codes < 0, np.nan, codes / max(len(uniques) - 1, 1))
        parts.append(
            pd.DataFrame(
                {
                    "feature": feature,
                    "y": len(features) - 1 - position + rng.uniform(-_JITTER_WIDTH, _JITTER_WIDTH, len(values)),
                    "shap": expl.shap_df[feature].to_numpy(),
                    "value": [format_feature_value(v) for v in values],
                    "colour": colour,
                    "kind": kind,
                }
            )
        )
    columns = ["feature", "y", "shap", "value", "colour", "kind"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def get_waterfall_df(expl: Explanation, row: int, top: int = 10) -> pd.DataFrame:
    """The contributions of one explained row (position ``row`` in ``shap_df``), largest first.

    Columns: feature, value (as text), shap, label. Beyond ``top`` features the rest is one
    "other N features" line. ``attrs`` holds base_value, prediction, output and the row's index.
    """
    if not 0 <= row < len(expl.shap_df):
        raise ConfigError(
            _("The row to explain must be between 0 and {value}; got {row} instead.").format(
                value=len(expl.shap_df) - 1, row=row
            )
        )
    effects = expl.shap_df.iloc[row]
    values = expl.values_df.iloc[row] if len(expl.values_df.columns) else pd.Series(dtype=object)
    order = effects.abs().sort_values(ascending=False, kind="stable").index
    rows = []
    for feature in order[:top]:
        value = format_feature_value(values.get(feature, np.nan))
        rows.append(
            {"feature": feature, "value": value, "shap": float(effects[feature]), "label": f"{feature} = {value}"}
        )
    rest = order[top:]
    if len(rest):
        rows.append(
            {
                "feature": "other features",  # i18n: skip (a code; the label is translated)
                "value": "",
                "shap": float(effects[rest].sum()),
                "label": _("{n} other features").format(n=len(rest)),
            }
        )
    waterfall = pd.DataFrame(rows, columns=["feature", "value", "shap", "label"])
    waterfall.attrs.update(
        {
            "base_value": float(expl.base_value),
            "prediction": float(expl.base_value + effects.sum()),
            "output": expl.output,
            "row_index": to_strict_json(expl.shap_df.index[row]),
        }
    )
    return waterfall
