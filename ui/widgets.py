"""Small Streamlit helpers shared by pages: charts with their sentence, errors, job progress."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from typing import Any, cast

import pandas as pd
import streamlit as st

from core.glossary import explain, readable_columns
from core.problem.definition import METRIC_LABELS, get_metric_label
from core.style import number_axes
from core.workspace.errors import StudioError
from core.workspace.jobs import get_job
from ui.presenter import present_figure
from ui.text import escape_markdown

FLASH_KEY = "flash_message"


def chart(fig, sentence: str, key: str | None = None) -> None:
    """Every chart carries one plain sentence of what it means (plain text: it may quote column and
    category names, so it is escaped). Numeric axes get the studio's number format (no e-notation)."""
    st.plotly_chart(number_axes(present_figure(fig)), width="stretch", key=key)
    st.caption(escape_markdown(sentence))


def anchor(name: str) -> None:
    """An invisible target for a link to this place of the page (``[see it](#name)``). ``name`` is one of
    ours (a chart key), never user text: it goes into the HTML as it is."""
    st.markdown(f'<div id="{name}"></div>', unsafe_allow_html=True)


@contextmanager
def user_errors():
    """Show domain errors as a plain message instead of a traceback; the page keeps running. The
    message is escaped: it often quotes a column or file name."""
    try:
        yield
    except StudioError as exc:
        st.error(escape_markdown(exc))


def flash(kind: str, markdown: str) -> None:
    """A confirmation to show after the rerun an action ends with (``kind``: success, info, warning,
    error); ``markdown`` must have its user text escaped already."""
    st.session_state[FLASH_KEY] = (kind, markdown)


def show_flash() -> None:
    """Show, once, the confirmation the previous run left."""
    if FLASH_KEY in st.session_state:
        kind, markdown = st.session_state.pop(FLASH_KEY)
        getattr(st, kind)(markdown)


def option_labels(labels: Mapping[Any, str]) -> Callable[[Any], str]:
    """``format_func`` for a select widget whose options are the keys of ``labels``.

    It is ``labels.get``: a value kept in session state from an earlier run that is no longer an
    option gets None, which Streamlit's option check does not find, so it resets the widget (a
    lookup that raised would make Streamlit match the stale label instead). Streamlit annotates
    ``format_func`` as returning str only, hence the cast."""
    return cast(Callable[[Any], str], labels.get)


def term_help(term: str) -> str | None:
    """The glossary's plain sentence for ``term`` (a label as shown, or a metric/strategy key), for a
    widget's or a metric's ``help=`` tooltip; None (no tooltip) for a term it does not know."""
    return explain(term)


def metric_help(metrics: Iterable[str]) -> str | None:
    """A metric picker's tooltip: one line per choice, "ROC-AUC: ...", from the glossary."""
    lines = [f"**{get_metric_label(m)}**: {explain(m)}" for m in metrics if explain(m)]
    return "\n\n".join(lines) or None


def readable_table(df: pd.DataFrame, keep: Iterable[str] = (), **kwargs: Any) -> None:
    """``st.dataframe`` with our column keys as headers people read ("mean_latency_ms" → "mean latency
    (ms)", "roc_auc" → "ROC-AUC") and the glossary's sentence as each known header's tooltip.
    ``keep``: columns named by the user (their own column names), shown as they are."""
    shown = readable_columns(df, keep=keep)
    config = dict(kwargs.pop("column_config", None) or {})
    for key, column in zip(df.columns, shown.columns):
        sentence = explain(str(column))
        if column in config:
            continue
        # Scores (a metric, a CV score) to three decimals, so 0.825 and 0.8333 sit alike in a column;
        # errors in the target's units (an RMSE of 42,000) with thousands separators instead.
        is_score = str(key) in METRIC_LABELS or str(key) == "cv_score" or str(key).startswith("CV ")
        if is_score and pd.api.types.is_float_dtype(df[key]):
            large = bool((df[key].abs() >= 100).any())
            config[column] = st.column_config.NumberColumn(
                help=sentence or None, format="localized" if large else "%.3f"
            )
        elif sentence:
            config[column] = st.column_config.Column(help=sentence)
    kwargs.setdefault("hide_index", True)
    st.dataframe(shown, column_config=config, **kwargs)


def job_panel(
    ws,
    job_id: int | None,
    on_done: Callable[[dict], None] | None = None,
    while_running: Callable[[dict], None] | None = None,
) -> dict | None:
    """Show a job's progress, polling once a second while it runs (a fragment, so the rest of the
    page is not re-run); ``while_running(job)`` draws more inside it (a live chart). Calls
    on_done(job) once, in a full rerun, when it finishes."""
    if job_id is None:
        return None

    @st.fragment(run_every=1.0)
    def _poll():
        job = get_job(ws, job_id)
        if job["status"] == "running":
            st.progress(job["progress"], text=escape_markdown(job["message"] or "Working…"))
            if while_running is not None:
                while_running(job)
        elif st.session_state.get(f"job_seen_{job_id}") != job["status"]:
            st.session_state[f"job_seen_{job_id}"] = job["status"]
            st.rerun(scope="app")

    job = get_job(ws, job_id)
    if job["status"] == "running":
        _poll()
    elif job["status"] == "failed" or job["status"] == "interrupted":
        st.error(escape_markdown(job["error"]))
    elif job["status"] == "succeeded" and on_done is not None:
        on_done(job)
    return job


def experiment_picker(ws, project_id: int, key: str) -> dict | None:
    """Choose an experiment (newest first), opening on the champion's unless the user trained since;
    None when the project has none."""
    from core.stages.lab import get_default_experiment_id
    from core.training.tracking import list_experiments

    experiments = list_experiments(ws, project_id)
    if not experiments:
        return None
    by_id = {e["id"]: e for e in experiments}
    ids = list(by_id)
    default = get_default_experiment_id(ws, project_id)
    # Keyed by the newest id, so a freshly finished experiment is shown instead of a stale choice.
    chosen = st.selectbox(
        "Experiment",
        ids,
        format_func=lambda i: by_id[i]["label"],
        index=ids.index(default) if default in by_id else 0,
        key=f"{key}_{experiments[0]['id']}",
    )
    return by_id[chosen]


def model_name_picker(ws, project_id: int, key: str) -> str | None:
    """Choose one of the project's models (each answers one problem: a new target starts a new model).
    Starts on the model of the project's current problem, else the newest; None when none is registered."""
    from core.registry.versions import get_model_name, get_model_names, get_model_problem

    names = get_model_names(ws, project_id)
    if len(names) <= 1:
        return names[0] if names else None

    def label(name: str) -> str:
        problem = get_model_problem(ws, project_id, name)
        return f"{name} (predicts {problem.target})" if problem else name

    current = get_model_name(ws, project_id)
    assert current is not None  # names is not empty, so some model is registered
    # Keyed by the names, so a newly registered model is offered (and chosen when it is the current problem's).
    return st.selectbox(
        "Model",
        names,
        index=names.index(current),
        format_func=label,
        key=f"{key}_{'|'.join(names)}",
        help="Each model answers one problem (target, task, positive class); changing the target "
        "on the Problem page starts a new model.",
    )
