"""Lighter reruns: a panel whose widgets only change the panel itself reruns alone.

``st.fragment`` reruns just the decorated function when one of its widgets changes, instead of the
whole page (on Explain, a whole rerun recomputes every chart: seconds with a class on the server).
Only for panels nothing else on the page reads from: a panel whose choice another panel shows
(the Explain row picker) must stay outside, or the other panel would show a stale row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st

from ui.widgets import user_errors


def panel_fragment(func: Callable[..., Any]) -> Callable[..., Any]:
    """``st.fragment`` for a self-contained panel; its own reruns show domain errors plainly too (the
    page's ``user_errors()`` around the call does not wrap a fragment's later reruns)."""

    @functools.wraps(func)
    def body(*args: Any, **kwargs: Any) -> None:
        with user_errors():
            func(*args, **kwargs)

    return st.fragment(body)
