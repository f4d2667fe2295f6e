"""What-if: one row before and after its values were edited, side by side — what changed, how the
prediction moved and which feature's effect moved most. Pure functions of two one-row explanations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.explain.probability import format_effect, format_output, get_space
from core.explain.result import Explanation
from core.formatting import format_feature_value


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


def caption_whatif(comparison: pd.DataFrame, before: Explanation, after: Explanation) -> str:
    """One sentence: how the prediction moved, what was edited and whose effect moved most."""
    space = get_space(after)
    old, new = float(before.predictions.iloc[0]), float(after.predictions.iloc[0])
    start = f"The {after.output} moves from {format_output(old, space)} to {format_output(new, space)}"
    edited = list(comparison.loc[comparison["changed"], "feature"])
    if not edited:
        return f"Nothing was changed yet: the {after.output} stays at {format_output(old, space)}; edit a value above."
    start += f" ({format_effect(new - old, space)})"
    names = ", ".join(edited[:3]) + (f" and {len(edited) - 3} more" if len(edited) > 3 else "")
    top = comparison.iloc[0]
    moved = (
        f"; {top['feature']}'s effect moved most ({format_effect(top['change in effect'], space)})"
        if abs(top["change in effect"]) > 0
        else ""
    )
    return f"{start} after changing {names}{moved}."


def format_whatif_df(comparison: pd.DataFrame, space: str) -> pd.DataFrame:
    """The edited features of ``get_whatif_df`` for reading: effects as text in their unit
    ("+12.3 pts" for probability points)."""
    edited = comparison[comparison["changed"]].drop(columns=["changed"]).copy()
    for column in ("effect before", "effect after", "change in effect"):
        edited[column] = [format_effect(v, space) for v in edited[column]]
    return edited.reset_index(drop=True)
