"""Cached loaders keyed by ids (artifacts never change once written, so ids are safe cache keys).

The spinners are ``st.spinner`` around the cached call rather than ``show_spinner="…"``: the
decorator's text would be fixed at import time, in English. ``st.spinner`` shows itself only after
half a second, so a cache hit draws nothing."""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st

from core.data import datasets
from core.data.reader import ReadOptions, read_table
from core.i18n import _, current_language
from core.monitoring.arms import get_arm_log_state
from core.stages.arms import ArmsReport, stage_arms
from core.workspace.database import Workspace, sha256_bytes

T = TypeVar("T")


@st.cache_data(show_spinner=False, max_entries=16)
def load_dataset(_ws: Workspace, ws_path: str, dataset_id: int) -> pd.DataFrame:
    return datasets.load_dataset(_ws, dataset_id)


def dataset(ws: Workspace, dataset_id: int) -> pd.DataFrame:
    # Cached frames are shared by sessions: hand out a copy so nobody mutates the cache.
    with st.spinner(_("Loading the table…")):
        frame = load_dataset(ws, str(ws.root), dataset_id)
    return frame.copy()


_uploads: OrderedDict = OrderedDict()  # (content hash, options) -> (frame, info); newest last
_uploads_lock = threading.Lock()
MAX_CACHED_UPLOADS = 2


def read_upload(data: bytes, options: ReadOptions, progress=None):
    """Parse uploaded bytes once per (content, options), with progress on the first read.

    A plain bounded dict rather than st.cache_*: cache_data would pickle a copy of a 200 MB frame,
    and Streamlit's cache replays element calls (the progress bar) on hits. Shared by sessions:
    callers must not mutate the frame."""
    key = (sha256_bytes(data), options)
    with _uploads_lock:
        if key in _uploads:
            _uploads.move_to_end(key)
            return _uploads[key]
    result = read_table(data, options, progress=progress)
    with _uploads_lock:
        _uploads[key] = result
        while len(_uploads) > MAX_CACHED_UPLOADS:
            _uploads.popitem(last=False)
    return result


@st.cache_data(show_spinner=False, max_entries=16)
def _profile(_ws: Workspace, ws_path: str, dataset_id: int, target: str | None, language: str):
    # ``language``: the profile's texts (top values: dates, shares) are written in the asker's language.
    from core.data.profiling import get_alerts_df, profile_table

    profile = profile_table(datasets.load_dataset(_ws, dataset_id), target=target)
    return profile, get_alerts_df(profile)


def profile(ws: Workspace, dataset_id: int, target: str | None):
    """(profile_df, alerts_df) of a dataset version; versions never change, so this is cached."""
    with st.spinner(_("Profiling every column…")):
        return _profile(ws, str(ws.root), dataset_id, target, current_language())


@st.cache_data(show_spinner=False, max_entries=16)
def _suggested_cleaning(_ws: Workspace, ws_path: str, dataset_id: int, target: str | None, language: str):
    from core.data.cleaning import suggest_cleaning

    return suggest_cleaning(datasets.load_dataset(_ws, dataset_id), target, datasets.load_read_info(_ws, dataset_id))


def suggested_cleaning(ws: Workspace, dataset_id: int, target: str | None):
    """The CleaningSuggestion of a raw version: `.recipe` (safe steps) and `.offers` (steps to add by hand)."""
    with st.spinner(_("Suggesting a cleaning recipe…")):
        return _suggested_cleaning(ws, str(ws.root), dataset_id, target, current_language())


def suggested_recipe(ws: Workspace, dataset_id: int, target: str | None):
    return suggested_cleaning(ws, dataset_id, target).recipe


@st.cache_data(show_spinner=False, max_entries=8)
def _preview(_ws: Workspace, ws_path: str, dataset_id: int, recipe_json: str):
    from core.data.cleaning import preview_recipe, recipe_from_json
    from core.security.masking import pii_key_scope

    with pii_key_scope(ws_path):  # a hash step hashes with this workspace's key
        return preview_recipe(datasets.load_dataset(_ws, dataset_id), recipe_from_json(recipe_json))


def preview(ws: Workspace, dataset_id: int, recipe_json: str):
    """(cleaned frame, step reports) of a draft recipe on a raw version; recomputed only on change."""
    with st.spinner(_("Previewing what the recipe does…")):
        return _preview(ws, str(ws.root), dataset_id, recipe_json)


@st.cache_data(show_spinner=False, max_entries=16)
def _run_probabilities(_ws: Workspace, ws_path: str, run_id: int):
    from core.training import tracking

    return tracking.load_run_probabilities(_ws, run_id)


def run_probabilities(ws: Workspace, run_id: int):
    """(probabilities, classes) of a multiclass run's holdout, or None; runs never change, so cached."""
    with st.spinner(_("Loading the class probabilities…")):
        return _run_probabilities(ws, str(ws.root), run_id)


@st.cache_data(show_spinner=False, max_entries=16)
def _arms_report(
    _ws: Workspace, ws_path: str, project_id: int, deployment_id: int | None, log_state: tuple[int, int]
) -> ArmsReport:
    return stage_arms(_ws, project_id, deployment_id)


def arms_report(ws: Workspace, project_id: int, deployment_id: int | None = None) -> ArmsReport:
    """Each version on the logged traffic, computed again only when an answer or a label was logged
    since (the drift of every version takes about half a second, and Monitor reruns on every click)."""
    state = get_arm_log_state(ws, project_id, deployment_id)
    with st.spinner(_("Following each version on the logged traffic…")):
        return _arms_report(ws, str(ws.root), project_id, deployment_id, state)


@st.cache_data(show_spinner=False, max_entries=32)
def _explanation(_ws: Workspace, ws_path: str, project_id: int, run_id: int, artifact_id: int | None):
    from core.stages.explain import stage_explain

    return stage_explain(_ws, project_id, run_id)


def explanation(ws: Workspace, project_id: int, run_id: int):
    """The run's saved SHAP explanation (``core.stages.explain.stage_explain``), keyed by the newest
    explanation artifact of the run, so a new explanation is never hidden by an old one.

    Streamlit computes a cache key once however many sessions ask at the same moment: when a class
    opens a model nobody explained yet, SHAP runs once (keyed ``None``) instead of once per student,
    and everyone after reads the saved one (0.1 s) from memory."""
    # The one read of the explanations table outside core: it belongs in core.stages.explain.
    row = ws.query_one("SELECT artifact_id FROM explanations WHERE run_id = ? ORDER BY id DESC LIMIT 1", (run_id,))
    return _explanation(ws, str(ws.root), project_id, run_id, int(row["artifact_id"]) if row else None)


# -- The Data page: what its reruns recomputed (keyed by the dataset version, the recipe's JSON, the
# chart's language). Figures come out of st.cache_data as copies (~15 ms to unpickle instead of
# 60-230 ms to build), so ``chart`` may restyle them.
@st.cache_data(show_spinner=False, max_entries=16)
def _duplicate_count(_ws: Workspace, ws_path: str, dataset_id: int) -> int:
    from core.data.cleaning.ops_rows import count_duplicated

    return count_duplicated(load_dataset(_ws, ws_path, dataset_id))


def duplicate_count(ws: Workspace, dataset_id: int) -> int:
    """How many rows of a dataset version repeat an earlier row (versions never change)."""
    return _duplicate_count(ws, str(ws.root), dataset_id)


@st.cache_data(show_spinner=False, max_entries=8)
def _before_after(_ws: Workspace, ws_path: str, dataset_id: int, recipe_json: str) -> pd.DataFrame:
    from core.data.cleaning.recipe import get_before_after_df

    cleaned, _reports = _preview(_ws, ws_path, dataset_id, recipe_json)
    return get_before_after_df(load_dataset(_ws, ws_path, dataset_id), cleaned)


def before_after(ws: Workspace, dataset_id: int, recipe_json: str) -> pd.DataFrame:
    """Per column, before and after a draft recipe (``get_before_after_df``); recomputed only on change."""
    return _before_after(ws, str(ws.root), dataset_id, recipe_json)


# The three charts below go straight to ``ui.widgets.chart``: kept with ``shared`` (the same figure for
# everyone, no copy to unpickle: 15-35 ms a figure from st.cache_data), in the session's language.
def missing_chart(ws: Workspace, dataset_id: int, target: str | None):
    """(figure, sentence) of the missing values per column of a dataset version, in the session's language."""

    def build():
        from core.data.charts import caption_missing, plot_missing

        profile_df, _alerts = _profile(ws, str(ws.root), dataset_id, target, current_language())
        return plot_missing(profile_df), caption_missing(profile_df)

    return shared(("missing_chart", str(ws.root), dataset_id, target), build)


def column_chart(ws: Workspace, dataset_id: int, column: str):
    """(figure, sentence) of one column's distribution in a dataset version, in the session's language."""

    def build():
        from core.data.charts import caption_column_distribution, plot_column_distribution

        df = load_dataset(ws, str(ws.root), dataset_id)
        return plot_column_distribution(df, column), caption_column_distribution(df, column)

    return shared(("column_chart", str(ws.root), dataset_id, column), build)


def lineage_chart(ws: Workspace, project_id: int):
    """(figure, sentence) of the project's lineage, drawn again only when the graph changed."""
    from core.data.charts import caption_lineage, plot_lineage
    from core.data.lineage import get_lineage_graph

    nodes, edges = get_lineage_graph(ws, project_id)
    graph_key = sha256_bytes((nodes.to_json() + edges.to_json()).encode())
    return shared(("lineage_chart", graph_key), lambda: (plot_lineage(nodes, edges), caption_lineage(nodes, edges)))


# -- Anything a page draws again on every rerun from inputs that do not change (charts, their tables) --
_memo: OrderedDict = OrderedDict()  # (key, language) -> pickled result; newest last
_memo_lock = threading.Lock()
MAX_MEMO_ENTRIES = 256


def memo(key: tuple, build: Callable[[], T]) -> T:
    """``build()``, computed once per ``key`` and language and kept (bounded, least recently used
    first out) for every session. ``key`` must name everything the result depends on besides the
    language (ids of saved things, which never change, and the reader's choices); each caller gets its
    own copy (unpickled: ~15 ms for a plotly figure, against 50-200 ms to build one), so it may
    restyle it. Only what this process built is ever unpickled."""
    full = (key, current_language())
    with _memo_lock:
        data = _memo.get(full)
        if data is not None:
            _memo.move_to_end(full)
    if data is None:
        result = build()
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        with _memo_lock:
            _memo[full] = data
            while len(_memo) > MAX_MEMO_ENTRIES:
                _memo.popitem(last=False)
        return result
    return pickle.loads(data)  # noqa: S301 - bytes this process pickled itself, never read from outside


_shared: OrderedDict = OrderedDict()  # (key, language) -> the result itself; newest last
_shared_lock = threading.Lock()
MAX_SHARED_ENTRIES = 256


def shared(key: tuple, build: Callable[[], T]) -> T:
    """``build()``, computed once per ``key`` and language and kept (bounded, least recently used first
    out) for every session, like ``memo``, but handed out as the SAME object to everyone: no copy, so
    a hit costs nothing (``memo``'s copy of a plotly figure costs 15-35 ms, as much as building a
    small one). Only for results nobody changes: figures that go straight to ``ui.widgets.chart``
    (which styles a copy, never the figure it is given), their sentences, tables that are only read.
    ``key`` must name everything the result depends on besides the language."""
    full = (key, current_language())
    with _shared_lock:
        if full in _shared:
            _shared.move_to_end(full)
            return _shared[full]
    result = build()
    with _shared_lock:
        _shared[full] = result
        while len(_shared) > MAX_SHARED_ENTRIES:
            _shared.popitem(last=False)
    return result


def built(build: Callable[..., T], *args: object) -> T:
    """``build(*args)`` kept for every session (``shared``) under what ``args`` hold (a digest of them
    pickled): for a chart or sentence builder, a pure function of the tables it is given (a saved
    report's, the logged traffic's). Arguments that cannot be pickled: built every time."""
    try:
        digest = hashlib.blake2b(pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL), digest_size=20).hexdigest()
    except Exception:  # an odd argument: no key for it
        return build(*args)
    return shared(("built", build.__module__, build.__qualname__, digest), lambda: build(*args))


def explanation_key(ws: Workspace, run_id: int) -> tuple:
    """What a chart of a run's saved explanation depends on: the workspace, the run and its newest
    explanation (a new explanation of the run changes the key)."""
    row = ws.query_one("SELECT MAX(id) AS id FROM explanations WHERE run_id = ?", (run_id,))
    return (str(ws.root), run_id, row["id"] if row else None)


# -- Monitor: its report is a saved artifact that never changes; every rerun read and rebuilt it (parquet,
# the schema applied to each window's table: ~0.1 s a rerun, twice) --------------------------------------
@st.cache_data(show_spinner=False, max_entries=8)
def _monitoring_report(_ws: Workspace, ws_path: str, project_id: int, report_id: int) -> dict | None:
    from core import pipeline

    return pipeline.latest_monitoring(_ws, project_id)


def latest_monitoring(ws: Workspace, project_id: int) -> dict | None:
    """``pipeline.latest_monitoring``: the report read once per process (a copy for each caller, so a
    page may change its tables; a few reports kept), the retraining it led to read fresh (a retrain
    finishes later)."""
    from core import pipeline
    from core.monitoring.retraining import get_retraining

    row = ws.query_one("SELECT id FROM monitoring_reports WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project_id,))
    if row is None:
        return None
    latest = _monitoring_report(ws, str(ws.root), project_id, int(row["id"]))
    if latest is None or latest["id"] != row["id"]:  # a newer report came in meanwhile: read it as it is
        return pipeline.latest_monitoring(ws, project_id)
    latest["retraining"] = get_retraining(ws, latest["id"])
    return latest


def monitoring_key(ws: Workspace, latest: dict) -> tuple:
    """What a chart of a monitoring report depends on (besides the language): the report."""
    return ("monitoring", str(ws.root), int(latest["id"]))


@st.cache_data(show_spinner=False, max_entries=16)
def _live_traffic(_ws: Workspace, ws_path: str, project_id: int, log_state: tuple[int, int]) -> pd.DataFrame:
    from core.monitoring.live import get_live_traffic_df

    return get_live_traffic_df(_ws, project_id)


def live_traffic(ws: Workspace, project_id: int) -> tuple[pd.DataFrame, tuple]:
    """(``get_live_traffic_df`` of the project, the key of what it was computed from): read again only
    when an answer or a label was logged since (it reads every logged answer: a quarter of Monitor's
    rerun). Charts of it can be kept under the key (``shared``)."""
    state = get_arm_log_state(ws, project_id)
    key = ("live_traffic", str(ws.root), project_id, state)
    return _live_traffic(ws, str(ws.root), project_id, state), key
