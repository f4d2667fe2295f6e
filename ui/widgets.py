"""Small Streamlit helpers shared by pages: charts with their sentence, errors, job progress."""

from __future__ import annotations

import datetime
import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from typing import Any, cast

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.formatting import is_year_name, uses_decimal_comma
from core.glossary import explain, readable_columns
from core.i18n import _, current_language
from core.problem.definition import METRIC_LABELS, get_metric_label
from core.style import number_axes
from core.workspace.errors import StudioError
from core.workspace.jobs import get_job
from ui.layout import column_share
from ui.presenter import PRESENT_KEY, present_figure
from ui.text import escape_markdown

FLASH_KEY = "flash_message"


def chart(fig, sentence: str, key: str | None = None) -> None:
    """Every chart carries one plain sentence of what it means (plain text: it may quote column and
    category names, so it is escaped). Numeric axes get the studio's number format (no e-notation),
    written the language's way (``language_axes``), in the screen's style (presenter or not).

    The styled figure is kept for every session (``styled_figure``): styling goes through plotly's
    checked properties and took 30-90 ms a chart, on every rerun of every student."""
    st.plotly_chart(styled_figure(fig), width="stretch", key=key)
    st.caption(escape_markdown(sentence))


_styled: OrderedDict = OrderedDict()  # (figure fingerprint, look, language) -> styled figure dict
_styled_lock = threading.Lock()
MAX_STYLED = 256


class _StyledFigure(go.Figure):
    """A figure already styled, as the plain dict plotly would make of it: ``st.plotly_chart`` only
    calls ``to_dict()`` on a figure, so it is drawn without plotly checking every property again.
    The dict is shared by sessions and never changed (its traces carry no ``uid``, the one key
    ``plotly.io.to_json`` removes)."""

    def __init__(self, spec: dict) -> None:  # no BaseFigure.__init__: nothing is validated
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec

    def to_plotly_json(self) -> dict:
        return self._spec


def _fingerprint(fig) -> str | None:
    """A digest of what ``fig`` holds (its traces and layout as plotly stores them), or None when
    they cannot be pickled (then the chart is styled the uncached way)."""
    try:
        raw = pickle.dumps((fig._data, fig._layout), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an odd value in a trace: style it every time, as before
        return None
    return hashlib.blake2b(raw, digest_size=20).hexdigest()


def styled_figure(fig):
    """``fig`` in the studio's look for this run (presenter or normal look, the width of the column it
    is drawn in, the language's numbers and dates), computed once per figure content and look and
    shared by every session; ``fig`` itself is never changed."""
    if not isinstance(fig, go.Figure):
        return language_axes(number_axes(present_figure(fig)))
    digest = _fingerprint(fig)
    if digest is None:
        return language_axes(number_axes(present_figure(go.Figure(fig))))
    key = (digest, bool(st.session_state.get(PRESENT_KEY, False)), column_share(), current_language())
    with _styled_lock:
        spec = _styled.get(key)
        if spec is not None:
            _styled.move_to_end(key)
    if spec is None:
        # A copy is styled: the figure may be shared by sessions (``ui.cache.shared``).
        spec = language_axes(number_axes(present_figure(go.Figure(fig)))).to_dict()
        for trace in spec.get("data", []):
            trace.pop("uid", None)
        with _styled_lock:
            _styled[key] = spec
            while len(_styled) > MAX_STYLED:
                _styled.popitem(last=False)
    return _StyledFigure(spec)


#: Date ticks and hover labels in Portuguese: dd/mm/aaaa (English keeps plotly's own dates).
PT_DATE_FORMAT = "%d/%m/%Y"


def language_axes(fig):
    """``fig`` with numbers and dates written the current language's way: in Portuguese plotly's
    ``separators`` become ",." (decimal comma, thousands point: the d3 formats of
    ``core.style.number_axes`` stay and follow them) and date axes read dd/mm/aaaa. English: as it is."""
    if not uses_decimal_comma():
        return fig
    fig.update_layout(separators=",.")
    for trace in fig.data:
        for letter in ("x", "y"):
            if f"{letter}axis" not in trace or letter not in trace or trace[letter] is None:
                continue
            if not _holds_dates(trace[letter]):
                continue
            ref = getattr(trace, f"{letter}axis", None) or letter
            axis = fig.layout[f"{letter}axis{ref[1:]}"]
            if not axis.tickformat:
                axis.update(tickformat=PT_DATE_FORMAT)
            if not axis.hoverformat:
                axis.update(hoverformat=PT_DATE_FORMAT)
    return fig


def _holds_dates(values: Any) -> bool:
    try:
        array = np.asarray(values)
    except Exception:  # ragged or odd values: not a date axis we know
        return False
    if array.size == 0:
        return False
    if array.dtype.kind == "M":
        return True
    first = array.ravel()[0]
    return isinstance(first, (pd.Timestamp, np.datetime64, datetime.date))


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
    ``keep``: columns named by the user (their own column names), shown as they are.

    Numbers per language: st.dataframe formats numbers in the browser (printf formats such as
    "%.3f" always write a decimal point; "localized" follows the browser's locale, it cannot be
    told ours). In Portuguese every number column is therefore "localized" (a Brazilian browser
    writes 1.234,5), scores rounded to three decimals in the data so they still sit alike; the
    values stay numbers, so the table still sorts by them. English is as it always was."""
    shown = readable_columns(df, keep=keep)
    config = dict(kwargs.pop("column_config", None) or {})
    decimal_comma = uses_decimal_comma()
    for key, column in zip(df.columns, shown.columns):
        sentence = explain(str(column))
        if column in config:
            continue
        # Scores (a metric, a CV score) to three decimals, so 0.825 and 0.8333 sit alike in a column;
        # errors in the target's units (an RMSE of 42,000) with thousands separators instead.
        is_score = str(key) in METRIC_LABELS or str(key) == "cv_score" or str(key).startswith("CV ")  # i18n: skip
        if is_score and pd.api.types.is_float_dtype(df[key]):
            large = bool((df[key].abs() >= 100).any())
            if decimal_comma and not large:
                shown[column] = shown[column].round(3)
            config[column] = st.column_config.NumberColumn(
                help=sentence or None, format="localized" if large or decimal_comma else "%.3f"
            )
        elif (
            decimal_comma
            and pd.api.types.is_numeric_dtype(df[key])
            and not pd.api.types.is_bool_dtype(df[key])
            and not is_year_name(key)  # years stay 2021, not 2.021
        ):
            config[column] = st.column_config.NumberColumn(help=sentence or None, format="localized")
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
            stored = job["message"]  # stored in the language of the job's starter, or our English
            st.progress(job["progress"], text=escape_markdown(_(stored) if stored else _("Working…")))
            if while_running is not None:
                while_running(job)
        elif st.session_state.get(f"job_seen_{job_id}") != job["status"]:
            st.session_state[f"job_seen_{job_id}"] = job["status"]
            st.rerun(scope="app")

    job = get_job(ws, job_id)
    if job["status"] == "running":
        _poll()
    elif job["status"] == "failed" or job["status"] == "interrupted":
        error = job["error"]
        st.error(escape_markdown(_(error)))
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
        _("Experiment"),
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
        return _("{name} (predicts {target})").format(name=name, target=problem.target) if problem else name

    current = get_model_name(ws, project_id)
    assert current is not None  # names is not empty, so some model is registered
    # Keyed by the names, so a newly registered model is offered (and chosen when it is the current problem's).
    return st.selectbox(
        _("Model"),
        names,
        index=names.index(current),
        format_func=label,
        key=f"{key}_{'|'.join(names)}",
        help=_(
            "Each model answers one problem (target, task, positive class); changing the target "
            "on the Problem page starts a new model."
        ),
    )
