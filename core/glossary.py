"""Names people read, and one plain sentence for each term: the words a page shows instead of our keys.

- ``strategy_label`` — a routing strategy's key ("blue_green") as a person says it ("blue-green").
- ``validation_label`` — a validation key ("stratified-kfold") as words ("stratified k-fold").
- ``column_label`` / ``readable_columns`` — a table's column key ("mean_latency_ms") as a header
  ("mean latency (ms)"): metric keys through ``core.problem.definition.get_metric_label`` (the one
  home of metric names), units from the suffix, underscores as spaces.
- ``explain`` / ``GLOSSARY`` — a term ("ROC-AUC", "PSI", "canary", ...) as one plain sentence, shown
  as a tooltip (``help=``) wherever the term labels a metric, a widget or a column.

The keys themselves (in the database, the CLI's JSON, the API) never change: only what people read.
Imports nothing but the metric names, so core and ui may both use it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import pandas as pd

from core.i18n import LANGUAGES, N_, _, current_language, use_language
from core.i18n.table_words import TABLE_WORDS
from core.problem.definition import METRIC_LABELS, get_metric_label

STRATEGY_LABELS = {
    "single": N_("single"),
    "canary": N_("canary"),
    "shadow": N_("shadow"),
    "blue_green": N_("blue-green"),
    "ab": N_("A/B test"),
}

VALIDATION_LABELS = {
    "auto": N_("automatic"),
    "stratified-kfold": N_("stratified k-fold"),
    "kfold": N_("k-fold"),
    "time-split": N_("time split"),
    "group-kfold": N_("group k-fold"),
    "stratified-split": N_("stratified split"),
}

# Column keys whose plain words are not just the key with spaces.
COLUMN_LABELS = {
    "pvalue": N_("p-value"),
    "p_value": N_("p-value"),
    "psi": N_("PSI"),
    "mean_latency_ms": N_("mean latency (ms)"),
    "p50_latency_ms": N_("median latency (ms)"),
    "p95_latency_ms": N_("95th percentile latency (ms)"),
    "p99_latency_ms": N_("99th percentile latency (ms)"),
    "error_rate": N_("error rate"),
    "rejection_rate": N_("rejection rate"),
    "new_share": N_("share of new categories"),
    "drift_pvalue": N_("drift p-value"),
    "requests_per_second": N_("requests a second"),
    "fit_time": N_("training time (s)"),
    "decision_threshold": N_("decision threshold"),
    "run_id": N_("run"),
    "n_rows": N_("rows"),
    "predict_ms_per_row": N_("ms per row"),
    "fit_seconds": N_("fit seconds"),
    "cv_score": N_("CV score"),
}
_UNIT_SUFFIXES = {"_ms": "ms", "_s": "s", "_seconds": "s", "_pct": "%", "_mb": "MB", "_kb": "KB"}

# One plain sentence per term, for a reader who is not a data scientist. Keys are the words shown.
GLOSSARY = {
    "ROC-AUC": N_("How well the model ranks a real positive above a real negative: 0.5 is guessing, 1 is perfect."),
    "PR-AUC": N_("Average precision over every threshold; guessing scores the share of positives, 1 is perfect."),
    "F1": N_("The balance of precision and recall in one number (their harmonic mean), from 0 to 1."),
    "F1 (macro)": N_("F1 worked out for each class and averaged, so a rare class counts as much as a common one."),
    "accuracy": N_("The share of rows the model labels correctly."),
    "balanced accuracy": N_("The share caught in each class, averaged over the classes: fair when one class is rare."),
    "precision": N_("Of the rows the model flags, the share that really are positive."),
    "recall": N_("Of the real positives, the share the model flags."),
    "log loss": N_("How much confident wrong probabilities are penalised: lower is better, 0 is perfect."),
    "R²": N_("The share of the target's variation the model explains: 1 is perfect, 0 is no better than the average."),
    "RMSE": N_(
        "The typical size of an error in the target's units, with large errors weighing more (lower is better)."
    ),
    "MAPE": N_("The average error as a share of the true value (lower is better)."),
    "MAE": N_("The average size of an error in the target's units (lower is better)."),
    "PSI": N_(
        "Population stability index: how far a column's distribution moved from the training data "
        "(under 0.1 little, over 0.25 a lot)."
    ),
    "drift": N_("The live data no longer looks like the data the model learned from, so its answers may get worse."),
    "p-value": N_("How likely a difference this large is by chance alone: under 0.05 is usually taken as real."),
    "canary": N_("A small, growing share of live requests goes to the new model, rolled back if it does worse."),
    "shadow": N_("The new model scores the same live requests silently; only the current model's answers are used."),
    "blue-green": N_(
        "Two full environments stand ready and traffic switches between them at once, so going back is instant."
    ),
    "A/B test": N_("Each user is assigned for good to one of the two models, so their results can be compared fairly."),
    "single": N_("Every request is answered by the champion model alone."),
    "champion": N_("The model version serving real requests now."),
    "challenger": N_("A newer model version being tried against the champion before it can replace it."),
    "gate": N_("The go/no-go check a model must pass (its score, fairness and speed) before it can be registered."),
    "SHAP": N_("How much each column pushed one prediction up or down from the average prediction."),
    "calibration": N_(
        "Whether predicted probabilities come true as often as they say: of rows given 70%, about 70% should be positive."
    ),
    "decision threshold": N_(
        "The probability above which a row is flagged positive; chosen to keep the cost of mistakes lowest."
    ),
    "stratified k-fold": N_(
        "The training rows are cut into k parts that each keep the class mix; each part is held out once."
    ),
    "k-fold": N_("The training rows are cut into k random parts; each part is held out once to score the model."),
    "group k-fold": N_("Like k-fold, but all rows of one entity (e.g. a customer) stay in the same part."),
    "time split": N_("The model learns from the older rows and is scored on the latest ones, as it will be used."),
    "latency": N_("The time the service takes to answer one request."),
    "error rate": N_("The share of requests that got an error instead of a prediction."),
    "lineage": N_(
        "What a model version was made from: the data version, the cleaning recipe, the features and the run."
    ),
}
_GLOSSARY_KEYS = {k.lower(): k for k in GLOSSARY}


def strategy_label(strategy: str) -> str:
    """A routing strategy's key as a person says it: "blue_green" → "blue-green", "ab" → "A/B test"."""
    return _(STRATEGY_LABELS[strategy]) if strategy in STRATEGY_LABELS else strategy.replace("_", " ")


def validation_label(validation: str) -> str:
    """A validation key as words: "stratified-kfold" → "stratified k-fold"."""
    if validation in VALIDATION_LABELS:
        return _(VALIDATION_LABELS[validation])
    return validation.replace("-", " ").replace("_", " ")


def column_label(column: object) -> str:
    """A table column's key as a header a person reads: "mean_latency_ms" → "mean latency (ms)",
    "roc_auc" → "ROC-AUC". Anything that is not a snake_case key (a user's own column) is kept as it is."""
    text = str(column)
    if text in COLUMN_LABELS:
        return _(COLUMN_LABELS[text])
    if text in METRIC_LABELS:
        return get_metric_label(text)
    if text.replace("_", " ") in TABLE_WORDS:  # our own keys ("made_from", "last error") in the reader's language
        return _(TABLE_WORDS[text.replace("_", " ")])
    if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", text):
        return text
    for suffix, unit in _UNIT_SUFFIXES.items():
        if text.endswith(suffix):
            return f"{column_label(text[: -len(suffix)])} ({unit})"
    return text.replace("_", " ")


def readable_columns(df: pd.DataFrame, keep: Iterable[str] = ()) -> pd.DataFrame:
    """``df`` with our column keys as readable headers (``keep``: columns named by the user, left alone)."""
    kept = set(keep)
    return df.rename(columns={c: column_label(c) for c in df.columns if c not in kept})


def explain(term: str) -> str | None:
    """The plain sentence for ``term`` (a label as shown, in English or in the current language, or a
    metric/strategy key) in the current language, or None."""
    key = _GLOSSARY_KEYS.get(str(term).lower())
    if key is None:
        for label in (get_metric_label(str(term)), strategy_label(str(term)), validation_label(str(term))):
            key = key or _GLOSSARY_KEYS.get(label.lower()) or _translated_keys().get(label.lower())
    return _(GLOSSARY[key]) if key else None


def _translated_keys() -> dict[str, str]:
    """The glossary's terms as the current language writes them (a header shown translated) -> key."""
    return _translated_keys_in(current_language())


@functools.lru_cache(maxsize=len(LANGUAGES))
def _translated_keys_in(language: str) -> dict[str, str]:
    # Built once per language: a table's headers asked for it ~50 times a rerun (0.05 s on Data).
    with use_language(language):
        return {_(k).lower(): k for k in GLOSSARY}
