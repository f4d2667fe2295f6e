"""Cached loaders keyed by ids (artifacts never change once written, so ids are safe cache keys)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core import datasets
from core.reader import ReadOptions, read_table
from core.workspace import Workspace


@st.cache_data(show_spinner=False, max_entries=16)
def load_dataset(_ws: Workspace, ws_path: str, dataset_id: int) -> pd.DataFrame:
    return datasets.load_dataset(_ws, dataset_id)


def dataset(ws: Workspace, dataset_id: int) -> pd.DataFrame:
    # Cached frames are shared by sessions: hand out a copy so nobody mutates the cache.
    return load_dataset(ws, str(ws.root), dataset_id).copy()


@st.cache_data(show_spinner=False, max_entries=8)
def read_upload(data: bytes, options: ReadOptions):
    """Parse uploaded bytes (pass getvalue(): an UploadedFile's position would defeat the cache)."""
    return read_table(data, options)


@st.cache_data(show_spinner=False, max_entries=16)
def _profile(_ws: Workspace, ws_path: str, dataset_id: int, target: str | None):
    from core.profiling import get_alerts_df, profile_table

    profile = profile_table(datasets.load_dataset(_ws, dataset_id), target=target)
    return profile, get_alerts_df(profile)


def profile(ws: Workspace, dataset_id: int, target: str | None):
    """(profile_df, alerts_df) of a dataset version; versions never change, so this is cached."""
    return _profile(ws, str(ws.root), dataset_id, target)


@st.cache_data(show_spinner=False, max_entries=16)
def _suggested_recipe(_ws: Workspace, ws_path: str, dataset_id: int, target: str | None):
    from core.cleaning import suggest_recipe

    return suggest_recipe(datasets.load_dataset(_ws, dataset_id), target)


def suggested_recipe(ws: Workspace, dataset_id: int, target: str | None):
    return _suggested_recipe(ws, str(ws.root), dataset_id, target)
