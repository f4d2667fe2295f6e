"""SHAP values summed back to the input columns: which encoded output of the preprocessor came from
which input column, the explained rows encoded, and their input values. A module of its own because
it depends on the preprocessor's shape, not on the explainer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from core.explain.context import ExplainContext


@dataclass
class FeatureSources:
    features: list[str]  # input-level features, in input order
    matrix: np.ndarray  # (encoded outputs, features) 0/1: which output sums into which feature
    sources: list[str]  # per encoded output, its feature


def get_feature_sources(context: ExplainContext) -> FeatureSources:
    preprocessor = context.preprocessor
    step = preprocessor[-1] if len(preprocessor.steps) == 1 else preprocessor
    out_names = [str(n) for n in preprocessor.get_feature_names_out()]
    mapping = fallback_output_feature_sources(step, [str(c) for c in context.X.columns])
    try:
        from core.features.preprocessing import get_output_feature_sources

        mapping.update({str(k): str(v) for k, v in get_output_feature_sources(step).items()})
    except Exception:  # not importable or another preprocessor shape: the fallback covers it
        pass
    sources = [mapping.get(name, name) for name in out_names]
    input_order = {str(c): i for i, c in enumerate(context.X.columns)}
    features = sorted(dict.fromkeys(sources), key=lambda f: (input_order.get(f, len(input_order)), f))
    column_of = {f: i for i, f in enumerate(features)}
    matrix = np.zeros((len(out_names), len(features)))
    for row, source in enumerate(sources):
        matrix[row, column_of[source]] = 1.0
    return FeatureSources(features=features, matrix=matrix, sources=sources)


def fallback_output_feature_sources(preprocessor: Any, input_columns: list[str]) -> dict[str, str]:
    """Map each output name to its input column by the longest matching column name.

    With a ColumnTransformer only the columns of the transformer that made the output are
    candidates; otherwise the "<transformer>__" prefix is stripped and all inputs compete.
    """
    out_names = [str(n) for n in preprocessor.get_feature_names_out()]
    if isinstance(preprocessor, ColumnTransformer) and hasattr(preprocessor, "output_indices_"):
        mapping: dict[str, str] = {}
        names_in = [str(c) for c in getattr(preprocessor, "feature_names_in_", input_columns)]
        for name, _, columns in preprocessor.transformers_:
            candidates = _resolve_columns(columns, names_in)
            for out in out_names[preprocessor.output_indices_[name]]:
                mapping[out] = _match_input_column(out, candidates, preprocessor.verbose_feature_names_out)
        return mapping
    return {out: _match_input_column(out, input_columns, True) for out in out_names}


def _resolve_columns(columns: Any, names_in: list[str]) -> list[str]:
    if isinstance(columns, slice):
        return names_in[columns]
    if callable(columns) or isinstance(columns, str):
        return [columns] if isinstance(columns, str) else names_in
    columns = list(columns)
    if columns and all(isinstance(c, (bool, np.bool_)) for c in columns):
        return [n for n, keep in zip(names_in, columns) if keep]
    return [names_in[c] if isinstance(c, (int, np.integer)) else str(c) for c in columns]


def _match_input_column(out_name: str, candidates: list[str], strip_prefix: bool) -> str:
    if len(candidates) == 1:
        return candidates[0]
    name = out_name.split("__", 1)[1] if strip_prefix and "__" in out_name else out_name
    matches = [c for c in candidates if name == c or name.startswith(f"{c}_")]
    return max(matches, key=len) if matches else name


def used_input_features(context: ExplainContext) -> list[str]:
    """The input columns the model uses (dropped ones would only cost permutation time)."""
    try:
        sources = get_feature_sources(context).features
    except Exception:  # a preprocessor without feature names: treat every column as used
        return [str(c) for c in context.X.columns]
    used = [str(c) for c in context.X.columns if str(c) in set(sources)]
    return used or [str(c) for c in context.X.columns]


def transform(context: ExplainContext, positions: np.ndarray) -> np.ndarray:
    encoded = context.preprocessor.transform(context.X.iloc[positions])
    if hasattr(encoded, "toarray"):
        encoded = encoded.toarray()
    return np.asarray(encoded, dtype=float)


def aggregate(values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Sum the SHAP values of the encoded columns of each input feature (SHAP is additive)."""
    return np.asarray(values, dtype=float) @ matrix


def encode_as_codes(
    context: ExplainContext, features: list[str], positions: np.ndarray
) -> tuple[np.ndarray, Callable[[np.ndarray], pd.DataFrame]]:
    """Each used column as integer codes of its values, so shap's masker only copies values.

    Works for every dtype (text, numbers with gaps, dates) and keeps the dtypes when decoding.
    """
    rows = context.X.iloc[positions]
    codes = np.empty((len(rows), len(features)))
    uniques = {}
    for j, feature in enumerate(features):
        codes[:, j], uniques[feature] = pd.factorize(rows[feature], use_na_sentinel=False)
    template = rows.iloc[[0]]
    columns = list(getattr(context.pipeline, "feature_names_in_", context.X.columns))

    def decode(code_rows: np.ndarray) -> pd.DataFrame:
        code_rows = np.asarray(code_rows)
        frame = {}
        for column in columns:
            if column in uniques:
                j = features.index(column)
                frame[column] = uniques[column].take(code_rows[:, j].astype(int))
            else:  # unused by the model: any value will do
                frame[column] = template[column].repeat(len(code_rows)).to_numpy()
        return pd.DataFrame(frame)

    return codes, decode


def get_input_values_df(context: ExplainContext, positions: np.ndarray, features: list[str]) -> pd.DataFrame:
    """The explained rows' input values; a feature made inside the preprocessor gets its encoded value."""
    rows = context.X.iloc[positions]
    derived = [f for f in features if f not in rows.columns]
    columns = {f: rows[f] for f in features if f in rows.columns}
    if derived:
        sources = get_feature_sources(context)
        encoded = transform(context, positions)
        for feature in derived:
            outputs = [i for i, s in enumerate(sources.sources) if s == feature]
            values = encoded[:, outputs[0]] if len(outputs) == 1 else np.full(len(positions), np.nan)
            columns[feature] = pd.Series(values, index=rows.index)
    return pd.DataFrame({f: columns[f] for f in features}, index=rows.index)
