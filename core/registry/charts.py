"""The Registry page's table and sentences: the versions as a reviewer reads them (readable headers,
the columns that matter first) and what the table shows. Presentation only; the registry's data
comes from ``versions``.
"""

from __future__ import annotations

import pandas as pd

from core.formatting import format_value
from core.glossary import column_label
from core.i18n import _
from core.problem.definition import METRIC_LABELS, get_metric_label

# The columns a reviewer reads first, in this order (the problem's own metric last among them).
FIRST_COLUMNS = ("version", "stage", "aliases", "family", "decision threshold", "cv_score")


def get_versions_table(versions: pd.DataFrame, metric: str | None) -> tuple[pd.DataFrame, list[str]]:
    """(the versions with readable headers, the column order to show): the columns a reviewer reads
    first, then the rest (run, hash, all metrics), without the ids. ``metric`` is the problem's."""
    headers = {
        **{c: column_label(c) for c in versions if c not in ("id", "model")},
        "cv_score": _("CV score"),
        **{c: _("holdout {metric}").format(metric=get_metric_label(c)) for c in versions if c in METRIC_LABELS},
    }
    first = [headers.get(c, c) for c in (*FIRST_COLUMNS, metric) if c is not None and c in versions]
    # Scores to three decimals, so a CV score (0.8295) and a holdout one (0.853) read alike.
    scores = [c for c in versions if c == "cv_score" or c in METRIC_LABELS]
    shown = versions.assign(**{c: pd.to_numeric(versions[c], errors="coerce").round(3) for c in scores})
    shown = shown.rename(columns=headers)
    return shown, first + [c for c in shown if c not in first and c not in ("id", "model")]


def caption_versions(versions: pd.DataFrame) -> str:
    """Under the versions table: what the hash is for and, for yes/no models, what the threshold means."""
    text = _(
        "Every registered version with its scores and the first characters of its file's SHA-256: the file "
        "is checked against this hash before it is ever loaded."
    )
    if "decision threshold" in versions:
        text += " " + _(
            "A yes/no model's decision threshold is the score from which the endpoint answers yes; the scores "
            "shown (precision, recall, F1) are at {half}."
        ).format(half=format_value(0.5))
    return text
