"""Two students against a real server: the client connects, switches pages, changes widgets.

The client runs as `python -m tests.load`, in its own process, as a teacher runs it: inside pytest an
earlier test (a browser or page test) can leave an event loop set on the main thread, and
`asyncio.run` refuses to start beside it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_students_click_through_every_page(tmp_path):
    out = tmp_path / "load.json"
    command = [sys.executable, "-m", "tests.load", "--sessions", "2", "--think", "0", "0.1", "--ramp", "0"]
    finished = subprocess.run([*command, "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-4000:]
    pages = json.loads(out.read_text())["pages"]
    assert {"Home", "Data", "Train", "Monitor"} <= set(pages)
    assert pages["all"]["errors"] == 0, pages["all"]["first_errors"]
    assert pages["all"]["widget_changes"] >= 2 * 4  # most stage pages have a selectbox or slider
    assert all(row["p95_s"] is not None for row in pages.values())
