"""Two students against a real server: the client connects, switches pages, changes widgets."""

from __future__ import annotations

import json

import pytest

from tests.load.__main__ import main


@pytest.mark.slow
def test_two_students_click_through_every_page(tmp_path):
    out = tmp_path / "load.json"
    assert main(["--sessions", "2", "--think", "0", "0.1", "--ramp", "0", "--json", str(out)]) == 0
    pages = json.loads(out.read_text())["pages"]
    assert {"Home", "Data", "Train", "Monitor"} <= set(pages)
    assert pages["all"]["errors"] == 0, pages["all"]["first_errors"]
    assert pages["all"]["widget_changes"] >= 2 * 4  # most stage pages have a selectbox or slider
    assert all(row["p95_s"] is not None for row in pages.values())
