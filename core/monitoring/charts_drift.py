"""The stronger drift signals drawn, each with the one sentence that says what it means: the domain
classifier's ROC-AUC per window against its chance threshold (multivariate drift, with the columns
behind it), and the last window's drift ranked by the model's importance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.formatting import format_number, format_share, format_significant
from core.i18n import _, ngettext
from core.monitoring.importance import BARELY_USED_SHARE
from core.style import BAD, GOOD, HEIGHT_WINDOWS, LINE, MUTED, WARN, plot_texts, style_figure


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return style_figure(fig, title=title, height=HEIGHT_WINDOWS, xaxis_visible=False, yaxis_visible=False)


def plot_domain_drift(domain_df: pd.DataFrame) -> go.Figure:
    """ROC-AUC of the classifier telling each window from the reference, with chance's threshold."""
    title = _("Multivariate drift (ROC-AUC)")
    if domain_df.empty:
        return _empty(title, _("No multivariate check in this report."))
    windows = [_("Window {n}").format(n=w) for w in domain_df["window"]]
    fig = go.Figure()
    fig.add_bar(
        x=windows,
        y=domain_df["auc"],
        marker_color=[BAD if d else GOOD for d in domain_df["drifted"]],
        name="ROC-AUC",
        hovertemplate="%{x}: ROC-AUC %{y:.3f}<extra></extra>",
    )
    fig.add_scatter(
        x=windows,
        y=domain_df["threshold"],
        mode="lines+markers",
        line={"dash": "dash", "color": LINE},
        name=_("chance reaches at most"),
        hovertemplate=_("%{x}: chance reaches %{y:.3f}") + "<extra></extra>",
    )
    fig.add_hline(
        y=0.5,
        line_dash="dot",
        line_color=MUTED,
        annotation_text=_("{value}: indistinguishable").format(value=format_significant(0.5)),
    )
    return style_figure(
        fig,
        title=title,
        height=HEIGHT_WINDOWS,
        yaxis={"range": [max(0.0, min(0.3, float(domain_df["auc"].min()) - 0.05)), 1.0], "title": "ROC-AUC"},
    )


def caption_domain_drift(domain_df: pd.DataFrame, features_df: pd.DataFrame) -> str:
    """One sentence: which windows a model tells apart from the training data, and by which columns."""
    if domain_df.empty:
        return _("This report has no multivariate check (it was made before the check existed, or had no inputs).")
    drifted = domain_df[domain_df["drifted"]]
    if drifted.empty:
        best = domain_df.loc[domain_df["auc"].idxmax()]
        return _(
            "No window can be told from the training data better than chance (highest ROC-AUC {auc} in window "
            "{window}): the columns still go together as they did in training."
        ).format(auc=format_number(best["auc"]), window=int(best["window"]))
    last = drifted.iloc[-1]
    top = features_df[features_df["window"] == last["window"]].head(3)
    names = ", ".join(top.loc[top["importance"] > 0, "feature"].astype(str)) or _("no single column")
    windows = ", ".join(str(int(w)) for w in drifted["window"])
    return ngettext(
        "A model tells window {windows} apart from the training data (ROC-AUC {auc} in window {window}, chance "
        "reaches {chance}), mostly by {names}: the rows changed as a whole, even where no single column's test "
        "says so.",
        "A model tells windows {windows} apart from the training data (ROC-AUC {auc} in window {window}, chance "
        "reaches {chance}), mostly by {names}: the rows changed as a whole, even where no single column's test "
        "says so.",
        len(drifted),
    ).format(
        windows=windows,
        auc=format_number(last["auc"]),
        window=int(last["window"]),
        chance=format_number(last["threshold"]),
        names=names,
    )


def plot_drift_by_importance(ranked_df: pd.DataFrame) -> go.Figure:
    """The last window's PSI per feature, ordered as ranked (drifted and important first), coloured by
    whether it drifted and faded where the model barely uses the feature."""
    title = _("Drift against what the model uses (last window)")
    if ranked_df.empty:
        return _empty(title, _("No features monitored."))
    shown = ranked_df.head(15).iloc[::-1]
    colours = [
        MUTED if used else (BAD if drifted else GOOD) for used, drifted in zip(shown["barely_used"], shown["drifted"])
    ]
    importance = [
        _("importance unknown") if np.isnan(v) else _("{share} of the model's importance").format(share=format_share(v))
        for v in shown["importance"]
    ]
    fig = go.Figure(
        go.Bar(
            x=shown["psi"],
            y=plot_texts(shown["feature"].astype(str)),
            orientation="h",
            marker_color=colours,
            customdata=importance,
            hovertemplate="%{y}: PSI %{x:.2f}, %{customdata}<extra></extra>",
        )
    )
    fig.add_vline(
        x=0.25,
        line_dash="dash",
        line_color=WARN,
        annotation_text=_("major ({psi})").format(psi=format_significant(0.25)),
    )
    return style_figure(fig, title=title, height=HEIGHT_WINDOWS, xaxis_title="PSI")


def caption_drift_by_importance(ranked_df: pd.DataFrame) -> str:
    """One sentence: which drifted features matter to the model, and which do not."""
    drifted = ranked_df[ranked_df["drifted"]]
    if ranked_df["importance"].isna().all():
        return _(
            "The model's importance is unknown (its training run was not explained), so every drifted feature "
            "counts toward retraining."
        )
    if drifted.empty:
        return _("No feature drifted in the last window, whatever its importance to the model.")
    used, unused = drifted[~drifted["barely_used"]], drifted[drifted["barely_used"]]
    parts = []
    if len(used):
        listed = ", ".join(
            _("{feature} ({share} of the model's importance)").format(feature=f, share=format_share(s))
            for f, s in zip(used.feature, used.importance)
        )
        parts.append(_("drift that matters: {features}").format(features=listed))
    if len(unused):
        parts.append(
            ngettext(
                "{features} drifted but the model barely uses it (under {share} of its importance), which is no "
                "reason to retrain",
                "{features} drifted but the model barely uses them (under {share} of its importance), which is no "
                "reason to retrain",
                len(unused),
            ).format(features=", ".join(unused["feature"]), share=format_share(BARELY_USED_SHARE))
        )
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
