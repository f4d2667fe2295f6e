"""What-if: one row before and after its values were edited, side by side — what changed, how the
prediction moved and how the edited features' own effects moved (in the model's own scale, where an
additive model keeps the other features' effects still). Pure functions of two one-row explanations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.explain.probability import (
    SPACE_PROBABILITY,
    explained_label,
    format_effect,
    format_output,
    format_output_pair,
    get_space,
    has_probabilities,
    output_words,
)
from core.explain.result import Explanation
from core.explain.rows import InputField
from core.formatting import format_feature_value
from core.i18n import N_, _


def get_whatif_df(
    before: Explanation, after: Explanation, before_row: pd.DataFrame, after_row: pd.DataFrame
) -> pd.DataFrame:
    """One line per explained feature: value before and after (text), effect before and after and
    its change (in the explanations' own unit), and whether the value was edited. Sorted by the
    size of the change in effect, largest first."""
    features = list(before.shap_df.columns)
    effect_before = before.shap_df.iloc[0].reindex(features).fillna(0.0)
    effect_after = after.shap_df.iloc[0].reindex(features).fillna(0.0)
    rows = []
    for feature in features:
        old = before_row.iloc[0][feature] if feature in before_row.columns else np.nan
        new = after_row.iloc[0][feature] if feature in after_row.columns else np.nan
        old_text, new_text = format_feature_value(old), format_feature_value(new)
        rows.append(
            {
                "feature": feature,
                "before": old_text,
                "after": new_text,
                "effect before": float(effect_before[feature]),
                "effect after": float(effect_after[feature]),
                "change in effect": float(effect_after[feature] - effect_before[feature]),
                "changed": old_text != new_text,
            }
        )
    table = pd.DataFrame(rows)
    order = table["change in effect"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


def get_prediction(expl: Explanation) -> tuple[float, str]:
    """(the explained row's prediction as a reader reads it, its space): the model's probability when
    the explanation carries it, else the explanation's own output."""
    if has_probabilities(expl):
        return float(expl.meta["probabilities"][0]), SPACE_PROBABILITY
    return float(expl.predictions.iloc[0]), get_space(expl)


def find_out_of_range(fields: Sequence[InputField], after_row: pd.DataFrame, edited: Sequence[str]) -> list[str]:
    """One sentence per edited number outside the range the data holds (the field's minimum and
    maximum): the model never saw such a value, so its prediction there is extrapolation."""
    notes = []
    for spec in fields:
        if spec.name not in edited or spec.minimum is None or spec.maximum is None:
            continue
        cell = after_row.iloc[0][spec.name]
        value = pd.to_numeric(pd.Series([cell]), errors="coerce").iloc[0]
        if pd.notna(value) and not spec.minimum <= float(value) <= spec.maximum:
            notes.append(
                _(
                    "Careful: {name} = {feature_value} is outside the values the data holds ({feature_value2} to {feature_value3}); the model never saw such a value, so this prediction is a guess."
                ).format(
                    name=spec.name,
                    feature_value=format_feature_value(cell),
                    feature_value2=format_feature_value(spec.minimum),
                    feature_value3=format_feature_value(spec.maximum),
                )
            )
    return notes


def caption_whatif(
    before: Explanation,
    after: Explanation,
    before_row: pd.DataFrame,
    after_row: pd.DataFrame,
    fields: Sequence[InputField] = (),
) -> str:
    """Sentences led by the edit: what was changed, how the prediction moved, and the edited features'
    own effect, compared in the model's own scale (``before``/``after``: explanations as the explainer
    made them, log-odds for a logistic model). There an additive model keeps every unchanged feature's
    effect as it was; in probability points the change is re-split among all features, so unchanged
    ones would seem to move. A warning follows for an edited number outside the data's range."""
    native = get_whatif_df(before, after, before_row, after_row)
    (old, _old_space), (new, space) = get_prediction(before), get_prediction(after)
    output = (
        _("probability of {label}").format(label=explained_label(after))
        if space == SPACE_PROBABILITY
        else output_words(after.output)
    )
    edited = native[native["changed"]]
    if edited.empty:
        return _("Nothing was changed yet: the {output} stays at {output2}; edit a value above.").format(
            output=output, output2=format_output(old, space)
        )
    changes = [
        _("{feature} from {before} to {after}").format(feature=r.feature, before=r.before, after=r.after)
        for r in edited.head(3).itertuples()
    ]
    more = _(" and {value} more").format(value=len(edited) - 3) if len(edited) > 3 else ""
    what = (", ".join(changes[:-1]) + " and " + changes[-1] if len(changes) > 1 else changes[0]) + more
    old_text, new_text = format_output_pair(old, new, space)
    sentence = _("After changing {what}, the {output} moves from {old_text} to {new_text}").format(
        what=what, output=output, old_text=old_text, new_text=new_text
    )
    sentence += f" ({format_effect(new - old, space)})." if abs(new - old) > 0 else _(" (no change).")
    own = get_space(after)
    parts = [
        _("{feature}'s effect changed by {effect}").format(feature=r.feature, effect=format_effect(r.change, own))
        for r in edited.head(3).rename(columns={"change in effect": "change"}).itertuples()
    ]
    effects = "; ".join(parts)
    sentence += (
        _(" In the model's own scale ({own}), {effects}").format(own=own, effects=effects)
        if own != space
        else f" {effects[0].upper()}{effects[1:]}"
    )
    others = native[~native["changed"]]
    biggest = float(edited["change in effect"].abs().max())
    moved = others[others["change in effect"].abs() > max(1e-9, 1e-6 * biggest)]
    if moved.empty:
        sentence += _("; every other feature's effect stays as it was.")
    else:
        top = moved.iloc[0]
        sentence += _(
            "; other features' effects moved too (most: {feature}, {effect}), because this model combines features."
        ).format(feature=top["feature"], effect=format_effect(top["change in effect"], own))
    notes = find_out_of_range(fields, after_row, list(edited["feature"]))
    return " ".join([sentence, *notes])


def format_whatif_df(comparison: pd.DataFrame, space: str) -> pd.DataFrame:
    """The edited features of ``get_whatif_df`` for reading: effects as text in their unit
    ("+12.3 pts" for probability points)."""
    edited = comparison[comparison["changed"]].drop(columns=["changed"]).copy()
    for column in ("effect before", "effect after", "change in effect"):  # i18n: skip (columns)
        edited[column] = [format_effect(v, space) for v in edited[column]]
    return edited.reset_index(drop=True).rename(columns={k: _(v) for k, v in _WHATIF_HEADERS.items()})


# The what-if table's columns as people read them.
_WHATIF_HEADERS = {
    "feature": N_("feature"),
    "before": N_("before"),
    "after": N_("after"),
    "effect before": N_("effect before"),
    "effect after": N_("effect after"),
    "change in effect": N_("change in effect"),
}
