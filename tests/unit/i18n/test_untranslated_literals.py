"""No UI literal bypasses translation: every file that draws the UI is scanned (see literal_scan)."""

from pathlib import Path

import pytest

from tests.unit.i18n.literal_scan import scan_file, scan_source, ui_files

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("path", ui_files(ROOT), ids=lambda p: str(p.relative_to(ROOT)))
def test_ui_file_translates_every_literal(path):
    findings = scan_file(path, ROOT)
    assert not findings, "Text shown to people must go through _() (or N_ for constants):\n" + "\n".join(
        map(str, findings)
    )


def test_scan_finds_what_a_person_reads_and_skips_code():
    source = '''
"""Docstring is not UI."""
import streamlit as st
st.button("Run full demo", key="run_demo", icon=":material/play_arrow:")
st.caption(_("Each box is a stage."))
st.markdown(f"Project **{name}** is ready")
LABELS = {"accuracy": N_("Accuracy"), "rmse": "Root mean squared error"}
if state["status"] == "running":
    st.write(f"{value:,.2f}")
st.markdown("### MLOps Studio")  # i18n: skip
st.caption(_("Hello {name}").format(name=name))
'''
    texts = [f.text for f in scan_source(source, "x.py")]
    assert texts == ["Run full demo", "f-string: Project **** is ready", "Root mean squared error"]
