"""Where the element being drawn sits in the page's layout, read from Streamlit's container stack.

``column_share()`` is the share of the main area's width the current container takes: charts are
styled for it (``ui.presenter.present_figure`` wraps titles to it) and ``ui.widgets`` keys its shared
figures by it.
"""

from __future__ import annotations


def column_share() -> float:
    """The share of the main area's width the current container takes (a chart inside one of
    ``st.columns(2)`` takes 0.5, nested columns multiply). Read from Streamlit's container stack:
    a column's row has opened one block per column (equal widths assumed); 1 when it cannot tell."""
    try:
        from streamlit.delta_generator_singletons import get_last_dg_added_to_context_stack

        share = 1.0
        dg = get_last_dg_added_to_context_stack()
        while dg is not None:
            row = dg._parent
            if dg._block_type == "column" and row is not None and row._cursor is not None:
                share /= max(1, row._cursor.index)
            dg = row
        return share
    except Exception:  # Streamlit's internals moved: treat the chart as full width
        return 1.0
