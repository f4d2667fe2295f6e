"""Classification explanations in probability points, the unit a manager reads ("the model's estimate
of churn goes from 12% for an average customer to 64% for this one").

Some explainers work in the model's raw score (log-odds for binary boosting and logistic regression,
the softmax input for multiclass ones), where effects add up but mean little to a reader. This module
turns them into probability points without recomputing SHAP:

- the start is the probability of an average row: the logistic of the average log-odds (binary), or
  the average predicted probability of the explained class (multiclass, whose softmax needs every
  class's score);
- the end is the model's own ``predict_proba`` for the row;
- the change between them is split among the features in proportion to their raw-score effects
  (the log-odds path, scaled). Signs and ranking stay as in the raw score, and by construction
  ``base + contributions`` equals the model's probability exactly.

When the raw-score effects sum to nothing, or to the opposite direction of the probability change
(possible in multiclass only: another class's score moved more), the change is shared by the size of
each effect instead, so the sum still holds.

Explanations already in probability (forests, trees, permutation SHAP, the baseline) keep their
values; the sum holds for them by the explainers' own additivity.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from core.explain.result import Explanation
from core.formatting import format_as, format_share, format_statistic, localized
from core.i18n import N_, _

SPACE_PROBABILITY = "probability"
SPACE_LOG_ODDS = "log-odds"
SPACE_RAW_SCORE = "raw score"
SPACE_VALUE = "value"
_EPSILON = 1e-12


def get_space(expl: Explanation) -> str:
    """Which unit the explanation's effects are in: probability, log-odds, raw score or value."""
    output = expl.output
    if output.startswith("probability of"):
        return SPACE_PROBABILITY
    if output.startswith("log-odds of"):
        return SPACE_LOG_ODDS
    if output.startswith("raw score"):
        return SPACE_RAW_SCORE
    return SPACE_VALUE


# What an explanation's numbers are (``Explanation.output``, kept in English with the saved
# explanation) as the reader's language says it: shown through ``output_words``.
_OUTPUT_WORDS = (
    ("probability of ", N_("probability of {label}")),
    ("log-odds of ", N_("log-odds of {label}")),
    ("raw score (logit) of ", N_("raw score (logit) of {label}")),
    ("log of the predicted ", N_("log of the predicted {label}")),
    ("predicted ", N_("predicted {label}")),
)


def output_words(output: str) -> str:
    """ "probability of churn = Yes" in the current language (unknown wording: as it is)."""
    for prefix, template in _OUTPUT_WORDS:
        if output.startswith(prefix):
            return _(template).format(label=output[len(prefix) :])
    return output


def explained_label(expl: Explanation) -> str:
    """ "churn = Yes" out of "log-odds of churn = Yes" (the class an explanation is about)."""
    for prefix in ("probability of ", "log-odds of ", "raw score (logit) of "):  # i18n: skip (codes)
        if expl.output.startswith(prefix):
            return expl.output[len(prefix) :]
    return expl.output


def split_change(effects: np.ndarray, base_probability: float, probability: float) -> np.ndarray:
    """The change from ``base_probability`` to ``probability`` shared among features in proportion
    to ``effects`` (raw-score SHAP values of one row); the result sums to the change exactly."""
    effects = np.asarray(effects, dtype=float)
    change = float(probability) - float(base_probability)
    total = float(effects.sum())
    if abs(total) > _EPSILON and total * change >= 0:
        shares = effects / total
    else:
        sizes = np.abs(effects)
        shares = sizes / sizes.sum() if sizes.sum() > 0 else np.full(len(effects), 1.0 / max(len(effects), 1))
    return shares * change


def model_probabilities(pipeline: Any, X: pd.DataFrame, class_index: int) -> np.ndarray:
    """The model's probability of the explained class for each row of ``X``."""
    return np.asarray(pipeline.predict_proba(X)[:, class_index], dtype=float)


def base_probability(expl: Explanation, all_probabilities: np.ndarray) -> float:
    """The probability of an average row, in the explanation's own terms (see the module docstring)."""
    space = get_space(expl)
    if space == SPACE_LOG_ODDS:
        return float(1.0 / (1.0 + np.exp(-expl.base_value)))
    if space == SPACE_PROBABILITY:
        return float(expl.base_value)
    return float(np.mean(all_probabilities))


def with_probabilities(expl: Explanation, pipeline: Any, X: pd.DataFrame) -> Explanation:
    """``expl`` whose meta also holds the model's probability for each explained row and the
    probability of an average row (``X``: the rows the explanation was made on, by index label or,
    when the labels repeat, in the order of ``expl.shap_df``). Regression is returned unchanged."""
    if get_space(expl) == SPACE_VALUE or expl.meta.get("task") == "regression":
        return expl
    index = expl.meta.get("class_index")
    class_index = 1 if index is None else int(index)  # saved before it was recorded: the default, 1
    everything = model_probabilities(pipeline, X, class_index)
    if X.index.is_unique:
        positions = X.index.get_indexer(expl.shap_df.index)
    else:
        positions = np.arange(len(expl.shap_df))
    meta = {
        **expl.meta,
        "probabilities": [float(p) for p in everything[positions]],
        "base_probability": base_probability(expl, everything),
    }
    return dataclasses.replace(expl, meta=meta)


def has_probabilities(expl: Explanation) -> bool:
    return "probabilities" in expl.meta and "base_probability" in expl.meta


def to_probability(expl: Explanation) -> Explanation:
    """The same explanation in probability points: base the probability of an average row, each
    row's effects summing to the model's probability for it. Needs ``with_probabilities`` first;
    regression and explanations already in probability come back unchanged."""
    space = get_space(expl)
    if space in (SPACE_VALUE, SPACE_PROBABILITY) or not has_probabilities(expl):
        return expl
    base = float(expl.meta["base_probability"])
    probabilities = np.asarray(expl.meta["probabilities"], dtype=float)
    raw = expl.shap_df.to_numpy(dtype=float)
    points = np.vstack([split_change(raw[i], base, probabilities[i]) for i in range(len(raw))])
    shap_df = pd.DataFrame(points.reshape(raw.shape), index=expl.shap_df.index, columns=expl.shap_df.columns)
    return dataclasses.replace(
        expl,
        shap_df=shap_df,
        base_value=base,
        output=f"probability of {explained_label(expl)}",
        meta={**expl.meta, "native_output": expl.output, "native_space": space},
    )


def describe_space(expl: Explanation) -> str:
    """One sentence on the unit of the effects, for the caption beside the chart."""
    space = get_space(expl)
    native = expl.meta.get("native_space")
    if space == SPACE_PROBABILITY and native:
        return _(
            "Effects are in percentage points of the {output}: the model works in {native}, and the change in probability is shared among the features in proportion to their effect there."
        ).format(output=output_words(expl.output), native=native)
    if space == SPACE_PROBABILITY:
        return _("Effects are in percentage points of the {output}.").format(output=output_words(expl.output))
    if space == SPACE_LOG_ODDS:
        return _(
            "Effects are in {output} (the model's own scale: +0.7 roughly doubles the odds); switch to probability for percentages."
        ).format(output=output_words(expl.output))
    if space == SPACE_RAW_SCORE:
        return _("Effects are in the {output}, the model's own scale before its probabilities are computed.").format(
            output=output_words(expl.output)
        )
    return _("Effects are in the units of the {output}.").format(output=output_words(expl.output))


def format_output(value: float, space: str) -> str:
    """A prediction as a reader reads it: "64%" for a probability, 172,000 or 0.518 otherwise."""
    if space == SPACE_PROBABILITY:
        return format_share(min(max(float(value), 0.0), 1.0))
    return _plain(float(value))


def format_output_pair(old: float, new: float, space: str) -> tuple[str, str]:
    """Two predictions written so that a change shows: a probability change under one point gets one
    decimal on both ends ("57.3%" to "57.2%", never "57%" to "56%" beside "-0.1 pts"), and more
    decimals when one is not enough to tell them apart."""
    if space != SPACE_PROBABILITY or abs(float(new) - float(old)) >= 0.01:
        return format_output(old, space), format_output(new, space)
    old_p, new_p = (100.0 * min(max(float(v), 0.0), 1.0) for v in (old, new))
    for digits in (1, 2, 3):
        pair = format_as(old_p, f".{digits}f") + "%", format_as(new_p, f".{digits}f") + "%"
        if pair[0] != pair[1]:
            return pair
    return pair


@localized
def format_effect(value: float, space: str) -> str:
    """An effect with its sign: "+12.3 pts" in probability points, "+1,204" or "-0.52" otherwise
    ("+12,3 pts" in Portuguese)."""
    value = float(value)
    if space == SPACE_PROBABILITY:
        points = 100.0 * value
        if abs(points) < 0.001:  # nothing to sign: never "-0.0"
            return "0.0 pts"
        text = f"{abs(points):.1f}" if abs(points) >= 0.05 else f"{abs(points):.3f}".rstrip("0")
        return f"{'-' if points < 0 else '+'}{text} pts"
    text = _plain(abs(value))
    if text == "0":
        return text
    return f"{'-' if value < 0 else '+'}{text}"


def _plain(value: float) -> str:
    """format_statistic, and tiny values written out rather than in e-notation."""
    if abs(value) < 1e-8:
        return "0"
    if abs(value) < 0.001:
        return f"{value:.8f}".rstrip("0").rstrip(".")
    return format_statistic(value)
