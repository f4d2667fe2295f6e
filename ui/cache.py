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
